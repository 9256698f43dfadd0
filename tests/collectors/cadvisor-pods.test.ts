// The per-pod cAdvisor aggregates: the largest rate per interface summed over interfaces, filesystem
// counters summed over containers with the pod cgroup as the fallback, a pod served by two nodes' pages
// in one tick (samples interleaved, as pages are scanned side by side), slots freed and reused, and the
// slab growing past its first size.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CadvisorPods } from '../../collectors/cadvisor-pods.ts';

const RX = 0;
const FS = 1;
const IS_NETWORK = [true, false];
const labels = (ns: string, pod: string, container: string, iface?: string) => [ns, pod, undefined, container, undefined, iface];
const at = (s: number) => () => s;

void test('network: the largest rate per interface, summed over interfaces; NaN before a rate exists', () => {
  const c = new CadvisorPods(IS_NETWORK);
  const values = [
    [1000, 5000],
    [2000, 9000],
  ];
  let page = new Map<string, number>();
  for (let t = 0; t < 2; t++) {
    c.beginTick();
    page = new Map<string, number>();
    const [eth0, eth1] = values[t]!;
    // Two cgroups see eth0 (the same network namespace): their rates are the same series twice, not a sum.
    c.add(page, RX, labels('ns', 'a', 'POD', 'eth0'), eth0!, t * 10_000, at(0));
    c.add(page, RX, labels('ns', 'a', 'app', 'eth0'), eth0!, t * 10_000, at(0));
    c.add(page, RX, labels('ns', 'a', 'POD', 'eth1'), eth1!, t * 10_000, at(0));
    if (t === 0) assert.ok(Number.isNaN(c.network(page.get('ns/a'), RX)), 'no rate on the first sample');
    c.sweep();
  }
  assert.equal(c.network(page.get('ns/a'), RX), 100 + 400);
  assert.ok(Number.isNaN(c.network(page.get('ns/missing'), RX)));
  assert.ok(Number.isNaN(c.fs(page.get('ns/a'), FS)), 'a metric without samples is NaN');
});

void test('filesystem: containers summed; the pod cgroup only when no container series is served', () => {
  const c = new CadvisorPods(IS_NETWORK);
  c.beginTick();
  const page = new Map<string, number>();
  c.add(page, FS, labels('ns', 'a', 'app'), 10, 0, at(0));
  c.add(page, FS, labels('ns', 'a', 'sidecar'), 5, 0, at(0));
  c.add(page, FS, labels('ns', 'a', ''), 100, 0, at(0));
  c.add(page, FS, labels('ns', 'b', ''), 7, 0, at(0));
  assert.equal(c.fs(page.get('ns/a'), FS), 15);
  assert.equal(c.fs(page.get('ns/b'), FS), 7);
  // the next tick starts each pod afresh
  c.beginTick();
  const next = new Map<string, number>();
  c.add(next, FS, labels('ns', 'a', 'app'), 1, 0, at(0));
  assert.equal(c.fs(next.get('ns/a'), FS), 1);
  assert.equal(next.get('ns/b'), undefined);
});

void test('a pod on two pages in one tick, samples interleaved: each page keeps its own aggregate', () => {
  const c = new CadvisorPods(IS_NETWORK);
  c.beginTick();
  const nodeA = new Map<string, number>();
  const nodeB = new Map<string, number>();
  c.add(nodeA, FS, labels('ns', 'moved', 'app'), 1, 0, at(0));
  c.add(nodeB, FS, labels('ns', 'moved', 'app'), 20, 0, at(0));
  c.add(nodeA, FS, labels('ns', 'moved', 'side'), 2, 0, at(0));
  c.add(nodeB, FS, labels('ns', 'moved', 'side'), 30, 0, at(0));
  assert.equal(c.fs(nodeA.get('ns/moved'), FS), 3);
  assert.equal(c.fs(nodeB.get('ns/moved'), FS), 50);
  // The lent slot comes back next tick; the pod's own slot serves it again.
  c.beginTick();
  const again = new Map<string, number>();
  c.add(again, FS, labels('ns', 'moved', 'app'), 4, 0, at(0));
  assert.equal(c.fs(again.get('ns/moved'), FS), 4);
  assert.equal(again.get('ns/moved'), nodeA.get('ns/moved'));
});

void test('thousands of pods: the slab grows, values stay apart, gone pods free their slots for new ones', () => {
  const c = new CadvisorPods(IS_NETWORK);
  const n = 5000;
  c.beginTick();
  let page = new Map<string, number>();
  for (let i = 0; i < n; i++) c.add(page, FS, labels('ns', `p${i}`, 'app'), i, 0, at(0));
  for (let i = 0; i < n; i++) assert.equal(c.fs(page.get(`ns/p${i}`), FS), i);
  assert.equal(new Set(page.values()).size, n, 'one slot per pod');
  const slots = new Set(page.values());
  c.sweep();
  // The filesystem-only pods have no counter series: not seen for a tick, they are forgotten.
  c.beginTick();
  c.sweep();
  c.beginTick();
  page = new Map<string, number>();
  for (let i = 0; i < n; i++) c.add(page, FS, labels('other', `q${i}`, 'app'), -i, 0, at(0));
  for (let i = 0; i < n; i++) assert.equal(c.fs(page.get(`other/q${i}`), FS), -i);
  assert.ok(
    [...page.values()].every((s) => slots.has(s)),
    'new pods take the freed slots',
  );
});
