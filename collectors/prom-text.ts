// A small parser for the Prometheus text exposition format (what a kubelet's /metrics/cadvisor serves).
// It keeps only the metric names asked for and hands each sample to a callback, so a node's full
// cAdvisor page (thousands of series, ~2.7 KB per pod) costs one pass over the text: lines of other
// metrics are skipped without a copy, labels not asked for are stepped over, and no object is made per
// sample. At 50,000 pods a tick scans ~135 MB of cAdvisor text, so this loop is the collector's hot path.

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
 * Scans `text` for samples of the `wanted` metric names, keeping the `keep` labels; returns how many
 * malformed lines were skipped. `labelNames`, when given, collects every label name of those samples.
 */
export function scanPromText(
  text: string,
  wanted: readonly string[],
  keep: readonly string[],
  onSample: OnSample,
  labelNames?: Set<string>,
): number {
  const values: (string | undefined)[] = new Array<string | undefined>(keep.length);
  let skipped = 0;
  let pos = 0;
  const len = text.length;
  // The next backslash at or after the cursor: found once per stretch, so a page without any costs one search.
  let slash = -1;
  const nextSlash = (from: number) => {
    if (slash !== len && slash < from) {
      slash = text.indexOf('\\', from);
      if (slash < 0) slash = len;
    }
    return slash;
  };
  while (pos < len) {
    let end = text.indexOf('\n', pos);
    if (end < 0) end = len;
    const lineStart = pos;
    pos = end + 1;
    if (end === lineStart || text.charCodeAt(lineStart) === 35 /* # */) continue;
    let i = lineStart;
    while (i < end && isNameChar(text.charCodeAt(i), i === lineStart)) i++;
    if (i === lineStart) {
      if (!blank(text, lineStart, end)) skipped++;
      continue;
    }
    const nameLen = i - lineStart;
    let metric = -1;
    for (let m = 0; m < wanted.length; m++) {
      const w = wanted[m]!;
      if (w.length === nameLen && text.startsWith(w, lineStart)) {
        metric = m;
        break;
      }
    }
    if (metric < 0) continue;
    values.fill(undefined);
    i = parseLabels(text, i, end, keep, values, nextSlash, labelNames);
    if (i < 0 || !parseValue(text, i, end)) {
      skipped++;
      continue;
    }
    onSample(metric, values, parsed.value, parsed.timestampMs);
  }
  return skipped;
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
  text: string,
  i: number,
  end: number,
  keep: readonly string[],
  values: (string | undefined)[],
  nextSlash: (from: number) => number,
  labelNames: Set<string> | undefined,
): number {
  if (text.charCodeAt(i) !== 123 /* { */) return i;
  i++;
  for (;;) {
    let c = text.charCodeAt(i);
    while (i < end && (c === 32 || c === 44)) c = text.charCodeAt(++i);
    if (i >= end) return -1;
    if (c === 125 /* } */) return i + 1;
    const eq = text.indexOf('=', i);
    if (eq < 0 || eq + 1 >= end || text.charCodeAt(eq + 1) !== 34 /* " */) return -1;
    const k = keyIndex(text, i, eq, keep);
    if (labelNames) labelNames.add(text.slice(i, eq).trim());
    i = eq + 2;
    const close = text.indexOf('"', i);
    if (close < 0 || close >= end) return -1;
    if (nextSlash(i) > close) {
      // No escape in the value: the common case.
      if (k >= 0) values[k] = text.slice(i, close);
      i = close + 1;
      continue;
    }
    let value = '';
    let chunk = i;
    for (;;) {
      if (i >= end) return -1;
      const ch = text.charCodeAt(i);
      if (ch === 92 /* \ */) {
        const n = i + 1 < end ? text[i + 1]! : '';
        if (k >= 0) value += text.slice(chunk, i) + (n === 'n' ? '\n' : n);
        i += 2;
        chunk = i;
      } else if (ch === 34) {
        if (k >= 0) value += text.slice(chunk, i);
        i++;
        break;
      } else i++;
    }
    if (k >= 0) values[k] = value;
  }
}

/** Which of `keep` the label name in [from, to) is (surrounding whitespace ignored), or -1. */
function keyIndex(text: string, from: number, to: number, keep: readonly string[]): number {
  while (from < to && isSpace(text.charCodeAt(from))) from++;
  while (to > from && isSpace(text.charCodeAt(to - 1))) to--;
  const n = to - from;
  for (let j = 0; j < keep.length; j++) {
    const name = keep[j]!;
    if (name.length === n && text.startsWith(name, from)) return j;
  }
  return -1;
}

/** The value and optional timestamp after the labels, into `parsed`; false when malformed. */
function parseValue(text: string, i: number, end: number): boolean {
  while (i < end && isSpace(text.charCodeAt(i))) i++;
  const a = i;
  while (i < end && !isSpace(text.charCodeAt(i))) i++;
  if (i === a) return false;
  const token = text.slice(a, i);
  const value = token === '+Inf' ? Infinity : token === '-Inf' ? -Infinity : Number(token);
  if (Number.isNaN(value) && token !== 'NaN') return false;
  while (i < end && isSpace(text.charCodeAt(i))) i++;
  let timestampMs: number | undefined;
  if (i < end) {
    const b = i;
    while (i < end && !isSpace(text.charCodeAt(i))) i++;
    timestampMs = Number(text.slice(b, i));
    if (!Number.isFinite(timestampMs)) return false;
  }
  parsed.value = value;
  parsed.timestampMs = timestampMs;
  return true;
}

function isNameChar(c: number, first: boolean): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95 || c === 58 || (!first && c >= 48 && c <= 57);
}

/** JavaScript's whitespace (String.prototype.trim, /\s/): what the format's separators are read as. */
function isSpace(c: number): boolean {
  if (c <= 32) return c === 32 || (c >= 9 && c <= 13);
  if (c < 160) return false;
  return (
    c === 160 ||
    c === 0x1680 ||
    (c >= 0x2000 && c <= 0x200a) ||
    c === 0x2028 ||
    c === 0x2029 ||
    c === 0x202f ||
    c === 0x205f ||
    c === 0x3000 ||
    c === 0xfeff
  );
}

function blank(text: string, from: number, to: number): boolean {
  for (let i = from; i < to; i++) if (!isSpace(text.charCodeAt(i))) return false;
  return true;
}
