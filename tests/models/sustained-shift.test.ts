// The detector's sustained-shift member and churn on a sibling going away, on a small Deployment of four pods
// (5 s rows through the agent's PodScorer): a pod's load ×1.6 for good is flagged within 10 rows, its siblings stay quiet.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { newMetricRow } from '../../lib/metrics-csv.ts';
import { PodScorer } from '../../models/pod-scorer.ts';
import { createDetector } from '../../models/registry.ts';
import { POD_FEATURES } from '../../models/pod-features.ts';

const PODS = ['web-7f9c4d2b1-a1b2c', 'web-7f9c4d2b1-d3e4f', 'web-7f9c4d2b1-g5h6j', 'web-7f9c4d2b1-k7l8m'];

/** Deterministic noise in [-1, 1]. */
function noise(seed: number): () => number {
  let s = seed;
  return () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return (s / 2147483648) * 2 - 1;
  };
}

async function run(event: (tick: number, pod: number) => { gone?: boolean; load?: number }) {
  const scorer = new PodScorer(await createDetector('lstm', { features: POD_FEATURES, threshold: 0.7 }));
  const rnd = noise(7);
  const flagged: Array<{ tick: number; pod: number }> = [];
  for (let tick = 0; tick < 320; tick++) {
    const timestamp = new Date(Date.UTC(2026, 0, 5) + tick * 5000).toISOString();
    PODS.forEach((pod, i) => {
      const e = event(tick, i);
      if (e.gone) return;
      const load = e.load ?? 1;
      const s = scorer.score(
        newMetricRow({
          timestamp,
          namespace: 'shop',
          pod,
          node: 'n1',
          status: 'Running',
          readyContainers: 1,
          totalContainers: 1,
          restarts: 0,
          cpuPercent: 40 * load * (1 + 0.05 * rnd()),
          memoryPercent: 30 * (1 + 0.01 * rnd()),
          netRxBytes: 1e5 * load * (1 + 0.05 * rnd()),
          netTxBytes: 5e4 * load * (1 + 0.05 * rnd()),
          netRxDropped: 0,
          netTxDropped: 0,
          fsReadsMb: tick,
          fsWritesMb: tick,
        }),
      );
      if (s?.verdict.anomalous) flagged.push({ tick, pod: i });
    });
  }
  return flagged;
}

void test('a sustained ×1.6 on one pod is flagged within 10 rows, and nothing else is', async () => {
  const flagged = await run((tick, pod) => ({ load: pod === 0 && tick >= 250 ? 1.6 : 1 }));
  const first = flagged.find((f) => f.pod === 0 && f.tick >= 250);
  assert.ok(first && first.tick - 250 <= 10, `first flag ${JSON.stringify(first)}`);
  assert.deepEqual(
    flagged.filter((f) => f.pod !== 0 || f.tick < 250),
    [],
  );
});
