import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, renameSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CsvTailer, CsvHeaderError } from '../../lib/csv-tailer.ts';
import { HEADER, cpus, range, rows, text } from '../helpers/ramp-rows.ts';
import { memoryLogger } from '../../lib/log.ts';

function tmp(): { dir: string; file: string; done: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'tailer-'));
  return { dir, file: join(dir, 'pod_metrics.csv'), done: () => rmSync(dir, { recursive: true, force: true }) };
}

void test('reads complete lines only and finishes a torn last line on the next read', () => {
  const t = tmp();
  const full = text(rows(0, 3));
  const cut = full.length - 10; // the third row is torn
  writeFileSync(t.file, HEADER + full.slice(0, cut));
  const tailer = new CsvTailer({ path: t.file, logger: memoryLogger() });
  const a = tailer.read();
  assert.deepEqual(cpus(a.rows), [0, 1]);
  assert.equal(a.rejected, 0);
  assert.deepEqual(tailer.read().rows, []); // still torn: nothing
  appendFileSync(t.file, full.slice(cut));
  const b = tailer.read();
  assert.deepEqual(cpus(b.rows), [2]);
  assert.equal(tailer.stats.rowsRead, 3);
  assert.equal(tailer.stats.rowsRejected, 0);
  void tailer.close();
  t.done();
});

void test('a file without its header yet (or torn header) yields nothing until the header is complete', () => {
  const t = tmp();
  writeFileSync(t.file, HEADER.slice(0, 20));
  const tailer = new CsvTailer({ path: t.file, logger: memoryLogger() });
  assert.deepEqual(tailer.read().rows, []);
  appendFileSync(t.file, HEADER.slice(20) + text(rows(0, 2)));
  assert.deepEqual(cpus(tailer.read().rows), [0, 1]);
  void tailer.close();
  t.done();
});

void test('a missing file is waited for, not an error', () => {
  const t = tmp();
  const tailer = new CsvTailer({ path: t.file, logger: memoryLogger() });
  assert.deepEqual(tailer.read().rows, []);
  writeFileSync(t.file, HEADER + text(rows(0, 2)));
  assert.deepEqual(cpus(tailer.read().rows), [0, 1]);
  void tailer.close();
  t.done();
});

void test('follows truncation: restarts from the header', () => {
  const t = tmp();
  writeFileSync(t.file, HEADER + text(rows(0, 5)));
  const log = memoryLogger();
  const tailer = new CsvTailer({ path: t.file, logger: log });
  assert.equal(tailer.read().rows.length, 5);
  truncateSync(t.file, 0);
  appendFileSync(t.file, HEADER + text(rows(100, 2)));
  const b = tailer.read();
  assert.deepEqual(cpus(b.rows), [100, 101]);
  assert.equal(tailer.stats.truncations, 1);
  assert.ok(log.records.some((r) => r.msg.includes('truncated')));
  void tailer.close();
  t.done();
});

void test('follows rotation: drains the old file (even its unterminated last line), then reads the new one', () => {
  const t = tmp();
  writeFileSync(t.file, HEADER + text(rows(0, 3)));
  const tailer = new CsvTailer({ path: t.file, logger: memoryLogger() });
  assert.deepEqual(cpus(tailer.read().rows), [0, 1, 2]);
  // More rows land in the old file, then it is renamed away and a new file starts.
  const more = text(rows(3, 2));
  appendFileSync(t.file, more.slice(0, -1)); // last row without its newline
  renameSync(t.file, t.file + '.1');
  writeFileSync(t.file, HEADER + text(rows(5, 2)));
  const b = tailer.read();
  assert.deepEqual(cpus(b.rows), [3, 4, 5, 6]);
  assert.equal(tailer.stats.rotations, 1);
  assert.equal(tailer.position().lineNo, 3);
  void tailer.close();
  t.done();
});

void test('malformed rows are counted, skipped and logged with their line numbers', () => {
  const t = tmp();
  const good = text(rows(0, 2)).split('\n');
  const bad = text(rows(2, 1)).replace(',2,10,', ',abc,10,'); // non-numeric CPU
  const outOfRange = text(rows(3, 1)).replace(',3,10,', ',-5,10,');
  writeFileSync(t.file, HEADER + good[0] + '\nnot,a,row\n' + bad + good[1] + '\n' + outOfRange + '\n\n' + text(rows(4, 1)));
  const log = memoryLogger();
  const tailer = new CsvTailer({ path: t.file, logger: log });
  const b = tailer.read();
  assert.deepEqual(cpus(b.rows), [0, 1, 4]);
  assert.equal(b.rejected, 3);
  assert.equal(tailer.stats.rowsRejected, 3);
  const lines = log.records.filter((r) => r.msg.startsWith('skipped malformed row')).map((r) => r.fields?.line);
  assert.deepEqual(lines, [3, 4, 6]);
  assert.ok(log.records.some((r) => String(r.fields?.reason).includes('non-numeric')));
  assert.ok(log.records.some((r) => String(r.fields?.reason).includes('out of range')));
  void tailer.close();
  t.done();
});

void test('malformed-row logging is rate-limited', () => {
  const t = tmp();
  writeFileSync(t.file, HEADER + 'x\n'.repeat(50));
  const log = memoryLogger();
  const tailer = new CsvTailer({ path: t.file, logger: log, malformedLogsPerMinute: 5 });
  assert.equal(tailer.read().rejected, 50);
  assert.equal(log.records.filter((r) => r.msg.startsWith('skipped malformed row')).length, 5);
  void tailer.close();
  t.done();
});

void test('a header without required columns is one clear error naming them', () => {
  const t = tmp();
  writeFileSync(t.file, 'Time,Namespace,CPU Usage (%)\n2026-01-01T00:00:00Z,default,5\n');
  const tailer = new CsvTailer({ path: t.file, logger: memoryLogger() });
  assert.throws(
    () => tailer.read(),
    (err: unknown) => err instanceof CsvHeaderError && /"Timestamp"/.test(err.message) && /"Pod Name"/.test(err.message),
  );
  void tailer.close();
  t.done();
});

void test('resumes from a checkpointed position: nothing read twice, nothing lost (small chunks too)', () => {
  const t = tmp();
  writeFileSync(t.file, HEADER + text(rows(0, 40)));
  const first = new CsvTailer({ path: t.file, logger: memoryLogger(), chunkBytes: 300 });
  const a = first.read(2000); // a partial read, stopped by its budget
  assert.ok(a.rows.length > 0 && a.rows.length < 40);
  const pos = first.position();
  void first.close();
  appendFileSync(t.file, text(rows(40, 10)));
  const second = new CsvTailer({ path: t.file, logger: memoryLogger(), position: pos, chunkBytes: 300 });
  const b = second.read();
  assert.deepEqual([...cpus(a.rows), ...cpus(b.rows)], range(0, 50));
  assert.equal(second.position().lineNo, 51);
  void second.close();
  t.done();
});

void test('resumes across a rotation that happened while stopped: finishes the rotated file first', () => {
  const t = tmp();
  writeFileSync(t.file, HEADER + text(rows(0, 4)));
  const first = new CsvTailer({ path: t.file, logger: memoryLogger() });
  assert.equal(first.read().rows.length, 4);
  const pos = first.position();
  void first.close();
  appendFileSync(t.file, text(rows(4, 2)));
  renameSync(t.file, t.file + '.1');
  writeFileSync(t.file, HEADER + text(rows(6, 3)));
  const second = new CsvTailer({ path: t.file, logger: memoryLogger(), position: pos });
  assert.deepEqual(cpus(second.read().rows), range(4, 5));
  void second.close();
  t.done();
});

void test('resume after truncation while stopped reads the new content from its header', () => {
  const t = tmp();
  writeFileSync(t.file, HEADER + text(rows(0, 10)));
  const first = new CsvTailer({ path: t.file, logger: memoryLogger() });
  first.read();
  const pos = first.position();
  void first.close();
  writeFileSync(t.file, HEADER + text(rows(50, 2))); // same inode, shorter
  const second = new CsvTailer({ path: t.file, logger: memoryLogger(), position: pos });
  assert.deepEqual(cpus(second.read().rows), [50, 51]);
  void second.close();
  t.done();
});

void test('a line longer than the limit is skipped as one malformed row', () => {
  const t = tmp();
  writeFileSync(t.file, HEADER + text(rows(0, 1)) + 'y'.repeat(5000) + '\n' + text(rows(1, 1)));
  const log = memoryLogger();
  const tailer = new CsvTailer({ path: t.file, logger: log, chunkBytes: 1024, maxLineBytes: 2048 });
  const b = tailer.read();
  assert.deepEqual(cpus(b.rows), [0, 1]);
  assert.equal(b.rejected, 1);
  assert.ok(log.records.some((r) => r.fields?.line === 3));
  void tailer.close();
  t.done();
});

void test('watch() signals growth of the file', async () => {
  const t = tmp();
  writeFileSync(t.file, HEADER);
  const tailer = new CsvTailer({ path: t.file, logger: memoryLogger() });
  tailer.read();
  const got: number[] = [];
  await new Promise<void>((resolve) => {
    tailer.watch(() => {
      got.push(...cpus(tailer.read().rows));
      if (got.length >= 2) resolve();
    }, 50);
    appendFileSync(t.file, text(rows(0, 2)));
  });
  assert.deepEqual(got, [0, 1]);
  await tailer.close();
  t.done();
});

void test('truncated and rewritten past the old offset between reads: detected, read again from the header', () => {
  const t = tmp();
  writeFileSync(t.file, HEADER + text(rows(0, 3)));
  const log = memoryLogger();
  const tailer = new CsvTailer({ path: t.file, logger: log });
  assert.equal(tailer.read().rows.length, 3);
  // copytruncate, then a burst longer than before: the old offset now falls inside a line
  writeFileSync(t.file, HEADER + 'x'.repeat(7) + '\n' + text(rows(200, 6)));
  const b = tailer.read();
  assert.deepEqual(cpus(b.rows), range(200, 6));
  assert.equal(b.rejected, 1); // the 'xxxxxxx' line
  assert.equal(tailer.stats.truncations, 1);
  void tailer.close();
  t.done();
});
