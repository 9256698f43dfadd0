// The byte interner gives back what decoding the bytes would, whatever the bytes (ASCII, multi-byte
// UTF-8, invalid sequences) and however many share a hash slot, the first time and every time after.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ByteInterner, FNV_BASIS, FNV_PRIME } from '../../collectors/byte-interner.ts';

function fnv(buf: Buffer, from: number, to: number): number {
  let h = FNV_BASIS;
  for (let i = from; i < to; i++) h = Math.imul(h ^ buf[i]!, FNV_PRIME);
  return h;
}

void test('interned values decode as Buffer.toString does, for any bytes, on first sight and after', () => {
  fc.assert(
    fc.property(fc.array(fc.uint8Array({ maxLength: 12 }), { minLength: 1, maxLength: 60 }), (values) => {
      const interner = new ByteInterner();
      for (let round = 0; round < 2; round++) {
        for (const v of values) {
          // Each value sits inside a larger buffer, as label values sit inside a page.
          const buf = Buffer.concat([Buffer.from('x="'), Buffer.from(v), Buffer.from('"')]);
          const got = interner.get(buf, 3, 3 + v.length, fnv(buf, 3, 3 + v.length));
          assert.equal(got, Buffer.from(v).toString('utf8'));
        }
      }
      assert.ok(interner.size <= new Set(values.map((v) => Buffer.from(v).toString('hex'))).size, 'each distinct value held once');
    }),
    { numRuns: 500 },
  );
});

void test('values whose hashes collide (one hash given for all) are still told apart', () => {
  const interner = new ByteInterner();
  const names = Array.from({ length: 3000 }, (_, i) => `p-${i}`);
  for (let round = 0; round < 2; round++) for (const n of names) assert.equal(interner.get(Buffer.from(n), 0, n.length, 42), n);
  assert.equal(interner.size, names.length);
});
