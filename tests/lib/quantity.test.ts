// The one Kubernetes-quantity parser, with the inputs the earlier parsers disagreed on: each row says what
// every reader now makes of it (see the header of lib/quantity.ts for why).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ActionParams } from '../../lib/schemas.ts';
import {
  cpuMillis,
  formatCpuMillis,
  formatMemoryMi,
  memoryBytes,
  memoryBytesOrNull,
  parseQuantity,
  plainQuantityValue,
  quantityValue,
} from '../../lib/quantity.ts';
import { parseQuantity as collectorQuantity } from '../../collectors/k8s-pod.ts';
import { RemediationPolicy } from '../../remediation/config.ts';

// input → [value in base units or null, millicores or NaN, bytes or NaN]
const CASES: Array<[string, number | null, number, number]> = [
  ['1.5Gi', 1.5 * 2 ** 30, 1.5 * 2 ** 30 * 1000, 1.5 * 2 ** 30],
  ['100m', 0.1, 100, NaN], // a tenth of a byte is not a memory size (meant 100Mi)
  ['1e3', 1000, 1_000_000, 1000],
  ['', null, NaN, NaN],
  ['abc', null, NaN, NaN],
  ['-1', null, NaN, NaN], // no negative requests, limits or usage
  ['1Ki', 1024, 1_024_000, 1024], // binary suffixes are quantities for CPU too, as in the API server
  ['0.5', 0.5, 500, NaN],
];

void test('the disagreeing inputs, read one way', () => {
  for (const [q, value, millis, bytes] of CASES) {
    const r = parseQuantity(q);
    assert.equal(r.ok, value !== null, q);
    assert.equal(quantityValue(q), value, q);
    assert.ok(Object.is(cpuMillis(q), millis), `${q}: ${cpuMillis(q)} millicores`);
    assert.ok(Object.is(memoryBytes(q), bytes), `${q}: ${memoryBytes(q)} bytes`);
    assert.ok(Object.is(collectorQuantity(q), value ?? NaN), `${q} in the collector`);
    // The remediation allow-list and policy accept exactly the quantities this parser accepts.
    const params = { namespace: 'shop', kind: 'Deployment', name: 'web', container: 'web' };
    assert.equal(ActionParams.set_resources.safeParse({ ...params, limits: { cpu: q } }).success, value !== null, `cpu ${q}`);
    assert.equal(ActionParams.set_resources.safeParse({ ...params, limits: { memory: q } }).success, !Number.isNaN(bytes), `memory ${q}`);
    assert.equal(RemediationPolicy.safeParse({ bounds: { maxMemory: q } }).success, !Number.isNaN(bytes), `policy ${q}`);
  }
});

void test('the full syntax: decimal and binary suffixes, exponents, signs, bare points', () => {
  const expect: Array<[string, number]> = [
    ['250m', 0.25],
    ['123456789n', 0.123456789],
    ['5u', 5e-6],
    ['100k', 1e5],
    ['2M', 2e6],
    ['1G', 1e9],
    ['3T', 3e12],
    ['1P', 1e15],
    ['1E', 1e18],
    ['1E3', 1000],
    ['2e-3', 0.002],
    ['512Mi', 512 * 2 ** 20],
    ['1Ti', 2 ** 40],
    ['1Pi', 2 ** 50],
    ['1Ei', 2 ** 60],
    ['+2', 2],
    ['.5', 0.5],
    ['1.', 1],
    ['-0', 0],
    ['0', 0],
  ];
  for (const [q, v] of expect) assert.equal(quantityValue(q), v, q);
  for (const q of ['1K', ' 1', '1 Gi', '1Gi ', '1e', '1e1.5', '1.5.5', '1mi', '1e400', 'Gi', '.'])
    assert.equal(quantityValue(q), null, JSON.stringify(q));
});

void test('decimal suffixes convert without binary rounding error', () => {
  assert.equal(cpuMillis('300m'), 300);
  assert.equal(cpuMillis('0.3'), 300);
  assert.equal(cpuMillis('1.1'), 1100);
  assert.equal(quantityValue('300m'), 0.3);
  assert.equal(memoryBytesOrNull('0.5Ki'), 512);
});

void test('a failed parse says why; numbers are taken as base units', () => {
  const neg = parseQuantity('-1');
  assert.deepEqual(neg, { ok: false, error: '"-1" is negative' });
  const bad = parseQuantity('abc');
  assert.ok(!bad.ok && /not a Kubernetes quantity/.test(bad.error));
  assert.deepEqual(parseQuantity(undefined), { ok: false, error: 'no quantity' });
  assert.deepEqual(parseQuantity(2), { ok: true, value: 2 });
  assert.equal(parseQuantity(-1).ok, false);
  assert.equal(cpuMillis(0.25), 250);
});

void test('limits to write are rounded up to tidy values', () => {
  assert.equal(formatMemoryMi(100 * 2 ** 20), '128Mi');
  assert.equal(formatMemoryMi(1), '64Mi');
  assert.equal(formatCpuMillis(301), '350m');
  assert.equal(formatCpuMillis(10), '50m');
});

void test('plain quantities read from bytes equal the parser value, bit for bit; other forms are left to it', () => {
  const suffixes = ['', 'n', 'u', 'm', 'k', 'M', 'G', 'T', 'P', 'E', 'Ki', 'Mi', 'Gi', 'Ti', 'Pi', 'Ei'];
  const odd = ['K', 'i', 'Mx', 'mi', 'e3', '.5', 'Ki ', 'KiB'];
  fc.assert(
    fc.property(
      fc.stringMatching(/^[0-9]{1,18}$/),
      fc.constantFrom(...suffixes, ...odd),
      fc.integer({ min: 0, max: 3 }),
      (digits, suffix, pad) => {
        const q = digits + suffix;
        // the quantity inside a larger buffer, as the readers see it
        const buf = Buffer.from(`${'x'.repeat(pad)}${q}"`, 'latin1');
        const got = plainQuantityValue(buf, pad, pad + q.length);
        if (digits.length > 15 || !suffixes.includes(suffix)) return got === undefined;
        const want = parseQuantity(q);
        return want.ok && Object.is(got, want.value);
      },
    ),
    { numRuns: 20_000 },
  );
  assert.equal(plainQuantityValue(Buffer.from('12415269n'), 0, 9), 0.012415269);
  assert.equal(plainQuantityValue(Buffer.from('24170Ki'), 0, 7), 24170 * 1024);
  assert.equal(plainQuantityValue(Buffer.from(''), 0, 0), undefined);
  assert.equal(plainQuantityValue(Buffer.from('-1'), 0, 2), undefined);
});
