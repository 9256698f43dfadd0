// Properties of the CSV tailer: however a valid stream is cut into appends (torn lines, split UTF-8
// characters, BOM, CRLF, quotes, NUL bytes, bad lines in between) and however often it is read or resumed
// from a checkpoint, the good rows read are exactly the rows written, each once and in order, and every bad
// line is counted once. Truncation and rotation at any point keep that for every row the tailer could see.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, renameSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { CsvTailer } from '../../lib/csv-tailer.ts';
import type { MetricRow } from '../../lib/metrics-csv.ts';
import { memoryLogger } from '../../lib/log.ts';
import { cutsOf, encode, lines, type Line } from '../helpers/csv-stream.ts';

const ids = (rows: MetricRow[]) => rows.map((r) => r.cpuPercent);

function tempFile(): { file: string; done: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'tailer-props-'));
  return { file: join(dir, 'pod_metrics.csv'), done: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Reads until a read brings nothing new (bounded, so a tailer that re-reads forever fails instead of hanging). */
function drain(t: { tailer: CsvTailer }, got: { rows: MetricRow[]; rejected: number }): void {
  for (let i = 0; i < 5; i++) {
    const b = t.tailer.read();
    got.rows.push(...b.rows);
    got.rejected += b.rejected;
    if (b.rows.length === 0 && b.rejected === 0) return;
  }
  assert.fail('the tailer still returned rows after five reads of a file that no longer grows');
}

const plan = fc.record({
  stream: lines(0, 30),
  bom: fc.boolean(),
  crlf: fc.boolean(),
  cuts: fc.array(fc.nat(), { maxLength: 12 }),
  /** After each append: 0 no read, 1 read, 2 close and resume a new tailer from the checkpoint, then read. */
  actions: fc.array(fc.constantFrom(0, 1, 1, 2), { minLength: 13, maxLength: 13 }),
  chunkBytes: fc.integer({ min: 16, max: 2048 }),
  budget: fc.option(fc.integer({ min: 1, max: 4096 }), { nil: undefined }),
});

void test('property: any split of a stream into appends yields exactly the good rows, once, in order; bad lines counted once', () => {
  fc.assert(
    fc.property(plan, (p) => {
      const enc = encode(p.stream, p);
      const tf = tempFile();
      try {
        writeFileSync(tf.file, '');
        const open = (position?: ReturnType<CsvTailer['position']>) =>
          new CsvTailer({ path: tf.file, logger: memoryLogger(), chunkBytes: p.chunkBytes, position });
        const t = { tailer: open() };
        const got = { rows: [] as MetricRow[], rejected: 0 };
        const read = () => {
          const b = t.tailer.read(p.budget);
          got.rows.push(...b.rows);
          got.rejected += b.rejected;
        };
        const cuts = [...cutsOf(p.cuts, enc.bytes.length), enc.bytes.length];
        let from = 0;
        cuts.forEach((to, i) => {
          appendFileSync(tf.file, enc.bytes.subarray(from, to));
          from = to;
          const act = p.actions[i % p.actions.length]!;
          if (act === 2) {
            const pos = t.tailer.position();
            void t.tailer.close();
            t.tailer = open(pos);
          }
          if (act !== 0) read();
        });
        drain(t, got);
        void t.tailer.close();
        assert.deepEqual(ids(got.rows), ids(enc.good));
        assert.deepEqual(got.rows, enc.good);
        assert.equal(got.rejected, enc.bad);
      } finally {
        tf.done();
      }
    }),
    { numRuns: 150 },
  );
});

void test('property: the generated good rows survive the trip through the writer and the reader unchanged', () => {
  fc.assert(
    fc.property(lines(0, 15), fc.boolean(), (stream, crlf) => {
      const enc = encode(stream, { bom: false, crlf });
      const written = stream.filter((l): l is Extract<Line, { kind: 'good' }> => l.kind === 'good').map((l) => l.row);
      assert.deepEqual(enc.good, written);
      assert.equal(enc.bad, stream.filter((l) => l.kind === 'bad').length);
    }),
    { numRuns: 300 },
  );
});

/**
 * Two generations of the file: the first is cut at an arbitrary point (mid-line too) and then truncated
 * (copytruncate) or rotated (renamed away, a new file started). Every row complete in the old file when
 * the tailer last read it, every row left in a rotated file, and every row of the new file is read once.
 */
void test('property: truncation or rotation at any point: every row the tailer could see is read exactly once', () => {
  const scenario = fc.record({
    old: lines(0, 15),
    next: lines(1000, 15),
    crlf: fc.boolean(),
    cut: fc.nat(),
    /** Bytes of the new file appended before the first read after the switch (smaller than the old offset). */
    early: fc.nat(),
    how: fc.constantFrom<'truncate' | 'rotate'>('truncate', 'rotate'),
    resume: fc.boolean(),
    chunkBytes: fc.integer({ min: 16, max: 2048 }),
  });
  fc.assert(
    fc.property(scenario, (s) => {
      const old = encode(s.old, { bom: false, crlf: s.crlf });
      const next = encode(s.next, { bom: false, crlf: s.crlf });
      const cut = s.cut % (old.bytes.length + 1);
      // A blank CRLF line cut between its \r and \n as a rotated file's last line is counted as malformed
      // by the drain: pinned separately in csv-tailer-long-lines.test.ts, left out here.
      fc.pre(s.how === 'truncate' || !/(^|\n)\r$/.test(old.bytes.subarray(0, cut).toString('utf8')));
      const tf = tempFile();
      try {
        writeFileSync(tf.file, old.bytes.subarray(0, cut));
        let tailer = new CsvTailer({ path: tf.file, logger: memoryLogger(), chunkBytes: s.chunkBytes });
        const got = { rows: [] as MetricRow[], rejected: 0 };
        const first = tailer.read();
        got.rows.push(...first.rows);
        got.rejected += first.rejected;
        const offset = tailer.position().offset;
        if (s.resume) {
          const pos = tailer.position();
          void tailer.close();
          tailer = new CsvTailer({ path: tf.file, logger: memoryLogger(), chunkBytes: s.chunkBytes, position: pos });
        }
        // What the tailer had a chance to see of the old file: its complete lines at the read, or, rotated,
        // everything in it (the drain reads a final unterminated line too, which may then be a bad row).
        let expectOld: { good: MetricRow[]; bad: number };
        if (s.how === 'truncate') {
          expectOld = { good: first.rows, bad: first.rejected };
          truncateSync(tf.file, 0);
        } else {
          renameSync(tf.file, `${tf.file}.1`);
          expectOld = oldFileRows(s.old, cut, s.crlf);
        }
        // The new file grows; the tailer polls before it grows past the old offset (a rewrite past the old
        // offset before any read is covered by the example tests: it is detected only by its line boundaries).
        const early = offset === 0 ? 0 : s.early % Math.min(offset, next.bytes.length + 1);
        writeFileSync(tf.file, next.bytes.subarray(0, early));
        const t = { tailer };
        const mid = t.tailer.read();
        got.rows.push(...mid.rows);
        got.rejected += mid.rejected;
        appendFileSync(tf.file, next.bytes.subarray(early));
        drain(t, got);
        void t.tailer.close();
        assert.deepEqual(ids(got.rows), [...ids(expectOld.good), ...ids(next.good)]);
        assert.equal(got.rejected, expectOld.bad + next.bad);
      } finally {
        tf.done();
      }
    }),
    { numRuns: 150 },
  );
});

/** Rows in the first `cut` bytes of a stream, a final unterminated line included (as a rotated file's drain reads it). */
function oldFileRows(stream: Line[], cut: number, crlf: boolean): { good: MetricRow[]; bad: number } {
  const full = encode(stream, { bom: false, crlf });
  const text = full.bytes.subarray(0, cut).toString('utf8');
  const nl = text.indexOf('\n');
  if (nl < 0) return { good: [], bad: 0 }; // the header is not complete: nothing can be read
  const body = text.slice(nl + 1).replace(/\n$/, '');
  const parsed = encode(
    body === '' ? [] : body.split('\n').map((t): Line => (t === '' || t === '\r' ? { kind: 'blank', text: t } : { kind: 'bad', text: t })),
    { bom: false, crlf: false },
  );
  return { good: parsed.good, bad: parsed.bad };
}
