// The randomised detection family (bench/detect/family/): what a seed draws and writes must be what its truth says,
// since every figure of bench:detect:family is judged against that truth.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MetricsCsvSchema } from '../../lib/metrics-csv.ts';
import { workloadOf } from '../../models/pod-features.ts';
import { generateFamilySeed } from '../../bench/detect/family/generate.ts';
import { parseSeeds } from '../../bench/detect/family/run.ts';

function rowsOf(csv: string) {
  const lines = readFileSync(csv, 'utf8').split('\n');
  const schema = new MetricsCsvSchema(lines[0]!);
  return lines.slice(1).flatMap((l) => {
    const r = l ? schema.parseLine(l) : null;
    return r?.ok ? [r.row] : [];
  });
}

void test('a family seed is drawn the same way every time, and its rows match its truth', () => {
  const dir = mkdtempSync(join(tmpdir(), 'family-'));
  try {
    const a = generateFamilySeed({ seed: 3, outDir: join(dir, 'a'), hours: 1, pods: 12 });
    const b = generateFamilySeed({ seed: 3, outDir: join(dir, 'b'), hours: 1, pods: 12 });
    assert.deepEqual(a.truth, b.truth);
    assert.equal(readFileSync(a.csvPath, 'utf8'), readFileSync(b.csvPath, 'utf8'));
    const t = a.truth;
    assert.ok(t.tickSeconds >= 5 && t.tickSeconds <= 30);
    assert.equal(t.ticks, Math.round(3600 / t.tickSeconds));
    const rows = rowsOf(a.csvPath);
    assert.equal(rows.length, t.rows);
    // every pod belongs to a Deployment (a ReplicaSet hash and a suffix), so the detector sees its siblings
    for (const r of rows) assert.match(workloadOf(r.namespace, r.pod) ?? '', /^shop\/Deployment\//);
    // faults sit on distinct pods, and every row timestamp maps to its tick
    const faulted = t.faults.map((f) => f.pods[0]);
    assert.equal(new Set(faulted).size, faulted.length);
    for (const r of rows) assert.ok(t.tickOf[r.timestamp] !== undefined);
    // a leak that reached its limit left an OOMKilled row with a restart at the tick the truth names
    for (const f of t.faults.filter((x) => x.kind === 'memory_leak' && x.firstOomKilledTick !== undefined)) {
      const kill = rows.find((r) => r.pod === f.pods[0] && r.status === 'OOMKilled');
      assert.ok(kill, `${f.id}: no OOMKilled row`);
      assert.equal(t.tickOf[kill.timestamp], f.firstOomKilledTick);
      assert.equal(kill.restarts, 1);
    }
    // a CPU level shift multiplies the pod's CPU: the mean after the start is well above the mean before
    for (const f of t.faults.filter((x) => x.kind === 'level_shift' && x.metric === 'cpu')) {
      const mine = rows.filter((r) => r.pod === f.pods[0]);
      const mean = (xs: typeof mine) => xs.reduce((s, r) => s + r.cpuPercent, 0) / xs.length;
      const before = mean(mine.filter((r) => t.tickOf[r.timestamp]! < f.startTick));
      const after = mean(mine.filter((r) => t.tickOf[r.timestamp]! >= f.startTick));
      assert.ok(after / before > 1 + (f.magnitude - 1) / 2, `${f.id}: ${before} → ${after} for ×${f.magnitude}`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

void test('--seeds reads ranges and lists, and refuses anything else', () => {
  assert.deepEqual(parseSeeds('11-13'), [11, 12, 13]);
  assert.deepEqual(parseSeeds('1,4, 7'), [1, 4, 7]);
  assert.throws(() => parseSeeds('a-b'), /--seeds/);
});
