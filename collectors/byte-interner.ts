// Strings by their UTF-8 bytes, for the scanners that read API bodies as bytes (cAdvisor pages, the
// PodMetrics list): a value seen before (a pod's name, its namespace, a shared timestamp) comes back as
// the same string, so it is neither decoded nor collected again, and a Map keyed by it finds its hash
// already computed. The caller hashes the bytes (FNV-1a, below) while it scans them for their end.

export const FNV_BASIS = 0x811c9dc5;
export const FNV_PRIME = 0x01000193;

interface Entry {
  hash: number;
  length: number;
  text: string;
  /** The bytes, kept only when the text is not ASCII (ASCII text is compared by its char codes). */
  bytes: Buffer | undefined;
}

/** Past this many strings (pods come and go) the interner starts afresh: a bound, not a cache policy. */
const MAX_ENTRIES = 1 << 20;

export class ByteInterner {
  /** Open addressing: entry index + 1 per slot, 0 when empty; at most half full. */
  private slots = new Int32Array(1 << 12);
  private entries: Entry[] = [];

  /** The string of buf[from, to) (UTF-8), whose FNV-1a hash (FNV_BASIS, FNV_PRIME, byte by byte) is `hash`. */
  get(buf: Buffer, from: number, to: number, hash: number): string {
    const n = to - from;
    const mask = this.slots.length - 1;
    let s = hash & mask;
    for (let e = this.slots[s]!; e !== 0; e = this.slots[(s = (s + 1) & mask)]!) {
      const entry = this.entries[e - 1]!;
      if (entry.hash === hash && entry.length === n && same(entry, buf, from, n)) return entry.text;
    }
    if (this.entries.length >= MAX_ENTRIES) {
      this.entries = [];
      this.slots = new Int32Array(1 << 12);
      return this.get(buf, from, to, hash);
    }
    const text = buf.toString('utf8', from, to);
    let ascii = true;
    for (let k = from; k < to && ascii; k++) ascii = buf[k]! < 0x80;
    this.entries.push({ hash, length: n, text, bytes: ascii ? undefined : Buffer.from(buf.subarray(from, to)) });
    this.slots[s] = this.entries.length;
    if (this.entries.length * 2 > this.slots.length) this.grow();
    return text;
  }

  /** The number of strings held. */
  get size(): number {
    return this.entries.length;
  }

  private grow(): void {
    const slots = new Int32Array(this.slots.length * 2);
    const mask = slots.length - 1;
    this.entries.forEach((entry, i) => {
      let s = entry.hash & mask;
      while (slots[s] !== 0) s = (s + 1) & mask;
      slots[s] = i + 1;
    });
    this.slots = slots;
  }
}

function same(entry: Entry, buf: Buffer, from: number, n: number): boolean {
  if (entry.bytes) {
    for (let k = 0; k < n; k++) if (entry.bytes[k] !== buf[from + k]) return false;
    return true;
  }
  const text = entry.text;
  for (let k = 0; k < n; k++) if (text.charCodeAt(k) !== buf[from + k]) return false;
  return true;
}
