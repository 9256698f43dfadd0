// A small parser for the Prometheus text exposition format (what a kubelet's /metrics/cadvisor serves).
// It keeps only the metric names asked for, so a node's full cAdvisor page (thousands of series) costs
// one pass over the text and no allocation for the series that are not wanted.

export interface PromSample {
  name: string;
  labels: Record<string, string>;
  value: number;
  /** Sample timestamp in epoch ms, when the exposition gives one (cAdvisor does). */
  timestampMs: number | undefined;
}

/**
 * Parses the samples of `wanted` metrics; malformed lines are skipped and counted in `skipped`.
 * With `keepLabels`, only those labels are stored (the others are scanned past without copying).
 */
export function parsePromText(
  text: string,
  wanted: ReadonlySet<string>,
  keepLabels?: ReadonlySet<string>,
): { samples: PromSample[]; skipped: number } {
  const samples: PromSample[] = [];
  let skipped = 0;
  let pos = 0;
  const len = text.length;
  while (pos < len) {
    let end = text.indexOf('\n', pos);
    if (end < 0) end = len;
    const line = text.slice(pos, end);
    pos = end + 1;
    if (line.length === 0 || line.charCodeAt(0) === 35 /* # */) continue;
    const nameEnd = metricNameEnd(line);
    if (nameEnd === 0) {
      if (line.trim() !== '') skipped++;
      continue;
    }
    const name = line.slice(0, nameEnd);
    if (!wanted.has(name)) continue;
    const sample = parseSampleLine(line, name, nameEnd, keepLabels);
    if (sample) samples.push(sample);
    else skipped++;
  }
  return { samples, skipped };
}

function metricNameEnd(line: string): number {
  let i = 0;
  while (i < line.length) {
    const c = line.charCodeAt(i);
    const ok = (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95 || c === 58 || (i > 0 && c >= 48 && c <= 57);
    if (!ok) break;
    i++;
  }
  return i;
}

function parseSampleLine(line: string, name: string, start: number, keep: ReadonlySet<string> | undefined): PromSample | null {
  const labels: Record<string, string> = {};
  let i = start;
  if (line[i] === '{') {
    i++;
    for (;;) {
      while (line[i] === ' ' || line[i] === ',') i++;
      if (line[i] === '}') {
        i++;
        break;
      }
      const eq = line.indexOf('=', i);
      if (eq < 0 || line[eq + 1] !== '"') return null;
      const key = line.slice(i, eq).trim();
      i = eq + 2;
      if (keep && !keep.has(key)) {
        // Skip the value: find its closing quote, stepping over escapes.
        for (;;) {
          const q = line.indexOf('"', i);
          if (q < 0) return null;
          let backslashes = 0;
          for (let j = q - 1; j >= i && line.charCodeAt(j) === 92; j--) backslashes++;
          i = q + 1;
          if (backslashes % 2 === 0) break;
        }
        continue;
      }
      const close = line.indexOf('"', i);
      const slash = line.indexOf('\\', i);
      if (close >= 0 && (slash < 0 || slash > close)) {
        labels[key] = line.slice(i, close);
        i = close + 1;
        continue;
      }
      let value = '';
      let chunkStart = i;
      for (;;) {
        if (i >= line.length) return null;
        const c = line[i];
        if (c === '\\') {
          value += line.slice(chunkStart, i);
          const n = line[i + 1];
          value += n === 'n' ? '\n' : (n ?? '');
          i += 2;
          chunkStart = i;
        } else if (c === '"') {
          value += line.slice(chunkStart, i);
          i++;
          break;
        } else i++;
      }
      labels[key] = value;
    }
  }
  const rest = line.slice(i).trim().split(/\s+/);
  if (rest.length < 1 || rest[0] === '') return null;
  const value = parsePromNumber(rest[0]!);
  if (Number.isNaN(value) && rest[0] !== 'NaN') return null;
  let timestampMs: number | undefined;
  if (rest[1] !== undefined) {
    timestampMs = Number(rest[1]);
    if (!Number.isFinite(timestampMs)) return null;
  }
  return { name, labels, value, timestampMs };
}

function parsePromNumber(text: string): number {
  if (text === '+Inf') return Infinity;
  if (text === '-Inf') return -Infinity;
  return Number(text);
}
