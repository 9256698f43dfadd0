// The dataset agent's per-pod Float64 state pool: fresh states are copies of the initial one, share slabs
// (no buffer of their own), and a released state is handed out again reset, never while it is in use.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Float64StatePool } from '../../../agents/dataset-generator/state-pool.ts';
import { newForecastState, updateForecast } from '../../../models/forecast.ts';
import { newMetricRow } from '../../../lib/metrics-csv.ts';
import { SLAB_BYTES, slabItems } from '../../../lib/state-slabs.ts';

void test('states are independent copies of the initial state in shared slabs', () => {
  // 64 KB states, so that a slab holds few of them: 256
  const initial = new Float64Array(8192);
  initial.set([NaN, 1, 2, 3]);
  const perSlab = slabItems(initial.byteLength);
  assert.equal(perSlab, 256);
  const pool = new Float64StatePool(initial);
  initial[1] = 99; // the pool kept its own copy
  const states = Array.from({ length: 2 * perSlab + 88 }, () => pool.take());
  for (const s of states) {
    assert.deepEqual([...s.subarray(0, 4)], [NaN, 1, 2, 3]);
    assert.ok(s.subarray(4).every((x) => x === 0));
  }
  states[0]![2] = 42;
  assert.equal(states[1]![2], 2, 'writing one state leaves the others alone');
  assert.equal(states[0]!.buffer, states[1]!.buffer, 'neighbours share a slab');
  assert.equal(states[0]!.buffer.byteLength, SLAB_BYTES);
  assert.equal(new Set(states.map((s) => s.buffer)).size, 3, 'two full slabs and a third begun');
});

void test('a released state comes back reset; a state of another size is not reused', () => {
  const pool = new Float64StatePool(newForecastState());
  const a = pool.take();
  const t0 = Date.parse('2026-12-07T00:00:00Z');
  for (let i = 0; i < 20; i++)
    updateForecast(
      a,
      newMetricRow({
        timestamp: new Date(t0 + i * 10_000).toISOString(),
        namespace: 'n',
        pod: 'p',
        memoryPercent: 40 + i,
        memoryMb: 400 + 10 * i,
      }),
    );
  assert.notDeepEqual([...a], [...newForecastState()], 'the state learnt something');
  pool.release(a);
  const b = pool.take();
  assert.equal(b, a, 'the released view is handed out again');
  assert.deepEqual([...b], [...newForecastState()], 'reset to the initial state');
  pool.release(new Float64Array(3 * a.length));
  assert.notEqual(pool.take().length, 3 * a.length);
});
