// bench:perf at a tiny N: the real agent runs (throughput and latency runs), the JSON report has every
// field with sane values. No timing assertions: the timing goals live in the benchmark itself.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main, percentile, type PerfReport } from '../../bench/perf/run.ts';

void test('percentile picks the nearest rank', () => {
  const xs = Array.from({ length: 100 }, (_, i) => i + 1);
  assert.equal(percentile(xs, 50), 50);
  assert.equal(percentile(xs, 99), 99);
  assert.equal(percentile([7], 99), 7);
  assert.ok(Number.isNaN(percentile([], 50)));
});

void test('bench:perf at 200 pods writes a complete JSON report', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'perf-bench-'));
  try {
    const json = join(dir, 'perf.json');
    const code = await main([
      '--pods', '200',
      '--rows', '1000',
      '--rate', '2000',
      '--latency-seconds', '1',
      '--reference-seconds', '0.2',
      '--collector-pods', '',
      '--no-pin',
      '--out-dir', join(dir, 'out'),
      '--json', json,
      '--log-dir', join(dir, 'logs'),
    ]); // prettier-ignore
    assert.equal(code, 0);
    const report = JSON.parse(readFileSync(json, 'utf8')) as PerfReport;
    assert.equal(report.results.length, 1);
    const r = report.results[0]!;
    assert.equal(r.pods, 200);
    assert.equal(r.rows, 200 * 5); // max(min-ticks 3, ceil(1000 / 200)) ticks
    for (const k of [
      'rows_per_second',
      'p50_ms',
      'p99_ms',
      'insights_write_ms',
      'peak_rss_mb',
      'bytes_per_pod',
      'reference_tfjs_windows_per_second',
    ] as const) {
      assert.equal(typeof r[k], 'number', k);
      assert.ok(Number.isFinite(r[k]) && r[k] > 0, `${k} = ${r[k]}`);
    }
    assert.ok(r.p99_ms >= r.p50_ms);
    assert.equal(r.latency_rows, 2000); // every appended row's score line was seen
    assert.ok(r.peak_rss_mb > 20 && r.peak_rss_mb < 4096);
    assert.ok(r.bytes_per_pod > 100, 'the checkpoint holds per-pod state');
    assert.ok(r.parse_ms > 0 && r.score_ms > 0);
    // the follow-mode figures come from the latency run's heartbeat (its final checkpoint at the stop)
    for (const k of [
      'follow_stall_max_ms',
      'follow_gc_pause_max_ms',
      'follow_checkpoint_thread_ms',
      'follow_checkpoint_wall_ms',
      'follow_peak_rss_mb',
    ] as const) {
      assert.ok(Number.isFinite(r[k]) && r[k] >= 0, `${k} = ${r[k]}`);
    }
    assert.ok(r.follow_checkpoint_wall_ms >= r.follow_checkpoint_thread_ms);
    assert.ok(report.reference && report.reference.batched_windows_per_second > 0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
