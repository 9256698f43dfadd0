// npm run bench:perf:ab — one agent's throughput in two checkouts, side by side: the same generated CSV is
// scored by each checkout's dataset-generator-agent (--once --from-start, pinned to one core) in alternating
// rounds, so both see the same machine; reports each side's medians and the median of the per-round ratios.
// The machines here are shared and swing by tens of per cent between minutes; a ratio of neighbours does not.
// Each side's agent runs with that checkout's own Node options and glibc settings (its node-args.ts).
//   npm run bench:perf:ab -- --before ../podsentinel-old --pods 150000 --rounds 5
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { cli, helpShown, runIfMain, UsageError } from '../../lib/cli.ts';
import { tunablesEnv, type GlibcTunables } from '../../lib/glibc-tunables.ts';
import { generateCsv, makePods } from './run.ts';
import { pinnedArgv } from './pin.ts';

const HERE = resolve(fileURLToPath(new URL('../..', import.meta.url)));

interface Run {
  rowsPerSecond: number;
  /** Per CPU-second of the scoring thread; NaN when that checkout does not count it. */
  cpuRowsPerSecond: number;
  peakRssMb: number;
}

function median(xs: readonly number[]): number {
  const s = xs.filter(Number.isFinite).sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

interface AgentSettings {
  nodeArgs: readonly string[];
  tunables: GlibcTunables;
}

/** The agent's start settings as `checkout` declares them (a checkout older than the glibc settings has none). */
async function agentSettings(checkout: string): Promise<AgentSettings> {
  const m = (await import(pathToFileURL(join(checkout, 'agents/dataset-generator/node-args.ts')).href)) as {
    AGENT_NODE_ARGS?: readonly string[];
    AGENT_GLIBC_TUNABLES?: GlibcTunables;
  };
  return { nodeArgs: m.AGENT_NODE_ARGS ?? [], tunables: m.AGENT_GLIBC_TUNABLES ?? {} };
}

async function runAgent(checkout: string, settings: AgentSettings, csv: string, dir: string, cpu: string | null): Promise<Run> {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const node = [process.execPath, ...settings.nodeArgs, '--import', 'tsx', join(checkout, 'agents/dataset-generator-agent.ts')];
  const args = ['--once', '--from-start', '--input-file', csv, '--insights-file', join(dir, 'pod_insights.json')];
  args.push('--scores-file', join(dir, 'scores.csv'), '--checkpoint-file', join(dir, 'checkpoint.json'), '--log-dir', join(dir, 'logs'));
  const [cmd, ...rest] = pinnedArgv([...node, ...args, '--log-level', 'warn'], cpu);
  const child = spawn(cmd!, rest, {
    cwd: checkout,
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, ...tunablesEnv(settings.tunables) },
  });
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-2000)));
  const code = await new Promise<number | null>((r) => child.on('close', r));
  const beatFile = readdirSync(dir).find((f) => f.startsWith('.heartbeat'));
  if (code !== 0 || !beatFile)
    throw new Error(`the agent of ${checkout} failed (${code}): ${err.trim().split('\n').slice(-2).join(' | ')}`);
  const p = (JSON.parse(readFileSync(join(dir, beatFile), 'utf8')) as { perf: Record<string, number> }).perf;
  return {
    rowsPerSecond: p.rows_scored! / ((p.parse_ms! + p.score_ms!) / 1000),
    cpuRowsPerSecond: p.score_cpu_ms === undefined ? NaN : p.rows_scored! / ((p.parse_cpu_ms! + p.score_cpu_ms) / 1000),
    peakRssMb: p.max_rss_mb!,
  };
}

export async function main(argv: string[]): Promise<number> {
  const args = await cli('bench:perf:ab', argv, "Two checkouts' agent throughput side by side, in alternating rounds on one generated CSV.")
    .option('before', { type: 'string', demandOption: true, describe: 'The other checkout (its node_modules installed)' })
    .option('after', { type: 'string', default: HERE, describe: 'This checkout by default' })
    .option('pods', { type: 'number', default: 150000 })
    .option('ticks', { type: 'number', default: 3, describe: 'Rows per pod in the CSV' })
    .option('rounds', { type: 'number', default: 5 })
    .option('cpu', { type: 'string', default: '0', describe: 'Core the agents are pinned to (taskset); "" pins none' })
    .option('out-dir', { type: 'string', default: '.bench-out/perf-ab' })
    .parseAsync();
  if (helpShown(argv)) return 0;
  const sides = { before: resolve(args.before), after: resolve(args.after) };
  for (const dir of Object.values(sides))
    if (!existsSync(join(dir, 'agents/dataset-generator-agent.ts'))) throw new UsageError(`${dir} is not a podsentinel checkout`);
  const cpu = args.cpu !== '' ? args.cpu : null; // pinnedArgv leaves it unpinned where taskset is missing
  const out = resolve(args['out-dir']);
  mkdirSync(out, { recursive: true });
  const csv = join(out, `pods-${args.pods}x${args.ticks}.csv`);
  if (!existsSync(csv)) generateCsv(csv, makePods(args.pods), args.ticks);
  const commit = (dir: string) => {
    try {
      return execFileSync('git', ['-C', dir, 'rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
    } catch {
      return '?';
    }
  };
  process.stdout.write(
    `before ${sides.before} (${commit(sides.before)}), after ${sides.after} (${commit(sides.after)}), ${args.pods} pods\n`,
  );
  const settings = { before: await agentSettings(sides.before), after: await agentSettings(sides.after) };
  for (const side of ['before', 'after'] as const) {
    const { nodeArgs, tunables } = settings[side];
    const glibc = Object.entries(tunables).map(([k, v]) => `${k}=${v}`);
    process.stdout.write(`${side} agent settings: ${[...nodeArgs, ...glibc].join(' ') || 'none'}\n`);
  }
  const runs: Record<'before' | 'after', Run[]> = { before: [], after: [] };
  for (let r = 1; r <= args.rounds; r++) {
    for (const side of ['before', 'after'] as const) {
      const x = await runAgent(sides[side], settings[side], csv, join(out, side), cpu);
      runs[side].push(x);
      process.stdout.write(
        `round ${r} ${side.padEnd(6)} ${Math.round(x.rowsPerSecond)} rows/s, ${Math.round(x.cpuRowsPerSecond)} per CPU-second, peak RSS ${x.peakRssMb} MB\n`,
      );
    }
  }
  const ratio = (k: keyof Run) => median(runs.after.map((a, i) => a[k] / runs.before[i]![k]));
  const med = (side: 'before' | 'after', k: keyof Run) => Math.round(median(runs[side].map((x) => x[k])));
  for (const [k, label] of [
    ['rowsPerSecond', 'rows/s'],
    ['cpuRowsPerSecond', 'rows per CPU-second'],
    ['peakRssMb', 'peak RSS MB'],
  ] as const)
    process.stdout.write(
      `${label}: before ${med('before', k)}, after ${med('after', k)}; median ratio after/before ${ratio(k).toFixed(3)}\n`,
    );
  return 0;
}

runIfMain(import.meta.url, main);
