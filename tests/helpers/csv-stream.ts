// Arbitraries for the CSV properties: a pod_metrics.csv stream made of good rows (with quotes, commas,
// NUL bytes and non-ASCII text in their string fields) and bad lines of known kinds, written with LF or
// CRLF and an optional BOM, and what a line-by-line parse of it says it holds (the reference).
import fc from 'fast-check';
import { METRIC_COLUMNS, MetricsCsvSchema, formatHeader, formatRows, newMetricRow, type MetricRow } from '../../lib/metrics-csv.ts';

export const COLUMNS = METRIC_COLUMNS;
export const HEADER_LINE = formatHeader(COLUMNS).replace(/\n$/, '');
const T0 = Date.UTC(2026, 0, 1);

/** Characters that stress the CSV quoting and the byte-level splitting (multi-byte, NUL, quotes). */
const cellChar = fc.constantFrom('a', 'Z', '7', ' ', ',', '"', "'", ';', '\t', '\0', 'é', '日', '😀', '\\', '=', '-');
const cellText = (minLength: number) => fc.string({ unit: cellChar, minLength, maxLength: 24 });

/** A good row; `id` (its CPU value and pod-name suffix) identifies it once read back. */
export function goodRow(id: number): fc.Arbitrary<MetricRow> {
  return fc
    .record({
      namespace: cellText(1),
      podSuffix: cellText(0),
      node: cellText(0),
      status: cellText(0),
      eventMessage: cellText(0),
      memoryPercent: fc.integer({ min: 0, max: 10_000 }),
      restarts: fc.integer({ min: 0, max: 1_000_000 }),
      seconds: fc.integer({ min: 0, max: 10_000_000 }),
    })
    .map((r) =>
      newMetricRow({
        timestamp: new Date(T0 + r.seconds * 1000).toISOString(),
        namespace: r.namespace,
        pod: `pod-${id}-${r.podSuffix}`,
        node: r.node,
        status: r.status,
        eventMessage: r.eventMessage,
        cpuPercent: id,
        memoryPercent: r.memoryPercent,
        restarts: r.restarts,
      }),
    );
}

export function rowLine(row: MetricRow): string {
  return formatRows([row], COLUMNS).replace(/\n$/, '');
}

/** Lines the reader must reject (each a different reason), never containing a line feed. */
export const badLine: fc.Arbitrary<string> = fc.oneof(
  fc.constant('not,a,row'),
  fc.constant('\0\0\0\0'),
  fc.constant(' '),
  // a row with its CPU cell replaced: non-numeric, negative, NUL-poisoned
  fc
    .constantFrom('abc', '-5', '\u00005', '1e400', 'NaN')
    .map((cpu) =>
      rowLine(newMetricRow({ timestamp: new Date(T0).toISOString(), namespace: 'ns', pod: 'bad', cpuPercent: 1 })).replace(
        /,1,,/,
        `,${cpu},,`,
      ),
    ),
  // unbalanced quote
  fc.constant(`"${new Date(T0).toISOString()},ns,"pod,${','.repeat(COLUMNS.length - 3)}`),
  // an empty pod name, an invalid timestamp
  fc.constant(rowLine(newMetricRow({ timestamp: new Date(T0).toISOString(), namespace: 'ns', pod: '' }))),
  fc.constant(rowLine(newMetricRow({ timestamp: 'yesterday', namespace: 'ns', pod: 'p' }))),
  // arbitrary junk (classified by the reference parse: it is all but certainly rejected)
  fc.string({ unit: cellChar, minLength: 1, maxLength: 40 }).filter((s) => s !== ' ' && s.trim() !== ''),
);

export type Line = { kind: 'good'; row: MetricRow } | { kind: 'bad'; text: string } | { kind: 'blank'; text: string };

/** A stream: a list of lines of the three kinds; good rows carry ids first, first+1, ... */
export function lines(first = 0, maxLength = 30): fc.Arbitrary<Line[]> {
  return fc.array(fc.constantFrom<'good' | 'bad' | 'blank'>('good', 'good', 'good', 'bad', 'blank'), { maxLength }).chain((kinds) => {
    let id = first;
    return fc.tuple(
      ...kinds.map((k): fc.Arbitrary<Line> => {
        if (k === 'good') return goodRow(id++).map((row) => ({ kind: 'good', row }));
        if (k === 'bad') return badLine.map((text) => ({ kind: 'bad', text }));
        return fc.constantFrom('', '\r').map((text) => ({ kind: 'blank', text }));
      }),
    );
  });
}

export interface Encoded {
  bytes: Buffer;
  /** Rows a line-by-line parse of the stream yields, in order. */
  good: MetricRow[];
  /** Lines a line-by-line parse rejects. */
  bad: number;
}

export function lineText(l: Line): string {
  return l.kind === 'good' ? rowLine(l.row) : l.text;
}

/** The whole file (header included) and what a line-by-line parse of it yields. */
export function encode(ls: Line[], o: { bom: boolean; crlf: boolean; header?: boolean }): Encoded {
  const eol = o.crlf ? '\r\n' : '\n';
  const schema = new MetricsCsvSchema(HEADER_LINE);
  const good: MetricRow[] = [];
  let bad = 0;
  let text = o.header === false ? '' : (o.bom ? '\uFEFF' : '') + HEADER_LINE + eol;
  for (const l of ls) {
    const t = lineText(l) + (l.kind === 'blank' ? '' : eol);
    text += t + (l.kind === 'blank' ? '\n' : '');
    if (l.kind === 'blank') continue;
    const r = schema.parseLine(t.replace(/\n$/, ''));
    if (r.ok) good.push(r.row);
    else bad++;
  }
  return { bytes: Buffer.from(text, 'utf8'), good, bad };
}

/** Sorted distinct cut points strictly inside [0, n]. */
export function cutsOf(points: number[], n: number): number[] {
  return [...new Set(points.map((p) => (n === 0 ? 0 : p % (n + 1))))].sort((a, b) => a - b);
}
