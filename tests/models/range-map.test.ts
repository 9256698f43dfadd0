// The range map behind gap novelty: it never reports a gap where a value was seen, and it finds every
// gap wider than its bins, through any number of frame doublings (checked against the values themselves).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { inGap, MAP_BINS, newRangeMap, RANGE_MAP_SIZE, visit } from '../../models/lstm/range-map.ts';
import { mulberry32 } from '../../lib/prng.ts';

void test('no gap is reported before the map has two distinct values, and a constant series has none', () => {
  const m = newRangeMap();
  assert.equal(inGap(m, 0, 5, 0.1), false);
  for (let i = 0; i < 100; i++) visit(m, 0, 3);
  assert.equal(inGap(m, 0, 5, 0.1), false, 'one value seen: no frame, no gaps');
  visit(m, 0, 4);
  assert.equal(inGap(m, 0, 3.5, 0.1), true, 'between the two values seen');
  assert.equal(inGap(m, 0, 3.02, 0.1), false);
  assert.equal(inGap(m, 0, 3.95, 0.1), false);
});

void test('two levels: the middle is a gap, either level is not, also after the frame grew around them', () => {
  const m = newRangeMap();
  for (let i = 0; i < 200; i++) visit(m, 0, i % 2 === 0 ? 10 + (i % 7) * 0.01 : 20 - (i % 5) * 0.01);
  assert.equal(inGap(m, 0, 15, 0.5), true);
  assert.equal(inGap(m, 0, 10.3, 0.5), false);
  assert.equal(inGap(m, 0, 19.8, 0.5), false);
  visit(m, 0, -1000); // the frame doubles many times to the left; 10 and 20 merge into wide bins
  visit(m, 0, 5000);
  assert.equal(inGap(m, 0, 15, 1), false, 'bins now far wider than the gap between the levels');
  assert.equal(inGap(m, 0, 2500, 100), true);
  assert.equal(inGap(m, 0, -990, 20), false);
});

void test('against the values themselves: never a gap within reach of a seen value, always one when the nearest is bins away', () => {
  const rnd = mulberry32(7);
  const channels = 3;
  const m = newRangeMap(channels);
  for (let ch = 0; ch < channels; ch++) {
    const o = ch * RANGE_MAP_SIZE;
    const seen: number[] = [];
    // a heavy-tailed, multimodal series: the frame starts small and doubles as the tails show up
    for (let i = 0; i < 3000; i++) {
      const u = rnd();
      const x = u < 0.6 ? 100 + 5 * rnd() : u < 0.9 ? 180 + 3 * rnd() : u < 0.99 ? 100 + 400 * rnd() ** 3 : -50 * rnd();
      if (seen.length > 10) {
        let lo = Infinity,
          hi = -Infinity,
          nearest = Infinity;
        for (const v of seen) {
          lo = Math.min(lo, v);
          hi = Math.max(hi, v);
          nearest = Math.min(nearest, Math.abs(v - x));
        }
        const reach = 0.05 * (hi - lo);
        const gap = inGap(m, o, x, reach);
        if (nearest <= reach) assert.equal(gap, false, `value ${x}: one seen ${nearest} away, reach ${reach}`);
        // the frame is at most 4 × the range wide (it doubles from a first frame inside the range), so a bin
        // is at most 4·range/MAP_BINS wide, and a visited bin lies within reach plus one bin of x
        if (nearest > reach + (4 * (hi - lo)) / MAP_BINS)
          assert.equal(gap, true, `value ${x}: nearest seen ${nearest} away, reach ${reach}`);
      }
      visit(m, o, x);
      seen.push(x);
    }
  }
});

void test('values a Float32 frame cannot hold are not mapped, and never hang the doubling', () => {
  const m = newRangeMap();
  for (const x of [1, 2, NaN, Infinity, -Infinity, 1e300, -1e300]) visit(m, 0, x);
  assert.equal(inGap(m, 0, 1.5, 0.1), true, 'the map still knows 1 and 2, and nothing between');
  assert.equal(inGap(m, 0, 1e300, 1), false);
  visit(m, 0, 9e37); // the frame doubles up to float32's largest magnitudes
  assert.equal(inGap(m, 0, 1.5, 0.1), false, 'bins are now far wider than 1..2');
  assert.equal(inGap(m, 0, 4.5e37, 1e36), true);
});
