// bench:collector: its command line, and one small measured run (pinned where taskset allows, as by default).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { benchCollectorTick, main } from '../../bench/perf/collector-tick.ts';
import { cpus } from 'node:os';
import { main as perfMain } from '../../bench/perf/run.ts';
import { canPin, otherCore, pinnedArgv, pinnedCore, tasksetPath } from '../../bench/perf/pin.ts';
import { UsageError } from '../../lib/cli.ts';

void test('bench:collector refuses bad options with a usage error', async () => {
  await assert.rejects(main(['--modes', 'poll']), (e: unknown) => e instanceof UsageError && /--modes/.test(e.message));
  await assert.rejects(main(['--pods', '10,x']), (e: unknown) => e instanceof UsageError && /--pods/.test(e.message));
  await assert.rejects(main(['--ticks', '0']), (e: unknown) => e instanceof UsageError && /--ticks/.test(e.message));
  await assert.rejects(main(['--shard-of', '1']), (e: unknown) => e instanceof UsageError && /--shard-of/.test(e.message));
});

void test('every bench that pins reads --pin and --cpu one way: a core this machine lacks is a usage error', async () => {
  const none = String(cpus().length);
  const badCore = (e: unknown) => e instanceof UsageError && /--cpu must name a core/.test(e.message);
  await assert.rejects(main(['--cpu', none]), badCore);
  await assert.rejects(perfMain(['--cpu', none, '--collector-pods', '']), badCore);
  await assert.rejects(main(['--cpu', '-1', '--no-pin']), badCore); // checked even when not pinning
  assert.throws(() => pinnedCore({ pin: true, cpu: 0.5 }), badCore);
  assert.equal(pinnedCore({ pin: false, cpu: 0 }), null);
  assert.equal(pinnedCore({ pin: true, cpu: 0 }), canPin() ? 0 : null);
});

void test('pinnedArgv prefixes taskset only when asked for a core and taskset exists', () => {
  assert.deepEqual(pinnedArgv(['node', 'x.js'], null), ['node', 'x.js']);
  const ts = tasksetPath();
  assert.deepEqual(pinnedArgv(['node', 'x.js'], 1), ts ? [ts, '-c', '1', 'node', 'x.js'] : ['node', 'x.js']);
  assert.equal(otherCore(0), 1);
  assert.equal(otherCore(1), 0);
});

void test('a small collector bench run measures every tick of both pod sources', async () => {
  const cpu = canPin() ? 0 : null;
  const results = await benchCollectorTick(60, { ticks: 2, modes: ['list', 'watch'], cpu });
  assert.deepEqual(
    results.map((r) => r.mode),
    ['list', 'watch'],
  );
  for (const r of results) {
    assert.equal(r.pods, 60);
    assert.equal(r.ticks, 2);
    assert.ok(r.rows > 0 && r.rows <= 60, `rows ${r.rows}`);
    assert.ok(r.cpu_ms_median > 0, `cpu ${r.cpu_ms_median}`);
    assert.ok(r.min_ms <= r.median_ms && r.median_ms <= r.max_ms);
    assert.ok(r.requests_per_tick > 0);
    assert.ok(r.collector_rss_mb > 20);
  }
  // The watch-mode collector lists pods once, then watches: fewer requests per tick than listing.
  assert.ok(results[1]!.requests_per_tick < results[0]!.requests_per_tick);
});
