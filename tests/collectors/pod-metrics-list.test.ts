// The PodMetricsList byte reader against JSON.parse (the oracle): for generated lists (extra fields of
// any JSON, odd types where strings belong, escapes and non-ASCII names, repeated keys, any spacing) it
// reports what JSON.parse's objects hold; for bodies cut short or with a byte changed it throws exactly
// when JSON.parse throws.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { PodMetricsListReader } from '../../collectors/pod-metrics-list.ts';
import { parseQuantity } from '../../collectors/k8s-pod.ts';

type Row = [string | undefined, string | undefined, string | undefined, number, number];

/** The oracle: the same fields read from JSON.parse's objects (non-strings absent, as the reader documents). */
function oracle(text: string): Row[] {
  const list = JSON.parse(text) as unknown;
  const obj = (v: unknown) => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined);
  const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
  const qty = (v: unknown) => (typeof v === 'string' || typeof v === 'number' ? parseQuantity(v) : NaN);
  const items = obj(list)?.items;
  if (!Array.isArray(items)) return [];
  const rows: Row[] = [];
  for (const raw of items) {
    const item = obj(raw);
    if (!item) continue;
    const meta = obj(item.metadata);
    let cpu = 0;
    let mem = 0;
    if (Array.isArray(item.containers)) {
      for (const c of item.containers) {
        const co = obj(c);
        if (!co) continue;
        const usage = obj(co.usage);
        cpu += qty(usage?.cpu);
        mem += qty(usage?.memory);
      }
    }
    rows.push([str(meta?.namespace), str(meta?.name), str(item.timestamp), cpu, mem]);
  }
  return rows;
}

function read(text: string | Buffer): Row[] {
  const rows: Row[] = [];
  new PodMetricsListReader().read(Buffer.isBuffer(text) ? text : Buffer.from(text), (...r) => rows.push(r));
  return rows;
}

const name = fc.oneof(fc.constantFrom('web-1', 'db-0', 'é-pod', '日本', 'we"ird\\pod', 'tab\tname'), fc.string({ maxLength: 8 }));
const odd = fc.oneof(fc.constant(null), fc.integer(), fc.boolean(), fc.constant({}), fc.constant([]));
const quantity = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom('250m', '12415269n', '24170Ki', '1Gi', '2', '1e3') },
  // digits and a suffix (the form read from the bytes), and its near misses (too long, bad suffixes)
  {
    weight: 3,
    arbitrary: fc
      .tuple(fc.stringMatching(/^[0-9]{1,17}$/), fc.constantFrom('', 'n', 'u', 'm', 'k', 'M', 'E', 'Ki', 'Ei', 'K', 'i', 'Mx', 'mi'))
      .map(([d, s]) => d + s),
  },
  fc.constantFrom('', 'lots', '-1', '0.5', '+1', '1.', '1 '),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  odd,
);
const extra = fc.dictionary(fc.constantFrom('kind', 'apiVersion', 'window', 'labels', 'x', 'name'), fc.jsonValue({ maxDepth: 2 }), {
  maxKeys: 3,
});
const container = fc.oneof(
  {
    weight: 8,
    arbitrary: fc.record(
      { name: fc.option(name), usage: fc.option(fc.oneof(fc.record({ cpu: quantity, memory: quantity }, { requiredKeys: [] }), odd)) },
      { requiredKeys: [] },
    ),
  },
  { weight: 1, arbitrary: odd },
);
const item = fc.oneof(
  {
    weight: 8,
    arbitrary: fc
      .tuple(
        fc.record(
          {
            metadata: fc.oneof(
              fc.record(
                { name: fc.oneof({ weight: 4, arbitrary: name }, odd), namespace: fc.oneof({ weight: 4, arbitrary: name }, odd) },
                { requiredKeys: [] },
              ),
              odd,
            ),
            timestamp: fc.oneof(fc.constantFrom('2026-12-07T05:24:25Z', 'x'), odd),
            containers: fc.oneof(fc.array(container, { maxLength: 3 }), odd),
          },
          { requiredKeys: [] },
        ),
        extra,
      )
      .map(([fields, more]) => ({ ...more, ...fields })),
  },
  { weight: 1, arbitrary: odd },
);
const list = fc
  .record(
    {
      kind: fc.constant('PodMetricsList'),
      metadata: fc.jsonValue({ maxDepth: 1 }),
      items: fc.oneof({ weight: 9, arbitrary: fc.array(item, { maxLength: 6 }) }, { weight: 1, arbitrary: odd }),
    },
    { requiredKeys: [] },
  )
  .chain((l) => fc.tuple(fc.constant(l), fc.constantFrom(undefined, 2, '\t')))
  .map(([l, indent]) => JSON.stringify(l, null, indent));

void test('the reader finds what JSON.parse finds, item by item', () => {
  const bodies = fc.sample(list, { numRuns: 300, seed: 3 });
  const usable = bodies.reduce((n, b) => n + oracle(b).filter((r) => r[1] !== undefined && Number.isFinite(r[3])).length, 0);
  assert.ok(usable > 80, `the generator makes usable items, not only noise (${usable})`);
  fc.assert(
    fc.property(list, (text) => {
      assert.deepStrictEqual(read(text), oracle(text));
    }),
    { numRuns: 3000 },
  );
});

void test('a repeated key: the last value wins, as in JSON.parse', () => {
  const text =
    '{"items":[{"metadata":{"name":"a","namespace":"x"},"metadata":{"name":"b"},"timestamp":"t1","timestamp":"t2",' +
    '"containers":[{"usage":{"cpu":"1"}}],"containers":[{"usage":{"cpu":"2","cpu":"3","memory":"1Ki"}}]}]}';
  assert.deepStrictEqual(read(text), oracle(text));
  assert.deepStrictEqual(read(text), [[undefined, 'b', 't2', 3, 1024]]);
});

void test('keys written with escapes are the same keys, as in JSON.parse', () => {
  const text =
    '{"\\u0069tems":[{"meta\\u0064ata":{"na\\u006de":"a","namespace":"x"},"timestamp":"t",' +
    '"containers":[{"usage":{"c\\u0070u":"1","memory":"1Ki"}},{"usage":{"cpu":"2","memor\\u0079":"2Ki"}}, 7]}]}';
  assert.deepStrictEqual(read(text), oracle(text));
  assert.deepStrictEqual(read(text), [['x', 'a', 't', 3, 3072]]);
});

void test('a body cut short or with one byte changed is refused exactly when JSON.parse refuses it', () => {
  fc.assert(
    fc.property(list, fc.nat(), fc.integer({ min: 0, max: 255 }), fc.boolean(), (text, at, byte, cut) => {
      const body = Buffer.from(text);
      const broken = cut ? body.subarray(0, at % (body.length + 1)) : Buffer.from(body);
      if (!cut) broken[at % body.length] = byte;
      let expected: Row[] | 'throws';
      try {
        expected = oracle(broken.toString('utf8'));
      } catch {
        expected = 'throws';
      }
      let got: Row[] | 'throws';
      try {
        got = read(broken);
      } catch (err) {
        assert.ok(err instanceof SyntaxError, `a SyntaxError, not ${String(err)}`);
        got = 'throws';
      }
      assert.deepStrictEqual(got, expected);
    }),
    { numRuns: 5000 },
  );
});
