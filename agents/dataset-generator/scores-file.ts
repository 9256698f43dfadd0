// The --scores-file: one line per scored row, appended in order. Its length is checkpointed with the
// tailer position; on resume it is cut back to that length, so rows scored after the last checkpoint
// (and scored again after a crash) appear exactly once.
import { closeSync, existsSync, fstatSync, fsync, fsyncSync, ftruncateSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';

export const SCORES_HEADER = 'timestamp,namespace,pod,anomaly_probability,predicted_anomaly,anomaly_type\n';

export interface ScoreLine {
  timestamp: string;
  namespace: string;
  pod: string;
  probability: number;
  anomalous: boolean;
  type: string;
}

export class ScoresFile {
  readonly path: string;
  private fd: number;
  private size: number;
  private pending = '';

  private constructor(path: string, fd: number, size: number) {
    this.path = path;
    this.fd = fd;
    this.size = size;
  }

  /**
   * Opens for appending. `resumeBytes`: the checkpointed length (the file is cut back to it); null starts
   * the file afresh (header only).
   */
  static open(path: string, resumeBytes: number | null): { file: ScoresFile; note?: string } {
    mkdirSync(dirname(path), { recursive: true });
    const fd = openSync(path, existsSync(path) ? 'r+' : 'w+');
    let note: string | undefined;
    let size = fstatSync(fd).size;
    if (resumeBytes === null || size === 0) {
      ftruncateSync(fd, 0);
      writeSync(fd, SCORES_HEADER, 0);
      size = Buffer.byteLength(SCORES_HEADER);
      if (resumeBytes !== null && resumeBytes > size)
        note = `${path} was emptied or removed since the checkpoint; rows scored before are not in it`;
    } else if (size > resumeBytes) {
      ftruncateSync(fd, resumeBytes);
      note = `cut ${size - resumeBytes} bytes scored after the last checkpoint from ${path}; those rows are scored again`;
      size = resumeBytes;
    } else if (size < resumeBytes) {
      note = `${path} is shorter (${size} bytes) than at the checkpoint (${resumeBytes}); appending after it`;
    }
    return { file: new ScoresFile(path, fd, size), ...(note ? { note } : {}) };
  }

  add(s: ScoreLine): void {
    this.pending += `${s.timestamp},${s.namespace},${s.pod},${s.probability.toFixed(4)},${s.anomalous},${s.type}\n`;
    if (this.pending.length > 1 << 20) this.write();
  }

  /** Writes buffered lines and fsyncs, so the length reported is on disk. */
  flush(): number {
    this.write();
    fsyncSync(this.fd);
    return this.size;
  }

  /** Bytes written so far (after writeBuffered(): every line added). */
  get length(): number {
    return this.size;
  }

  /** fsync in the thread pool: everything written before the call is on disk when it resolves. */
  syncAsync(): Promise<void> {
    const fd = this.fd;
    if (fd < 0) return Promise.resolve();
    return new Promise((res, rej) => fsync(fd, (err) => (err ? rej(err) : res())));
  }

  /** Writes buffered lines without fsync (readers see them; the checkpoint's flush makes them durable). */
  writeBuffered(): void {
    this.write();
  }

  close(): void {
    if (this.fd < 0) return;
    this.flush();
    closeSync(this.fd);
    this.fd = -1;
  }

  private write(): void {
    if (!this.pending) return;
    const buf = Buffer.from(this.pending);
    writeSync(this.fd, buf, 0, buf.length, this.size);
    this.size += buf.length;
    this.pending = '';
  }
}
