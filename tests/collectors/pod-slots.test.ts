// The collector's per-pod slots: one per namespace and name, kept across ticks, forgotten in bulk once
// the pods gone from the list are over a fifth of those listed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PodSlots } from '../../collectors/pod-slots.ts';

void test('a pod keeps its slot; same names in two namespaces get two', () => {
  const slots = new PodSlots();
  const a = slots.slot('ns', 'web-1');
  a.written = '2026-12-07T00:00:00.000Z';
  assert.equal(slots.slot('ns', 'web-1'), a);
  assert.equal(slots.find('ns', 'web-1')?.written, '2026-12-07T00:00:00.000Z');
  assert.notEqual(slots.slot('other', 'web-1'), a);
  assert.equal(slots.slot('other', 'web-1').key, 'other/web-1');
  assert.equal(slots.find('ns', 'nope'), undefined);
  assert.equal(slots.size, 2);
});

void test('pods gone from the list are forgotten once they are over a fifth of the listed ones', () => {
  const slots = new PodSlots();
  for (let i = 0; i < 10; i++) slots.slot('ns', `p${i}`).listed = 1;
  // tick 2 lists 9 of them: one gone (≤ 9/5) stays
  for (let i = 0; i < 9; i++) slots.slot('ns', `p${i}`).listed = 2;
  slots.sweep(2, 9);
  assert.equal(slots.size, 10);
  assert.ok(slots.find('ns', 'p9'));
  // tick 3 lists 7: three gone (> 7/5): all three forgotten, the listed ones kept
  for (let i = 0; i < 7; i++) slots.slot('ns', `p${i}`).listed = 3;
  slots.sweep(3, 7);
  assert.equal(slots.size, 7);
  assert.equal(slots.find('ns', 'p7'), undefined);
  assert.ok(slots.find('ns', 'p6'));
  // a namespace with nobody left goes too
  slots.sweep(4, 0);
  assert.equal(slots.size, 0);
  slots.slot('ns', 'again');
  assert.equal(slots.size, 1);
});
