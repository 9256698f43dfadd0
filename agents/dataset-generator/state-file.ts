// The binary state file of a version-2 checkpoint: the agent's and the scorer's per-pod state as raw
// typed-array bytes (no base64, no JSON of numbers), one record per pod, written in chunks through the
// libuv thread pool so that neither the write nor its fsync runs on the scoring thread.
//
// Layout (little-endian; every record starts 8-byte aligned):
//   "PSST" u32 format(=1)
//   record: u32 kind, u32 bytes (whole record, padded to 8), body
//     kind 1 shared: u32 length, UTF-8 JSON (state that is not per pod)
//     kind 2 pod:    u32 keyLen, u32 jsonLen, u32 nArrays, nArrays × (u32 tag, u32 length),
//                    key (UTF-8), json (UTF-8), pad to 8, the arrays' bytes (each padded to 8)
//     kind 3 end:    u32 pods (a file without it is truncated)
// tag 1 = Float64Array, 2 = Float32Array.
import { closeSync, openSync, readSync, rmSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';

export type StateArray = Float64Array | Float32Array;

const MAGIC = 0x54535350; // "PSST" read as little-endian u32
const FORMAT = 1;
const KIND_SHARED = 1,
  KIND_POD = 2,
  KIND_END = 3;
const TAG_F64 = 1,
  TAG_F32 = 2;
const CHUNK = 4 << 20;
/** Chunks written and kept for the next ones (no allocation churn per checkpoint). */
const spare: Buffer[] = [];
const SPARE_MAX = 6;

const pad8 = (n: number): number => (n + 7) & ~7;

/**
 * Builds the file in memory chunks and hands each full chunk to an asynchronous write; finish() writes the
 * rest, fsyncs and closes. Records are added synchronously (a copy of the live arrays), so the file holds
 * the state as it was when each record was added.
 */
export class StateFileWriter {
  readonly path: string;
  pods = 0;
  private fh: FileHandle | null = null;
  private buf = spare.pop() ?? Buffer.allocUnsafe(CHUNK);
  private pos = 0;
  private fileBytes = 0;
  private tail: Promise<void>;
  private failed: Error | null = null;
  /** Bytes handed to writes that have not completed (flow control for the caller). */
  inFlight = 0;

  constructor(path: string) {
    this.path = path;
    // The chain never rejects: a failure is kept in `failed` and thrown by finish().
    this.tail = open(path, 'w').then(
      (fh) => {
        this.fh = fh;
      },
      (err: unknown) => {
        this.failed ??= err as Error;
      },
    );
    this.put32(MAGIC);
    this.put32(FORMAT);
  }

  get bytes(): number {
    return this.fileBytes + this.pos;
  }

  addShared(value: unknown): void {
    const json = Buffer.from(JSON.stringify(value));
    const total = pad8(12 + json.length);
    this.reserve(total);
    this.put32(KIND_SHARED);
    this.put32(total);
    this.put32(json.length);
    json.copy(this.buf, this.pos);
    this.pos += json.length;
    this.align();
  }

  addPod(key: string, json: string, arrays: readonly StateArray[]): void {
    const keyLen = Buffer.byteLength(key);
    const jsonLen = Buffer.byteLength(json);
    let data = 0;
    for (const a of arrays) data += pad8(a.byteLength);
    const total = pad8(8 + 12 + 8 * arrays.length + keyLen + jsonLen) + data;
    this.reserve(total);
    const start = this.pos;
    this.put32(KIND_POD);
    this.put32(total);
    this.put32(keyLen);
    this.put32(jsonLen);
    this.put32(arrays.length);
    for (const a of arrays) {
      this.put32(a instanceof Float64Array ? TAG_F64 : TAG_F32);
      this.put32(a.length);
    }
    this.pos += this.buf.write(key, this.pos);
    this.pos += this.buf.write(json, this.pos);
    this.align();
    for (const a of arrays) {
      this.buf.set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength), this.pos);
      this.pos += a.byteLength;
      this.align();
    }
    if (this.pos - start !== total) throw new Error('state file: record size mismatch'); // a bug, never data
    this.pods++;
  }

  /** Writes the end record and the rest, fsyncs and closes; resolves with the file's length. */
  async finish(): Promise<number> {
    this.reserve(16);
    this.put32(KIND_END);
    this.put32(16);
    this.put32(this.pods);
    this.put32(0);
    this.ship();
    await this.tail;
    if (this.failed) throw this.failed;
    const fh = this.fh!;
    await fh.sync();
    await fh.close();
    this.fh = null;
    if (this.buf.length === CHUNK && spare.length < SPARE_MAX) spare.push(this.buf);
    return this.fileBytes;
  }

  /** Resolves when every chunk handed to a write so far is written. */
  drain(): Promise<void> {
    return this.tail;
  }

  /** Gives up: closes and removes the partial file. */
  async abort(): Promise<void> {
    await this.tail.catch(() => {});
    await this.fh?.close().catch(() => {});
    this.fh = null;
    rmSync(this.path, { force: true });
  }

  private put32(v: number): void {
    this.buf.writeUInt32LE(v, this.pos);
    this.pos += 4;
  }

  private align(): void {
    const end = pad8(this.pos);
    this.buf.fill(0, this.pos, end);
    this.pos = end;
  }

  /** Room for `n` more bytes in the current chunk (shipping it, or a larger one for a large record). */
  private reserve(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    this.ship();
    if (n > this.buf.length) this.buf = Buffer.allocUnsafe(n);
  }

  private ship(): void {
    if (this.pos === 0) return;
    const whole = this.buf;
    const chunk = whole.subarray(0, this.pos);
    const at = this.fileBytes;
    this.fileBytes += this.pos;
    this.inFlight += chunk.length;
    this.buf = spare.pop() ?? Buffer.allocUnsafe(CHUNK);
    this.pos = 0;
    this.tail = this.tail.then(async () => {
      try {
        if (this.failed) return; // (finally still counts the chunk out)
        let off = 0;
        while (off < chunk.length) off += (await this.fh!.write(chunk, off, chunk.length - off, at + off)).bytesWritten;
      } catch (err) {
        this.failed ??= err as Error;
      } finally {
        this.inFlight -= chunk.length;
        if (whole.length === CHUNK && spare.length < SPARE_MAX) spare.push(whole);
      }
    });
  }
}

export interface StateFileHandlers {
  shared(value: unknown): void;
  pod(key: string, json: string, arrays: StateArray[]): void;
}

/**
 * Reads a state file record by record (16 MB at a time, so restoring never holds the whole file), calling
 * the handlers; throws when the file is not one, is truncated, or is not `expectBytes` long.
 */
export function readStateFile(path: string, h: StateFileHandlers, expectBytes?: number): { pods: number; bytes: number } {
  const fd = openSync(path, 'r');
  try {
    let buf = Buffer.alloc(16 << 20);
    let have = 0; // valid bytes in buf
    let at = 0; // parse offset in buf
    let fileOff = 0;
    let eof = false;
    const fill = (need: number): boolean => {
      if (have - at >= need) return true;
      if (at > 0) {
        buf.copy(buf, 0, at, have);
        have -= at;
        at = 0;
      }
      if (need > buf.length) {
        const bigger = Buffer.alloc(need);
        buf.copy(bigger, 0, 0, have);
        buf = bigger;
      }
      while (have < need && !eof) {
        const n = readSync(fd, buf, have, buf.length - have, fileOff);
        if (n === 0) eof = true;
        have += n;
        fileOff += n;
      }
      return have - at >= need;
    };
    if (!fill(8) || buf.readUInt32LE(0) !== MAGIC || buf.readUInt32LE(4) !== FORMAT)
      throw new Error(`${path} is not a podsentinel state file`);
    at = 8;
    let pods = 0;
    for (;;) {
      if (!fill(8)) throw new Error(`${path} is truncated`);
      const kind = buf.readUInt32LE(at);
      const total = buf.readUInt32LE(at + 4);
      if (total < 16 || total % 8 !== 0) throw new Error(`${path}: malformed record at byte ${fileOff - have + at}`);
      if (!fill(total)) throw new Error(`${path} is truncated`);
      const r = at;
      at += total;
      if (kind === KIND_END) {
        const n = buf.readUInt32LE(r + 8);
        if (n !== pods) throw new Error(`${path}: ${pods} pod records, the end record says ${n}`);
        const bytes = fileOff - have + at;
        if (fill(1)) throw new Error(`${path}: data after the end record`);
        if (expectBytes !== undefined && bytes !== expectBytes)
          throw new Error(`${path} is ${bytes} bytes, the checkpoint says ${expectBytes}`);
        return { pods, bytes };
      }
      if (kind === KIND_SHARED) {
        const len = buf.readUInt32LE(r + 8);
        if (12 + len > total) throw new Error(`${path}: malformed shared record`);
        h.shared(JSON.parse(buf.toString('utf8', r + 12, r + 12 + len)));
        continue;
      }
      if (kind !== KIND_POD) throw new Error(`${path}: unknown record kind ${kind}`);
      const keyLen = buf.readUInt32LE(r + 8);
      const jsonLen = buf.readUInt32LE(r + 12);
      const n = buf.readUInt32LE(r + 16);
      let p = r + 20 + 8 * n;
      const key = buf.toString('utf8', p, p + keyLen);
      const json = buf.toString('utf8', p + keyLen, p + keyLen + jsonLen);
      p = r + pad8(20 + 8 * n + keyLen + jsonLen);
      const arrays: StateArray[] = [];
      for (let i = 0; i < n; i++) {
        const tag = buf.readUInt32LE(r + 20 + 8 * i);
        const len = buf.readUInt32LE(r + 24 + 8 * i);
        const a = tag === TAG_F64 ? new Float64Array(len) : tag === TAG_F32 ? new Float32Array(len) : null;
        if (!a) throw new Error(`${path}: unknown array tag ${tag}`);
        if (p + a.byteLength > r + total) throw new Error(`${path}: malformed record for ${key}`);
        new Uint8Array(a.buffer).set(buf.subarray(p, p + a.byteLength));
        arrays.push(a);
        p += pad8(a.byteLength);
      }
      h.pod(key, json, arrays);
      pods++;
    }
  } finally {
    closeSync(fd);
  }
}
