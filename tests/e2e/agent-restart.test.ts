// End to end: SIGKILL the dataset-generator agent in the middle of a run-monitoring --demo run. The
// supervisor restarts it; it resumes from its checkpoint, so that no CSV row is lost or scored twice
// (its --scores-file against the CSV), and pod_insights.json keeps being written.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { MetricsCsvSchema } from '../../lib/metrics-csv.ts';
import { MonitorSession } from '../helpers/e2e-support.ts';

const SPEED = process.env.E2E_SPEED ?? '5';
const AGENT = 'dataset-generator-agent';

function scoredKeys(path: string): string[] {
  if (!existsSync(path)) return [];
  const lines = readFileSync(path, 'utf8').split('\n').slice(1); // header
  return lines.filter((l) => l.trim()).map((l) => l.split(',').slice(0, 3).join(','));
}

/**
 * The CSV rows the agent is to score, in file order: valid rows, less those it rejects by contract (a
 * pod's row no newer than its previous one: the collector writes the same sample twice when two of its
 * ticks fall within one simulated tick).
 */
function csvKeys(path: string): string[] {
  const lines = readFileSync(path, 'utf8').split('\n');
  const schema = new MetricsCsvSchema(lines[0]!);
  const keys: string[] = [];
  const newest = new Map<string, number>();
  for (const line of lines.slice(1)) {
    if (!line.trim()) continue;
    const r = schema.parseLine(line);
    if (!r.ok) continue;
    const pod = `${r.row.namespace}/${r.row.pod}`;
    if (r.row.time <= (newest.get(pod) ?? -Infinity)) continue;
    newest.set(pod, r.row.time);
    keys.push(`${r.row.timestamp},${r.row.namespace},${r.row.pod}`);
  }
  return keys;
}

void test(
  'e2e: the dataset-generator agent killed with SIGKILL is restarted, loses and repeats no row, and insights continue',
  { timeout: 200_000 },
  async (t) => {
    const run = MonitorSession.startIn((dir) => [
      '--demo',
      '--scenario',
      'memory-leak',
      '--speed',
      SPEED,
      '--seed',
      '3',
      '--no-llm',
      '--no-remediation',
      '--scores-file',
      join(dir, 'data', 'scores.csv'),
    ]);
    const scores = join(run.dataDir, 'scores.csv');
    const insights = join(run.dataDir, 'pod_insights.json');
    try {
      const agent = (st = run.status()) => st?.children.find((c) => c.name === AGENT);
      const firstPid = await run.until('the agent scoring rows', () => (scoredKeys(scores).length >= 20 ? agent()?.pid : null), 120_000);
      const killedAt = Date.now();
      process.kill(firstPid, 'SIGKILL');
      const secondPid = await run.until(
        'the agent restarted by the supervisor',
        () => {
          const a = agent();
          return a && a.state === 'running' && a.pid && a.pid !== firstPid && a.restarts >= 1 ? a.pid : null;
        },
        60_000,
      );
      assert.notEqual(secondPid, firstPid);
      const scoredAtRestart = scoredKeys(scores).length;
      await run.until(
        'insights written after the restart and new rows scored',
        () => {
          try {
            const ins = JSON.parse(readFileSync(insights, 'utf8')) as { generated_at: string };
            return Date.parse(ins.generated_at) > killedAt + 2000 && scoredKeys(scores).length > scoredAtRestart + 10;
          } catch {
            return false;
          }
        },
        90_000,
      );
      assert.ok(statSync(insights).mtimeMs > killedAt);
      assert.equal(await run.stop(), 0);

      const scored = scoredKeys(scores);
      const rows = csvKeys(join(run.dataDir, 'pod_metrics.csv'));
      t.diagnostic(
        `CSV rows ${rows.length}, scored ${scored.length} (first at row ${rows.indexOf(scored[0]!)}), scored at restart ${scoredAtRestart}`,
      );
      const dupes = scored.filter((k, i) => scored.indexOf(k) !== i);
      assert.deepEqual(dupes, [], 'no row scored twice');
      // Scored rows are one contiguous run of the CSV: rows before it were learned from at the first
      // start (no checkpoint yet), rows after it were not read before the stop; none missing in between.
      const first = rows.indexOf(scored[0]!);
      assert.ok(first >= 0, `the first scored row ${scored[0]} is in the CSV`);
      assert.deepEqual(
        scored,
        rows.slice(first, first + scored.length),
        'every CSV row from the first scored one on is scored, in order, across the kill',
      );
      assert.ok(rows.length - (first + scored.length) < rows.length / 4, 'the agent kept up until the stop');
    } finally {
      run.forceKill();
    }
  },
);
