// npx tsx bench/server/cpu.ts — what podsentinel-server adds to a running pipeline: run-monitoring against a
// simulated cluster of N pods (default 10,000) with --http-port, a dashboard-like client on the server (an
// open /api/events stream, a page of /api/pods and one pod's detail every 5 s), and the CPU seconds of every
// process of the pipeline over a measured window, from /proc. Prints JSON: each process's CPU seconds and
// the server's share of the pipeline's CPU.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sleep } from '../../lib/backoff.ts';
import { cli, helpShown, runIfMain } from '../../lib/cli.ts';
import { signalGroup, startSimProcess, startTsx } from '../sim-process.ts';

// USER_HZ: the unit of /proc/<pid>/stat CPU times on Linux.
const TICKS_PER_SECOND = 100;

function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / TICKS_PER_SECOND; // utime + stime
  } catch {
    return NaN;
  }
}

interface StatusChild {
  name: string;
  pid: number | null;
}

export async function main(argv: string[]): Promise<number> {
  const a = await cli('bench:server:cpu', argv, "Measures podsentinel-server's CPU share of a running pipeline.")
    .option('pods', { type: 'number', default: 10_000, describe: 'Pods in the simulated cluster' })
    .option('warm-seconds', { type: 'number', default: 60, describe: 'Seconds before the measured window' })
    .option('seconds', { type: 'number', default: 120, describe: 'The measured window' })
    .parseAsync();
  if (helpShown(argv)) return 0;
  const dir = mkdtempSync(join(tmpdir(), 'podsentinel-server-cpu-'));
  const say = (s: string) => process.stderr.write(`bench:server:cpu ${s}\n`);
  const sim = await startSimProcess(dir, a.pods);
  const port = 18000 + (process.pid % 1000);
  const mon = startTsx('run-monitoring.ts', [
    '--kubeconfig', sim.kubeconfig, '--data-dir', join(dir, 'data'), '--log-dir', join(dir, 'logs'),
    '--no-remediation', '--no-llm', '--http-port', String(port),
  ]); // prettier-ignore
  mon.stdout!.resume();
  mon.stderr!.resume();
  const base = `http://127.0.0.1:${port}`;
  try {
    const status = () => JSON.parse(readFileSync(join(dir, 'data', '.run-monitoring-status.json'), 'utf8')) as { children: StatusChild[] };
    const deadline = Date.now() + 300_000;
    for (;;) {
      try {
        const r = await fetch(`${base}/api/pods?limit=1`);
        if (r.ok && ((await r.json()) as { total: number }).total > 0) break;
      } catch {
        // not up yet
      }
      if (Date.now() > deadline) throw new Error('the pipeline did not score pods within 5 minutes');
      await sleep(2000);
    }
    say(`pipeline up; warming ${a['warm-seconds']} s`);
    // A dashboard: the event stream open throughout, a pods page and a pod's detail every 5 s.
    const sse = new AbortController();
    void fetch(`${base}/api/events`, { signal: sse.signal })
      .then(async (r) => {
        for await (const _ of r.body as unknown as AsyncIterable<Uint8Array>) void _;
      })
      .catch(() => undefined);
    let stopPoll = false;
    const poll = (async () => {
      while (!stopPoll) {
        const page = (await (await fetch(`${base}/api/pods?limit=50&sort=probability`)).json()) as {
          items: { namespace: string; pod: string }[];
        };
        const p = page.items[0];
        if (p) await (await fetch(`${base}/api/pods/${p.namespace}/${p.pod}`)).arrayBuffer();
        await sleep(5000);
      }
    })();
    await sleep(a['warm-seconds'] * 1000);
    const procs = [
      { name: 'run-monitoring', pid: mon.pid! },
      ...status()
        .children.filter((c) => c.pid)
        .map((c) => ({ name: c.name, pid: c.pid! })),
    ];
    const before = procs.map((p) => cpuSeconds(p.pid));
    say(`measuring ${a.seconds} s over ${procs.map((p) => p.name).join(', ')}`);
    await sleep(a.seconds * 1000);
    const used = procs.map((p, i) => ({ name: p.name, cpu_seconds: Math.round((cpuSeconds(p.pid) - before[i]!) * 100) / 100 }));
    stopPoll = true;
    sse.abort();
    await poll.catch(() => undefined);
    const total = used.reduce((s, u) => s + (Number.isFinite(u.cpu_seconds) ? u.cpu_seconds : 0), 0);
    const server = used.find((u) => u.name === 'podsentinel-server')?.cpu_seconds ?? NaN;
    const out = {
      pods: a.pods,
      seconds: a.seconds,
      processes: used,
      pipeline_cpu_seconds: Math.round(total * 100) / 100,
      server_cpu_seconds: server,
      server_share_of_pipeline: Math.round((server / total) * 1000) / 1000,
      server_share_of_one_core: Math.round((server / a.seconds) * 1000) / 1000,
    };
    process.stdout.write(JSON.stringify(out, null, 2) + '\n');
    return 0;
  } finally {
    for (const c of [mon, sim.child]) signalGroup(c, 'SIGTERM');
    await sleep(3000);
    rmSync(dir, { recursive: true, force: true });
  }
}

runIfMain(import.meta.url, main);
