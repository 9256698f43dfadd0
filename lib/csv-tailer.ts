// Tails pod_metrics.csv by byte offset: reads only complete lines (a torn last line is finished on a
// later read), follows truncation (size < offset: start again from the header) and rotation (the path
// now names another inode: drain the old file, then read the new one from its beginning), counts and
// skips malformed rows, and exposes its position so a checkpoint can resume it exactly.
// Reads are synchronous, in big chunks, one decode and one split per chunk: this is the hot path of the
// dataset-generator agent (tens of thousands of rows per second).
import { closeSync, fstatSync, openSync, readSync, readdirSync, statSync, type Stats } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { watch, type FSWatcher } from 'chokidar';
import { CsvHeaderError, MetricsCsvSchema, type MetricRow } from './metrics-csv.ts';
import type { Logger } from './log.ts';
import { RejectLog } from './reject-log.ts';

/** Where the tailer stands: the file (by inode), the byte after the last consumed line, and its line number. */
export interface TailPosition {
  inode: number;
  offset: number;
  /** Lines consumed so far in that file (the header is line 1). */
  lineNo: number;
}

export interface TailBatch {
  rows: MetricRow[];
  /** Malformed rows skipped in this batch. */
  rejected: number;
  /** Bytes consumed by this batch: 0 when nothing new was complete (skipping an over-long line consumes bytes without rows). */
  bytes: number;
  /** Position after this batch (checkpoint it once the rows are processed). */
  position: TailPosition;
}

export interface TailerStats {
  rowsRead: number;
  rowsRejected: number;
  bytesRead: number;
  truncations: number;
  rotations: number;
}

export interface CsvTailerOptions {
  path: string;
  logger: Logger;
  /** Resume here (from a checkpoint); default: the beginning of the file. */
  position?: TailPosition | undefined;
  /** Bytes read per chunk (default 4 MiB). */
  chunkBytes?: number;
  /** Longer lines are skipped as malformed (default 1 MiB). */
  maxLineBytes?: number;
  /** Malformed-row log lines per minute; the rest are summarised (default 20). */
  malformedLogsPerMinute?: number;
}

interface OpenFile {
  fd: number;
  inode: number;
  /** Byte after the last consumed line. */
  offset: number;
  lineNo: number;
  schema: MetricsCsvSchema | null;
  /** True while skipping the rest of an over-long line. */
  skipping: boolean;
  /** While skipping: where the over-long line starts (the position reported, a line boundary). */
  skipFrom: number;
}

export { CsvHeaderError };

export class CsvTailer {
  readonly path: string;
  readonly stats: TailerStats = { rowsRead: 0, rowsRejected: 0, bytesRead: 0, truncations: 0, rotations: 0 };
  private readonly log: Logger;
  private readonly maxLineBytes: number;
  private buf: Buffer;
  private file: OpenFile | null = null;
  /** Position to resume from when the file is first opened. */
  private resumeAt: TailPosition | undefined;
  private readonly rejects: RejectLog;
  private watcher: FSWatcher | null = null;
  private pollTimer: NodeJS.Timeout | null = null;

  constructor(opts: CsvTailerOptions) {
    this.path = opts.path;
    this.log = opts.logger;
    this.buf = Buffer.allocUnsafe(opts.chunkBytes ?? 4 * 1024 * 1024);
    this.maxLineBytes = Math.max(opts.maxLineBytes ?? 1024 * 1024, 1024);
    this.rejects = new RejectLog(this.log, 'malformed rows skipped', { perReason: opts.malformedLogsPerMinute ?? 20 });
    this.resumeAt = opts.position;
  }

  /** The current position (of the resume point, before the file is opened). */
  position(): TailPosition {
    // Mid-skip, the offset is inside a line: report the line's start, so a resume skips it again whole.
    const f = this.file;
    if (f) return { inode: f.inode, offset: f.skipping ? f.skipFrom : f.offset, lineNo: f.lineNo };
    return this.resumeAt ? { ...this.resumeAt } : { inode: 0, offset: 0, lineNo: 0 };
  }

  /** Bytes written to the input but not yet consumed (the agent's lag). */
  lagBytes(): number {
    const cur = statOrNull(this.path);
    if (!this.file) return cur ? Math.max(0, cur.size - (this.resumeAt?.inode === cur.ino ? this.resumeAt.offset : 0)) : 0;
    const own = safeFstat(this.file.fd);
    let lag = own ? Math.max(0, own.size - this.file.offset) : 0;
    if (cur && cur.ino !== this.file.inode) lag += cur.size;
    return lag;
  }

  /**
   * Reads complete lines available now, up to about `maxBytes`, and returns their rows. Returns no rows
   * when nothing new is complete. Throws CsvHeaderError when a file's header lacks required columns.
   */
  read(maxBytes = 64 * 1024 * 1024): TailBatch {
    const rows: MetricRow[] = [];
    let rejected = 0;
    let budget = maxBytes;
    if (!this.file && !this.openInitial()) return { rows, rejected, bytes: 0, position: this.position() };
    let consumed = 0;
    for (;;) {
      const f = this.file!;
      const size = safeFstat(f.fd)?.size ?? 0;
      // Shorter than our offset, or no line end just before it (truncated and rewritten past it since
      // the last read, as copytruncate rotation can do): start again from the header. Mid-skip, the
      // offset is inside the over-long line: check the line end before the line's start instead.
      if (size < f.offset || !lineEndBefore(f.fd, f.skipping ? f.skipFrom : f.offset)) {
        this.log.warn(`${this.path} was truncated (size ${size}, offset ${f.offset}); reading it again from its header`);
        this.stats.truncations++;
        f.offset = 0;
        f.lineNo = 0;
        f.schema = null;
        f.skipping = false;
      }
      while (budget > 0) {
        const r = this.readChunk(f, rows);
        rejected += r.rejected;
        budget -= r.bytes;
        consumed += r.bytes;
        if (r.eof) break;
      }
      if (budget <= 0) break;
      // At the end of this file: has the path been rotated to a new file?
      const cur = statOrNull(this.path);
      if (!cur || cur.ino === f.inode) break;
      rejected += this.finishRotatedFile(f, rows);
      consumed += 1; // a rotation is progress, even with nothing left in the old file
      this.stats.rotations++;
      this.log.info(`${this.path} was rotated; reading the new file from its beginning`, { old_inode: f.inode, new_inode: cur.ino });
      closeSync(f.fd);
      this.file = null;
      if (!this.openPath(0, 0)) break;
    }
    return { rows, rejected, bytes: consumed, position: this.position() };
  }

  /**
   * For a run that will not wait for more (--once), once read() returns nothing: takes an unterminated last
   * line as a line of its own (a header, a row or a malformed row) instead of waiting for its newline. The
   * position stays before that line, so a later run reads it again once it is whole (the scorer then drops
   * the repeat as a duplicate).
   */
  readUnterminated(): TailBatch {
    const rows: MetricRow[] = [];
    let rejected = 0;
    const f = this.file;
    const size = f ? (safeFstat(f.fd)?.size ?? 0) : 0;
    if (f && size > f.offset) {
      const tail = size - f.offset;
      const lineNo = f.lineNo + 1;
      if (f.skipping || tail > this.maxLineBytes) {
        rejected++;
        this.stats.rowsRejected++;
        this.malformed(lineNo, `line longer than ${this.maxLineBytes} bytes (unterminated last line)`);
      } else {
        const buf = Buffer.allocUnsafe(tail);
        const n = readSync(f.fd, buf, 0, tail, f.offset);
        const line = buf.toString('utf8', 0, n);
        this.log.warn(`the last line of ${this.path} (line ${lineNo}) has no newline; reading it as complete`);
        if (f.schema === null) {
          if (line.trim() !== '') f.schema = this.schemaFor(line);
        } else if (line !== '\r') {
          const r = f.schema.parseLine(line);
          if (r.ok) {
            rows.push(r.row);
            this.stats.rowsRead++;
          } else {
            rejected++;
            this.stats.rowsRejected++;
            this.malformed(lineNo, `${r.reason} (unterminated last line)`);
          }
        }
      }
    }
    return { rows, rejected, bytes: 0, position: this.position() };
  }

  /** Calls `onChange` when the file may have grown: chokidar events, plus a poll as a fallback. */
  watch(onChange: () => void, pollMs = 1000): void {
    if (this.watcher || this.pollTimer) return;
    this.watcher = watch(this.path, { ignoreInitial: true, persistent: true });
    this.watcher.on('all', () => onChange());
    this.watcher.on('error', (err) => this.log.warn(`file watcher error on ${this.path}; polling continues`, { error: err as Error }));
    this.pollTimer = setInterval(onChange, pollMs);
  }

  async close(): Promise<void> {
    if (this.pollTimer) clearInterval(this.pollTimer);
    this.pollTimer = null;
    const w = this.watcher;
    this.watcher = null;
    if (w) await w.close();
    if (this.file) closeSync(this.file.fd);
    this.file = null;
  }

  // ---- internals ----

  /** Opens the file at the resume point: the same inode at its offset, or a rotated copy still beside it. */
  private openInitial(): boolean {
    const at = this.resumeAt;
    if (!at || at.offset === 0) return this.openPath(0, 0);
    const cur = statOrNull(this.path);
    if (cur && cur.ino === at.inode) {
      if (cur.size < at.offset || !lineEndAt(this.path, at.offset)) {
        this.log.warn(`${this.path} is shorter than the checkpointed offset (truncated while stopped); reading it from its header`);
        this.stats.truncations++;
        return this.openPath(0, 0);
      }
      return this.openPath(at.offset, at.lineNo);
    }
    // Rotated while we were stopped: finish the old file if it is still in the directory.
    const old = findByInode(dirname(this.path), basename(this.path), at.inode);
    if (old) {
      const fd = openSync(old, 'r');
      this.file = { fd, inode: at.inode, offset: at.offset, lineNo: at.lineNo, schema: null, skipping: false, skipFrom: 0 };
      this.file.schema = this.headerOf(fd, old);
      this.log.info(`${this.path} was rotated while stopped; finishing ${old} first`);
      return true;
    }
    this.log.warn(`${this.path} is a different file than the checkpoint's and the old one is gone; reading it from its beginning`);
    return this.openPath(0, 0);
  }

  private openPath(offset: number, lineNo: number): boolean {
    let fd: number;
    try {
      fd = openSync(this.path, 'r');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw err;
    }
    const st = fstatSync(fd);
    this.file = { fd, inode: st.ino, offset, lineNo, schema: null, skipping: false, skipFrom: 0 };
    if (offset > 0) this.file.schema = this.headerOf(fd, this.path);
    return true;
  }

  /** The schema of a file read from the middle (resume): its first line. */
  private headerOf(fd: number, name: string): MetricsCsvSchema {
    const head = Buffer.allocUnsafe(Math.min(64 * 1024, this.maxLineBytes));
    const n = readSync(fd, head, 0, head.length, 0);
    const nl = head.subarray(0, n).indexOf(0x0a);
    if (nl < 0) throw new CsvHeaderError(`${name}: no complete header line in its first ${head.length} bytes`);
    return this.schemaFor(head.toString('utf8', 0, nl), name);
  }

  private schemaFor(line: string, name = this.path): MetricsCsvSchema {
    try {
      return new MetricsCsvSchema(line);
    } catch (err) {
      if (err instanceof CsvHeaderError) throw new CsvHeaderError(`${name}: ${err.message}`);
      throw err;
    }
  }

  /** Reads one chunk at the file's offset and consumes its complete lines. */
  private readChunk(f: OpenFile, rows: MetricRow[]): { bytes: number; rejected: number; eof: boolean } {
    const n = readSync(f.fd, this.buf, 0, this.buf.length, f.offset);
    if (n === 0) return { bytes: 0, rejected: 0, eof: true };
    const lastNl = this.buf.lastIndexOf(0x0a, n - 1);
    if (lastNl < 0) {
      if (n < this.buf.length) return { bytes: 0, rejected: 0, eof: true }; // a torn line: wait for its end
      // A line longer than the buffer: grow up to the limit, then skip it.
      if (this.buf.length < this.maxLineBytes) {
        this.buf = Buffer.allocUnsafe(Math.min(this.buf.length * 2, this.maxLineBytes));
        return { bytes: 0, rejected: 0, eof: false };
      }
      if (!f.skipping) f.skipFrom = f.offset;
      f.offset += n;
      this.stats.bytesRead += n;
      f.skipping = true;
      return { bytes: n, rejected: 0, eof: false };
    }
    const consumed = lastNl + 1;
    const rowsBefore = rows.length;
    let rejected = 0;
    const text = this.buf.toString('utf8', 0, lastNl);
    const lines = text.split('\n');
    let i = 0;
    if (f.skipping) {
      // The first line here is the end of an over-long line.
      f.skipping = false;
      f.lineNo++;
      rejected++;
      this.malformed(f.lineNo, `line longer than ${this.maxLineBytes} bytes`);
      i = 1;
    }
    for (; i < lines.length; i++) {
      const line = lines[i]!;
      f.lineNo++;
      if (f.schema === null) {
        if (line.trim() === '') continue; // blank lines before the header
        f.schema = this.schemaFor(line);
        continue;
      }
      if (line.length === 0 || line === '\r') continue;
      if (line.length > this.maxLineBytes) {
        // Over the limit, though inside one chunk: rejected the same as one that spans chunks.
        rejected++;
        this.malformed(f.lineNo, `line longer than ${this.maxLineBytes} bytes`);
        continue;
      }
      const r = f.schema.parseLine(line);
      if (r.ok) rows.push(r.row);
      else {
        rejected++;
        this.malformed(f.lineNo, r.reason);
      }
    }
    f.offset += consumed;
    this.stats.bytesRead += consumed;
    this.stats.rowsRead += rows.length - rowsBefore;
    this.stats.rowsRejected += rejected;
    return { bytes: consumed, rejected, eof: false };
  }

  /** Consumes what is left of a rotated file, including a final line without its newline. */
  private finishRotatedFile(f: OpenFile, rows: MetricRow[]): number {
    const n = readSync(f.fd, this.buf, 0, this.buf.length, f.offset);
    if (n === 0 || !f.schema) return 0;
    if (f.skipping) {
      // It ended inside an over-long line.
      f.skipping = false;
      f.lineNo++;
      f.offset += n;
      this.stats.rowsRejected++;
      this.malformed(f.lineNo, `line longer than ${this.maxLineBytes} bytes (unterminated last line of the rotated file)`);
      return 1;
    }
    const line = this.buf.toString('utf8', 0, n).replace(/\n$/, '');
    f.lineNo++;
    f.offset += n;
    if (line === '' || line === '\r') return 0; // a blank line (its line feed never written), as in readChunk
    const r = f.schema.parseLine(line);
    if (r.ok) {
      rows.push(r.row);
      this.stats.rowsRead++;
      return 0;
    }
    this.stats.rowsRejected++;
    this.malformed(f.lineNo, `${r.reason} (unterminated last line of the rotated file)`);
    return 1;
  }

  /** Logs a skipped row with its line number, at most `malformedLogsPerMinute` a minute (then a summary). */
  private malformed(lineNo: number, reason: string): void {
    this.rejects.reject('malformed', `skipped malformed row at ${this.path}:${lineNo}: ${reason}`, { line: lineNo, reason });
  }

  /** Logs the summary of malformed rows not logged one by one, once its minute is over (now, when `force`). */
  flushLogs(force = false): void {
    this.rejects.flush(force);
  }
}

const one = Buffer.alloc(1);

/** True when offset is 0 or the byte before it ends a line (the file still is what we read). */
function lineEndBefore(fd: number, offset: number): boolean {
  if (offset === 0) return true;
  try {
    return readSync(fd, one, 0, 1, offset - 1) === 1 && one[0] === 0x0a;
  } catch {
    return false;
  }
}

function lineEndAt(path: string, offset: number): boolean {
  let fd = -1;
  try {
    fd = openSync(path, 'r');
    return lineEndBefore(fd, offset);
  } catch {
    return false;
  } finally {
    if (fd >= 0) closeSync(fd);
  }
}

function statOrNull(path: string): Stats | null {
  try {
    return statSync(path);
  } catch {
    return null;
  }
}

function safeFstat(fd: number): Stats | null {
  try {
    return fstatSync(fd);
  } catch {
    return null;
  }
}

/** A file beside `base` (e.g. pod_metrics.csv.1) that is the given inode: where a rotated file went. */
function findByInode(dir: string, base: string, inode: number): string | null {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return null;
  }
  for (const name of names) {
    if (!name.startsWith(base)) continue;
    const st = statOrNull(join(dir, name));
    if (st && st.isFile() && st.ino === inode) return join(dir, name);
  }
  return null;
}
