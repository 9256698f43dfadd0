// The tailer on lines longer than its limit (appended in pieces, read between appends) and on a rotated
// file whose last, unterminated line is blank. Each long line is one malformed row; the rows around it are
// read once. Both once sent the tailer into an endless re-read or a false malformed row.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { CsvTailer } from '../../lib/csv-tailer.ts';
import type { MetricRow } from '../../lib/metrics-csv.ts';
import { memoryLogger } from '../../lib/log.ts';
import { HEADER_LINE, cutsOf, goodRow, rowLine } from '../helpers/csv-stream.ts';

function tempFile(): { file: string; done: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'tailer-long-'));
  return { file: join(dir, 'pod_metrics.csv'), done: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Appends `bytes` cut at `cuts`, reading after each append, then reads until nothing new comes (bounded). */
function feed(tailer: CsvTailer, file: string, bytes: Buffer, cuts: number[]): { rows: MetricRow[]; rejected: number } {
  const got = { rows: [] as MetricRow[], rejected: 0 };
  const take = () => {
    const b = tailer.read();
    got.rows.push(...b.rows);
    got.rejected += b.rejected;
    return b.rows.length + b.rejected;
  };
  let from = 0;
  for (const to of [...cuts, bytes.length]) {
    appendFileSync(file, bytes.subarray(from, to));
    from = to;
    take();
  }
  for (let i = 0; i < 5 && take() > 0; i++);
  return got;
}

const LIMIT = 1024;

void test('property: lines longer than the limit, cut anywhere: each is one malformed row, every good row read once', () => {
  const item = fc.oneof(
    goodRow(0).map((row) => ({ long: false as const, row })),
    fc.integer({ min: LIMIT, max: 4 * LIMIT }).map((len) => ({ long: true as const, len })),
  );
  fc.assert(
    fc.property(
      fc.array(item, { minLength: 1, maxLength: 8 }),
      fc.array(fc.nat(), { maxLength: 10 }),
      fc.integer({ min: 16, max: 2048 }),
      (items, rawCuts, chunkBytes) => {
        let id = 0;
        const lines: string[] = [];
        const ids: number[] = [];
        let longCount = 0;
        for (const it of items) {
          if (it.long) {
            lines.push('x'.repeat(it.len));
            longCount++;
          } else {
            ids.push(id);
            lines.push(rowLine({ ...it.row, cpuPercent: id++ }));
          }
        }
        const bytes = Buffer.from([HEADER_LINE, ...lines].join('\n') + '\n', 'utf8');
        const tf = tempFile();
        writeFileSync(tf.file, '');
        const tailer = new CsvTailer({ path: tf.file, logger: memoryLogger(), chunkBytes, maxLineBytes: LIMIT });
        try {
          const got = feed(tailer, tf.file, bytes, cutsOf(rawCuts, bytes.length));
          assert.deepEqual(
            got.rows.map((r) => r.cpuPercent),
            ids,
          );
          assert.equal(got.rejected, longCount);
          assert.equal(tailer.stats.truncations, 0, 'a long line is not a truncation');
        } finally {
          void tailer.close();
          tf.done();
        }
      },
    ),
    { numRuns: 60 },
  );
});

// With the default options (4 MiB chunks, 1 MiB limit) a line is skipped as over-long once it fills a chunk.
void test('a 5 MiB line with default options, appended in two pieces with a read between: one malformed row, no re-read', () => {
  const tf = tempFile();
  const row = (id: number) => rowLine(fc.sample(goodRow(id), { numRuns: 1, seed: id })[0]!);
  const long = 'y'.repeat(5 * 1024 * 1024);
  const bytes = Buffer.from(`${HEADER_LINE}\n${row(0)}\n${long}\n${row(1)}\n`, 'utf8');
  writeFileSync(tf.file, '');
  const tailer = new CsvTailer({ path: tf.file, logger: memoryLogger() });
  try {
    const half = bytes.indexOf(long.slice(0, 64)) + 4 * 1024 * 1024 + 100; // the first piece ends inside the long line, past a chunk
    const got = feed(tailer, tf.file, bytes, [half]);
    assert.deepEqual(
      got.rows.map((r) => r.cpuPercent),
      [0, 1],
    );
    assert.equal(got.rejected, 1);
    assert.equal(tailer.stats.truncations, 0);
  } finally {
    void tailer.close();
    tf.done();
  }
});

void test('a rotated file ending in a blank CRLF line cut before its line feed: nothing counted as malformed', () => {
  const tf = tempFile();
  const row = rowLine(fc.sample(goodRow(0), { numRuns: 1, seed: 1 })[0]!);
  writeFileSync(tf.file, `${HEADER_LINE}\r\n${row}\r\n`);
  const tailer = new CsvTailer({ path: tf.file, logger: memoryLogger() });
  try {
    assert.equal(tailer.read().rows.length, 1);
    appendFileSync(tf.file, '\r'); // a blank line, its \n not yet written when the file is rotated
    renameSync(tf.file, `${tf.file}.1`);
    writeFileSync(tf.file, `${HEADER_LINE}\r\n`);
    const b = tailer.read();
    assert.equal(tailer.stats.rotations, 1);
    assert.equal(b.rejected, 0);
    assert.equal(tailer.stats.rowsRejected, 0);
  } finally {
    void tailer.close();
    tf.done();
  }
});
