// bench:forecast's harness: the family's leaks are read back with their OOM kills, and the run keeps the
// tuning seeds apart from the report seeds (the headline).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../bench/forecast/run.ts';
import { backtest, familyLeaks, syntheticLeak } from '../../bench/forecast/leaks.ts';
import { DEFAULT_FORECAST_PARAMS } from '../../models/forecast.ts';
import { captureStdio } from '../helpers/capture-stdio.ts';

void test("the detection family's leaks come back as series with their OOM kills after the leak starts", () => {
  const dir = mkdtempSync(join(tmpdir(), 'forecast-bench-'));
  try {
    const leaks = familyLeaks(4, dir);
    assert.equal(leaks.length, 2, 'two leaking pods per seed');
    for (const s of leaks) {
      assert.ok(s.ooms.length >= 1, s.name);
      assert.ok(
        s.ooms.every((t) => t > s.leakStart),
        s.name,
      );
      const r = backtest(s, 30, DEFAULT_FORECAST_PARAMS);
      assert.ok(r.judged > 0 && r.mdape !== null, s.name);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

void test('a steady synthetic leak is forecast within 30 % in its last 30 ticks', () => {
  const r = backtest(syntheticLeak({ tickSeconds: 60, oomAfterSeconds: 3600, seed: 11 }), 30, DEFAULT_FORECAST_PARAMS);
  assert.equal(r.judged, 30);
  assert.ok(r.mdape! <= 0.3, String(r.mdape));
});

void test('the run reports the tuning and the report seeds apart, the report seeds as the headline', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'forecast-bench-'));
  try {
    const json = join(dir, 'out.json');
    const r = await captureStdio(() =>
      main(['--seeds', '1', '--report-seeds', '12', '--sim-ticks', '0', '--out-dir', dir, '--json', json]),
    );
    assert.equal(r.value, 0, r.err);
    assert.match(r.out, /tuning seeds \(seeds 1\)/);
    assert.match(r.out, /report seeds, never tuned on \(seeds 12\)/);
    assert.match(r.out, /report seeds' MdAPE \d+\.\d %/);
    const out = JSON.parse(readFileSync(json, 'utf8')) as {
      tuning: { seeds: number[] };
      report: { seeds: number[]; groups: Array<{ group: string }> };
    };
    assert.deepEqual(out.tuning.seeds, [1]);
    assert.deepEqual(out.report.seeds, [12]);
    assert.deepEqual(
      out.report.groups.map((g) => g.group),
      ['synthetic 5 s', 'synthetic 15 s', 'synthetic 60 s', 'family leaks'],
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
