// Regression tests for hostile CSV input to the tailer and the dataset agent: over-long lines, a final
// line without its newline, and rejections that must be counted and logged.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { CsvTailer } from '../../lib/csv-tailer.ts';
import type { MetricRow } from '../../lib/metrics-csv.ts';
import { HEADER, cpus, range, rows, text } from '../helpers/ramp-rows.ts';
import { memoryLogger } from '../../lib/log.ts';
import { RejectLog } from '../../lib/reject-log.ts';
import { PodInsights } from '../../lib/schemas.ts';

const ROOT = resolve(import.meta.dirname, '..', '..');

function tmp(): { dir: string; file: (n: string) => string; done: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'defects-csv-'));
  return { dir, file: (n) => join(dir, n), done: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Reads until a read returns nothing new (at most `max` reads, so a regression cannot spin forever). */
function drain(tailer: CsvTailer, maxBytes: number, max = 500): { rows: MetricRow[]; rejected: number; reads: number } {
  const out: MetricRow[] = [];
  let rejected = 0;
  for (let reads = 1; reads <= max; reads++) {
    const b = tailer.read(maxBytes);
    out.push(...b.rows);
    rejected += b.rejected;
    if (b.rows.length === 0 && b.rejected === 0 && b.bytes === 0) return { rows: out, rejected, reads };
  }
  return { rows: out, rejected, reads: Infinity };
}

void test('an over-long line skipped across several reads is one rejected row, not a truncation', () => {
  const t = tmp();
  writeFileSync(t.file('m.csv'), HEADER + text(rows(0, 20)) + 'z'.repeat(10_000) + '\n' + text(rows(20, 20)));
  const log = memoryLogger();
  const tailer = new CsvTailer({ path: t.file('m.csv'), logger: log, chunkBytes: 1024, maxLineBytes: 2048 });
  const r = drain(tailer, 1024); // a read budget smaller than the line: the skip spans reads
  assert.ok(Number.isFinite(r.reads), 'the tailer keeps making progress and then stops');
  assert.deepEqual(cpus(r.rows), range(0, 40));
  assert.equal(r.rejected, 1);
  assert.equal(tailer.stats.truncations, 0);
  assert.ok(log.records.some((x) => x.level === 'warn' && x.fields?.line === 22 && /longer than/.test(String(x.fields?.reason))));
  void tailer.close();
  t.done();
});

void test('mid-skip, the position stays at the start of the over-long line: resuming there skips it again', () => {
  const t = tmp();
  writeFileSync(t.file('m.csv'), HEADER + text(rows(0, 3)) + 'z'.repeat(10_000) + '\n' + text(rows(3, 2)));
  const tailer = new CsvTailer({ path: t.file('m.csv'), logger: memoryLogger(), chunkBytes: 1024, maxLineBytes: 2048 });
  assert.deepEqual(cpus(tailer.read(1024).rows), [0, 1, 2]);
  tailer.read(1024); // now inside the long line
  const pos = tailer.position();
  assert.equal(
    readFileSync(t.file('m.csv'))
      .subarray(pos.offset - 1, pos.offset)
      .toString(),
    '\n',
  );
  assert.equal(pos.lineNo, 4);
  void tailer.close();
  const resumed = new CsvTailer({ path: t.file('m.csv'), logger: memoryLogger(), chunkBytes: 1024, maxLineBytes: 2048, position: pos });
  const r = drain(resumed, 1024);
  assert.deepEqual(cpus(r.rows), [3, 4]);
  assert.equal(r.rejected, 1);
  assert.equal(resumed.stats.truncations, 0);
  void resumed.close();
  t.done();
});

void test('a line over the limit inside one chunk is rejected too, whatever its fields', () => {
  const t = tmp();
  const long = text(rows(1, 1)).replace('web-1', 'w'.repeat(3000));
  writeFileSync(t.file('m.csv'), HEADER + text(rows(0, 1)) + long + text(rows(2, 1)));
  const tailer = new CsvTailer({ path: t.file('m.csv'), logger: memoryLogger(), chunkBytes: 64 * 1024, maxLineBytes: 2048 });
  const b = tailer.read();
  assert.deepEqual(cpus(b.rows), [0, 2]);
  assert.equal(b.rejected, 1);
  void tailer.close();
  t.done();
});

/** Runs the agent CLI in a child process; a hang is killed after `ms` and fails the test. */
function runAgent(args: string[], ms = 90_000): Promise<{ code: number | null; out: string; err: string; hung: boolean }> {
  return new Promise((res) => {
    const c = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'agents/dataset-generator-agent.ts'), ...args], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    c.stdout.on('data', (d: Buffer) => (out += d.toString()));
    c.stderr.on('data', (d: Buffer) => {
      if (err.length < 1_000_000) err += d.toString();
    });
    let hung = false;
    const timer = setTimeout(() => {
      hung = true;
      c.kill('SIGKILL');
    }, ms);
    c.on('exit', (code) => {
      clearTimeout(timer);
      res({ code, out, err, hung });
    });
  });
}

void test('dataset agent --once: a 2 MiB line between rows is one rejected row with a warning; the 40 rows are scored', async () => {
  const t = tmp();
  writeFileSync(t.file('long.csv'), HEADER + text(rows(0, 20)) + 'x'.repeat(2 * 1024 * 1024) + '\n' + text(rows(20, 20)));
  const r = await runAgent([
    '--input-file',
    t.file('long.csv'),
    '--insights-file',
    t.file('i.json'),
    '--log-dir',
    t.file('logs'),
    '--detector',
    'zscore',
    '--once',
    '--from-start',
  ]);
  assert.equal(r.hung, false, 'the agent finished');
  assert.equal(r.code, 0, r.err.slice(0, 2000));
  const ins = PodInsights.parse(JSON.parse(readFileSync(t.file('i.json'), 'utf8')));
  assert.equal(ins.rows_read, 40);
  assert.equal(ins.rows_rejected, 1);
  assert.match(r.err, /line longer than/);
  assert.doesNotMatch(r.err, /truncated/);
  t.done();
});

void test('dataset agent --once: a complete final row without its newline is scored, not dropped', async () => {
  const t = tmp();
  writeFileSync(t.file('m.csv'), HEADER + text(rows(0, 5)).replace(/\n$/, ''));
  const r = await runAgent([
    '--input-file',
    t.file('m.csv'),
    '--insights-file',
    t.file('i.json'),
    '--log-dir',
    t.file('logs'),
    '--detector',
    'zscore',
    '--once',
    '--from-start',
  ]);
  assert.equal(r.code, 0, r.err);
  const ins = PodInsights.parse(JSON.parse(readFileSync(t.file('i.json'), 'utf8')));
  assert.equal(ins.rows_read, 5);
  assert.equal(ins.pods[0]?.timestamp, rows(4, 1)[0]!.timestamp);
  assert.match(r.err, /has no newline/);
  t.done();
});

void test('dataset agent --once: a file without any LF (bare CR line ends) is an error, not "0 rows"', async () => {
  const t = tmp();
  writeFileSync(t.file('m.csv'), (HEADER + text(rows(0, 5))).replace(/\n/g, '\r'));
  const r = await runAgent([
    '--input-file',
    t.file('m.csv'),
    '--insights-file',
    t.file('i.json'),
    '--log-dir',
    t.file('logs'),
    '--detector',
    'zscore',
    '--once',
    '--from-start',
  ]);
  assert.equal(r.code, 1, r.err);
  assert.match(r.err, /carriage return/);
  t.done();
});

void test('dataset agent --once: duplicate and out-of-order rows are counted and logged with their reason', async () => {
  const t = tmp();
  const r0 = rows(0, 10);
  // row 3 twice, then row 1 again after row 5
  const body = [...r0.slice(0, 4), r0[3]!, r0[4]!, r0[5]!, r0[1]!, ...r0.slice(6)];
  writeFileSync(t.file('m.csv'), HEADER + text(body));
  const r = await runAgent([
    '--input-file',
    t.file('m.csv'),
    '--insights-file',
    t.file('i.json'),
    '--log-dir',
    t.file('logs'),
    '--detector',
    'zscore',
    '--once',
    '--from-start',
  ]);
  assert.equal(r.code, 0, r.err);
  const ins = PodInsights.parse(JSON.parse(readFileSync(t.file('i.json'), 'utf8')));
  assert.equal(ins.rows_read, 12);
  assert.equal(ins.rows_rejected, 2);
  assert.match(r.err, new RegExp(`rejected row default/web-1 at ${r0[3]!.timestamp}: duplicate`));
  assert.match(r.err, new RegExp(`rejected row default/web-1 at ${r0[1]!.timestamp}: out of order`));
  t.done();
});

void test('RejectLog: the first few per reason one by one, then one summary per window, the counts kept', () => {
  const log = memoryLogger();
  let now = 0;
  const rl = new RejectLog(log, 'rows rejected', { perReason: 2, windowMs: 60_000, now: () => now });
  for (let i = 0; i < 5; i++) rl.reject('duplicate', `dup ${i}`);
  rl.reject('late', 'late 0');
  assert.deepEqual(
    log.records.map((r) => r.msg),
    ['dup 0', 'dup 1', 'late 0'],
  );
  rl.flush(); // the window is not over: nothing yet
  assert.equal(log.records.length, 3);
  now = 61_000;
  rl.flush();
  assert.equal(log.records.length, 4);
  assert.match(log.records[3]!.msg, /^3 more rows rejected in the last 61 s .*duplicate 3/);
  rl.reject('duplicate', 'dup 5'); // a new window: logged again
  assert.equal(log.records.at(-1)!.msg, 'dup 5');
});

void test('readUnterminated: the last line without its newline is a row, and the position stays before it', () => {
  const t = tmp();
  writeFileSync(t.file('m.csv'), HEADER + text(rows(0, 3)).replace(/\n$/, ''));
  const tailer = new CsvTailer({ path: t.file('m.csv'), logger: memoryLogger() });
  assert.deepEqual(cpus(tailer.read().rows), [0, 1]);
  const before = tailer.position();
  const last = tailer.readUnterminated();
  assert.deepEqual(cpus(last.rows), [2]);
  assert.deepEqual(tailer.position(), before);
  void tailer.close();
  t.done();
});
