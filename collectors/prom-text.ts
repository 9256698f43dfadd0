// A small parser for the Prometheus text exposition format (what a kubelet's /metrics/cadvisor serves).
// It keeps only the metric names asked for and hands each sample to a callback, so a node's full
// cAdvisor page (thousands of series, ~2.7 KB per pod) costs one pass over its bytes: the body is never
// decoded whole, lines of other metrics are skipped without a copy, labels not asked for are stepped
// over, and no object is made per sample. At 50,000 pods a tick scans ~135 MB of cAdvisor pages, so
// this loop is the collector's hot path.

import { ByteInterner, FNV_BASIS, FNV_PRIME } from './byte-interner.ts';

export interface PromSample {
  name: string;
  labels: Record<string, string>;
  value: number;
  /** Sample timestamp in epoch ms, when the exposition gives one (cAdvisor does). */
  timestampMs: number | undefined;
}

/**
 * Called per sample of a wanted metric: its index in `wanted`, the values of the `keep` labels (same
 * order; undefined when absent; the array is reused, read it before returning), the value and the
 * timestamp.
 */
export type OnSample = (metric: number, labels: readonly (string | undefined)[], value: number, timestampMs: number | undefined) => void;

/**
 * Scans exposition text for samples of the `wanted` metric names, keeping the `keep` labels. One scanner
 * serves many pages and ticks: the kept label values are interned (a pod's name is the same string object
 * every tick, so it is neither decoded, nor collected, nor hashed again), and the bytes are read as they
 * came off the socket: decoding a node's whole page into a string cost more than the scan (about 1 s per
 * 135 MB). Not safe for two scans interleaved in one call stack; streams from `stream()` may interleave
 * across awaits (each keeps its own partial line).
 */
export class PromTextScanner {
  private readonly wantedBytes: Buffer[];
  private readonly keepBytes: Buffer[];
  private readonly values: (string | undefined)[];
  private readonly interned = new ByteInterner();

  constructor(wanted: readonly string[], keep: readonly string[]) {
    this.wantedBytes = wanted.map((w) => Buffer.from(w, 'latin1'));
    this.keepBytes = keep.map((k) => Buffer.from(k, 'utf8'));
    this.values = new Array<string | undefined>(keep.length);
  }

  /**
   * Scans the lines of `buf` between `from` and `to` (a last line without its newline counts as whole);
   * returns how many malformed lines were skipped. `labelNames`, when given, collects every label name
   * of the wanted samples.
   */
  scan(buf: Buffer, onSample: OnSample, labelNames?: Set<string>, from = 0, to = buf.length): number {
    const { wantedBytes, keepBytes, values } = this;
    let skipped = 0;
    let pos = from;
    while (pos < to) {
      let end = buf.indexOf(10, pos);
      if (end < 0 || end > to) end = to;
      const lineStart = pos;
      pos = end + 1;
      if (end === lineStart || buf[lineStart] === 35 /* # */) continue;
      let i = lineStart;
      while (i < end && isNameChar(buf[i]!, i === lineStart)) i++;
      if (i === lineStart) {
        if (!blank(buf, lineStart, end)) skipped++;
        continue;
      }
      const metric = bytesIndex(buf, lineStart, i, wantedBytes);
      if (metric < 0) continue;
      values.fill(undefined);
      i = parseLabels(buf, i, end, keepBytes, values, labelNames, this.interned);
      if (i < 0 || !parseValue(buf, i, end)) {
        skipped++;
        continue;
      }
      onSample(metric, values, parsed.value, parsed.timestampMs);
    }
    return skipped;
  }

  /**
   * A body scanned chunk by chunk as it arrives (no copy of the whole body): `push` scans the chunk's
   * complete lines and keeps its last partial line for the next; `end` scans what is left and returns
   * the skipped-line count.
   */
  stream(onSample: OnSample): { push(chunk: Buffer): void; end(): number } {
    let carry: Buffer | undefined;
    let skipped = 0;
    return {
      push: (chunk) => {
        let from = 0;
        if (carry) {
          const nl = chunk.indexOf(10);
          if (nl < 0) {
            carry = Buffer.concat([carry, chunk]);
            return;
          }
          const line = Buffer.concat([carry, chunk.subarray(0, nl + 1)]);
          skipped += this.scan(line, onSample);
          carry = undefined;
          from = nl + 1;
        }
        const last = chunk.lastIndexOf(10);
        if (last < from) {
          carry = Buffer.from(chunk.subarray(from)); // a copy: the socket's chunk is not ours to keep
          return;
        }
        skipped += this.scan(chunk, onSample, undefined, from, last + 1);
        if (last + 1 < chunk.length) carry = Buffer.from(chunk.subarray(last + 1));
      },
      end: () => {
        if (carry) skipped += this.scan(carry, onSample);
        carry = undefined;
        return skipped;
      },
    };
  }
}

/**
 * Scans an exposition body (UTF-8 bytes, or a string) once, with a scanner of its own (see
 * PromTextScanner); returns how many malformed lines were skipped.
 */
export function scanPromText(
  body: Buffer | string,
  wanted: readonly string[],
  keep: readonly string[],
  onSample: OnSample,
  labelNames?: Set<string>,
): number {
  const buf = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  return new PromTextScanner(wanted, keep).scan(buf, onSample, labelNames);
}

/**
 * Parses the samples of `wanted` metrics into objects; malformed lines are skipped and counted in
 * `skipped`. With `keepLabels`, only those labels are stored.
 */
export function parsePromText(
  text: string,
  wanted: ReadonlySet<string>,
  keepLabels?: ReadonlySet<string>,
): { samples: PromSample[]; skipped: number } {
  const names = [...wanted];
  const samples: PromSample[] = [];
  if (keepLabels) {
    const keep = [...keepLabels];
    const skipped = scanPromText(text, names, keep, (m, vals, value, timestampMs) => {
      const labels: Record<string, string> = {};
      keep.forEach((k, j) => {
        if (vals[j] !== undefined) labels[k] = vals[j];
      });
      samples.push({ name: names[m]!, labels, value, timestampMs });
    });
    return { samples, skipped };
  }
  // Every label: a first pass finds the names the wanted samples use.
  const seen = new Set<string>();
  scanPromText(text, names, [], () => {}, seen);
  return parsePromText(text, wanted, seen);
}

/** The value and timestamp of the line just parsed (one object, reused). */
const parsed = { value: NaN, timestampMs: undefined as number | undefined };

/** Reads `{k="v",...}` from `i`; returns the index after it (i when there is none) or -1 when malformed. */
function parseLabels(
  buf: Buffer,
  i: number,
  end: number,
  keep: readonly Buffer[],
  values: (string | undefined)[],
  labelNames: Set<string> | undefined,
  interned: ByteInterner,
): number {
  if (buf[i] !== 123 /* { */) return i;
  i++;
  for (;;) {
    while (i < end && (buf[i] === 32 || buf[i] === 44)) i++;
    if (i >= end) return -1;
    if (buf[i] === 125 /* } */) return i + 1;
    // Names and most values are short: a loop over their bytes costs less than a call into Buffer#indexOf
    // (those calls were a quarter of a cAdvisor page's scan at ~16 per line).
    let eq = i;
    while (eq < end && buf[eq] !== 61 /* = */) eq++;
    if (eq + 1 >= end || buf[eq + 1] !== 34 /* " */) return -1;
    let from = i;
    let to = eq;
    while (from < to && isSpace(buf[from]!)) from++;
    while (to > from && isSpace(buf[to - 1]!)) to--;
    const k = bytesIndex(buf, from, to, keep);
    if (labelNames) labelNames.add(buf.toString('utf8', from, to));
    i = eq + 2;
    if (k >= 0) {
      // A kept value: hashed on the way to its closing quote, then looked up among the values seen before.
      let h = FNV_BASIS;
      let j = i;
      let c = 0;
      while (j < end && (c = buf[j]!) !== 34 && c !== 92) {
        h = Math.imul(h ^ c, FNV_PRIME);
        j++;
      }
      if (j >= end) return -1;
      if (c === 34) {
        values[k] = interned.get(buf, i, j, h);
        i = j + 1;
        continue;
      }
      // an escape: decoded below, not interned (rare)
    } else {
      let close = i;
      let c = 0;
      while (close < end && (c = buf[close]!) !== 34 && c !== 92) close++;
      if (close >= end) return -1;
      if (c === 34) {
        i = close + 1; // no escape in the value: the common case
        continue;
      }
    }
    let value = '';
    let chunk = i;
    for (;;) {
      if (i >= end) return -1;
      const ch = buf[i];
      if (ch === 92 /* \ */) {
        const n = i + 1 < end ? buf[i + 1]! : -1;
        if (k >= 0) value += buf.toString('utf8', chunk, i);
        if (n >= 0x80) {
          // An escaped multi-byte character stands for itself: it starts the next chunk whole.
          i += 1;
        } else {
          if (k >= 0) value += n === 110 /* n */ ? '\n' : n < 0 ? '' : String.fromCharCode(n);
          i += 2;
        }
        chunk = i;
      } else if (ch === 34) {
        if (k >= 0) value += buf.toString('utf8', chunk, i);
        i++;
        break;
      } else i++;
    }
    if (k >= 0) values[k] = value;
  }
}

/** Which of `names` the bytes [from, to) are, or -1. */
function bytesIndex(buf: Buffer, from: number, to: number, names: readonly Buffer[]): number {
  const n = to - from;
  for (let j = 0; j < names.length; j++) {
    const name = names[j]!;
    if (name.length !== n) continue;
    let k = 0;
    while (k < n && buf[from + k] === name[k]) k++;
    if (k === n) return j;
  }
  return -1;
}

/** The value and optional timestamp after the labels, into `parsed`; false when malformed. */
function parseValue(buf: Buffer, i: number, end: number): boolean {
  while (i < end && isSpace(buf[i]!)) i++;
  const a = i;
  while (i < end && !isSpace(buf[i]!)) i++;
  if (i === a) return false;
  let value = digits(buf, a, i);
  if (Number.isNaN(value)) {
    const token = buf.toString('latin1', a, i);
    value = token === '+Inf' ? Infinity : token === '-Inf' ? -Infinity : Number(token);
    if (Number.isNaN(value) && token !== 'NaN') return false;
  }
  while (i < end && isSpace(buf[i]!)) i++;
  let timestampMs: number | undefined;
  if (i < end) {
    const b = i;
    while (i < end && !isSpace(buf[i]!)) i++;
    timestampMs = digits(buf, b, i);
    if (Number.isNaN(timestampMs)) timestampMs = Number(buf.toString('latin1', b, i));
    if (!Number.isFinite(timestampMs)) return false;
  }
  parsed.value = value;
  parsed.timestampMs = timestampMs;
  return true;
}

/**
 * A run of up to 15 decimal digits read as a number without a string (exact: below 2^53); NaN for
 * anything else (signs, fractions, exponents, hex, longer runs), which Number() then reads.
 */
function digits(buf: Buffer, from: number, to: number): number {
  if (to - from > 15) return NaN;
  let v = 0;
  for (let i = from; i < to; i++) {
    const d = buf[i]! - 48;
    if (d < 0 || d > 9) return NaN;
    v = v * 10 + d;
  }
  return v;
}

function isNameChar(c: number, first: boolean): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95 || c === 58 || (!first && c >= 48 && c <= 57);
}

/** The separators: ASCII space, tab and the line-end controls (the format's; other Unicode spaces are text). */
function isSpace(c: number): boolean {
  return c === 32 || (c >= 9 && c <= 13);
}

function blank(buf: Buffer, from: number, to: number): boolean {
  for (let i = from; i < to; i++) if (!isSpace(buf[i]!)) return false;
  return true;
}
