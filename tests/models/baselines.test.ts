import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createDetector, detectorNames } from '../../models/registry.ts';
import { toProbability } from '../../models/baselines/common.ts';
import { mulberry32 as prng } from '../../lib/prng.ts';
import type { Detector, Verdict } from '../../models/detector-api.ts';

const FEATURES = ['cpu_percent', 'memory_percent', 'net_rx_bytes'];
const BASELINES = ['isolation-forest', 'rolling-median', 'zscore'];

/** Gaussian noise around fixed levels, for several pods; `shift` adds to CPU from tick `at` on. */
function run(det: Detector, ticks: number, shift?: { pod: number; at: number; add: number }): Verdict[][] {
  const rand = prng(7);
  const gauss = () => Math.sqrt(-2 * Math.log(rand() + 1e-12)) * Math.cos(2 * Math.PI * rand());
  const out: Verdict[][] = [[], [], [], []];
  for (let t = 0; t < ticks; t++) {
    for (let p = 0; p < 4; p++) {
      const cpu = 20 + 5 * p + gauss() + (shift && shift.pod === p && t >= shift.at ? shift.add : 0);
      const values = Float64Array.from([cpu, 40 + gauss(), 1e5 * (1 + 0.05 * gauss())]);
      out[p]!.push(det.observe({ key: `ns/pod-${p}`, time: t * 5000, values }));
    }
  }
  return out;
}

void test('the three baselines are registered', () => {
  for (const name of BASELINES) assert.ok(detectorNames().includes(name), name);
});

void test('probability map: the alert point is 0.7, monotone, 0 at 0, far beyond still ordered below 1', () => {
  assert.ok(Math.abs(toProbability(4, 4) - 0.7) < 1e-9);
  assert.equal(toProbability(0, 4), 0);
  assert.ok(toProbability(1, 4) < 0.05);
  assert.ok(toProbability(8, 4) > 0.94);
  assert.ok(toProbability(4000, 4) < toProbability(40000, 4) && toProbability(40000, 4) < 1);
});

for (const name of BASELINES) {
  void test(`${name}: flat noise is not an anomaly`, async () => {
    const det = await createDetector(name, { features: FEATURES, threshold: 0.7 });
    const verdicts = run(det, 400).flat();
    const flagged = verdicts.filter((v) => v.anomalous).length;
    assert.ok(flagged <= verdicts.length * 0.005, `${flagged} of ${verdicts.length} noise ticks flagged`);
    for (const v of verdicts) assert.ok(v.probability >= 0 && v.probability <= 1);
  });

  void test(`${name}: an obvious sustained shift is flagged, on the right pod and metric`, async () => {
    const det = await createDetector(name, { features: FEATURES, threshold: 0.7 });
    const at = 300;
    const byPod = run(det, 330, { pod: 2, at, add: 40 });
    const after = byPod[2]!.slice(at, at + 10);
    const first = after.findIndex((v) => v.anomalous);
    assert.ok(first >= 0 && first <= 3, `first flagged ${first} ticks after the shift`);
    const v = after[first]!;
    assert.equal(v.type, 'resource_exhaustion');
    assert.equal(v.contributing[0]?.metric, 'cpu_percent');
    assert.equal(v.since, (at + first) * 5000);
    // The other pods stay quiet around the shift.
    for (const p of [0, 1, 3]) assert.equal(byPod[p]!.slice(at, at + 10).filter((x) => x.anomalous).length, 0);
  });

  void test(`${name}: snapshot/restore resumes exactly, and runs are deterministic`, async () => {
    const make = () => createDetector(name, { features: FEATURES, threshold: 0.7 });
    const a = await make();
    run(a, 200);
    const b = await make();
    b.restore(JSON.parse(JSON.stringify(a.snapshot())));
    const c = await make();
    run(c, 200);
    for (const cpu of [25, 70, 26]) {
      const obs = { key: 'ns/pod-1', time: 1e9 + cpu, values: Float64Array.from([cpu, 40, 1e5]) };
      const va = a.observe(obs);
      assert.deepEqual(b.observe(obs), va);
      assert.deepEqual(c.observe(obs), va);
    }
  });
}
