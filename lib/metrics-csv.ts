// The pod_metrics.csv contract (writer and readers in docs/ARCHITECTURE.md): the one place that knows its
// header, parses its rows and writes them. Readers select columns by name, ignore unknown ones and default
// missing optional ones.
import { closeSync, existsSync, fstatSync, ftruncateSync, openSync, readSync, writeSync, fsyncSync } from 'node:fs';
import { parse as parseCsvSync } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';

export const METRIC_COLUMNS = [
  'Timestamp',
  'Namespace',
  'Pod Name',
  'Node',
  'Pod Status',
  'Ready Containers',
  'Total Containers',
  'Pod Restarts',
  'CPU Usage (%)',
  'Memory Usage (%)',
  'Memory Usage (MB)',
  'Network Receive Bytes',
  'Network Transmit Bytes',
  'FS Reads Total (MB)',
  'FS Writes Total (MB)',
  'Network Receive Packets Dropped (p/s)',
  'Network Transmit Packets Dropped (p/s)',
  'Event Reason',
  'Event Message',
  'Event Age (minutes)',
  'Event Count',
] as const;
export type MetricColumn = (typeof METRIC_COLUMNS)[number];

/**
 * Extra columns the Kubernetes collector writes after the standard ones (the forecasts' CPU and ephemeral
 * storage limits; models/forecast.ts): the CPU limit in the unit of "CPU Usage (%)" (100 × cores), and
 * ephemeral storage usage and limit.
 */
export const CPU_LIMIT_COLUMN = 'CPU Limit (%)';
export const EPHEMERAL_USAGE_COLUMN = 'Ephemeral Storage Usage (MB)';
export const EPHEMERAL_LIMIT_COLUMN = 'Ephemeral Storage Limit (MB)';

/** Columns without which a file cannot be read at all. */
export const REQUIRED_COLUMNS: readonly MetricColumn[] = ['Timestamp', 'Namespace', 'Pod Name'];

/**
 * One row. Numeric metrics are NaN when the column is missing or the cell is empty (unknown, e.g. a pod
 * whose metrics are not yet served); that is different from 0.
 */
export interface MetricRow {
  timestamp: string;
  /** Timestamp as epoch milliseconds. */
  time: number;
  namespace: string;
  pod: string;
  node: string;
  status: string;
  readyContainers: number;
  totalContainers: number;
  restarts: number;
  cpuPercent: number;
  memoryPercent: number;
  memoryMb: number;
  netRxBytes: number;
  netTxBytes: number;
  fsReadsMb: number;
  fsWritesMb: number;
  netRxDropped: number;
  netTxDropped: number;
  eventReason: string;
  eventMessage: string;
  eventAgeMinutes: number;
  eventCount: number;
  /** Custom numeric columns (e.g. `--extra-metric`), by column name. */
  extra: Record<string, number>;
}

type NumericKey = {
  [K in keyof MetricRow]: MetricRow[K] extends number ? (K extends 'time' ? never : K) : never;
}[keyof MetricRow];
type StringKey = 'timestamp' | 'namespace' | 'pod' | 'node' | 'status' | 'eventReason' | 'eventMessage';

const STRING_FIELDS: Record<string, StringKey> = {
  Timestamp: 'timestamp',
  Namespace: 'namespace',
  'Pod Name': 'pod',
  Node: 'node',
  'Pod Status': 'status',
  'Event Reason': 'eventReason',
  'Event Message': 'eventMessage',
};
/** Numeric columns with their allowed range; a value outside it rejects the row. */
const NUMERIC_FIELDS: Record<string, { key: NumericKey; min: number; max: number }> = {
  'Ready Containers': { key: 'readyContainers', min: 0, max: 1e4 },
  'Total Containers': { key: 'totalContainers', min: 0, max: 1e4 },
  'Pod Restarts': { key: 'restarts', min: 0, max: 1e9 },
  'CPU Usage (%)': { key: 'cpuPercent', min: 0, max: 1e6 },
  'Memory Usage (%)': { key: 'memoryPercent', min: 0, max: 1e4 },
  'Memory Usage (MB)': { key: 'memoryMb', min: 0, max: 1e9 },
  'Network Receive Bytes': { key: 'netRxBytes', min: 0, max: 1e15 },
  'Network Transmit Bytes': { key: 'netTxBytes', min: 0, max: 1e15 },
  'FS Reads Total (MB)': { key: 'fsReadsMb', min: 0, max: 1e12 },
  'FS Writes Total (MB)': { key: 'fsWritesMb', min: 0, max: 1e12 },
  'Network Receive Packets Dropped (p/s)': { key: 'netRxDropped', min: 0, max: 1e12 },
  'Network Transmit Packets Dropped (p/s)': { key: 'netTxDropped', min: 0, max: 1e12 },
  'Event Age (minutes)': { key: 'eventAgeMinutes', min: 0, max: 1e9 },
  'Event Count': { key: 'eventCount', min: 0, max: 1e12 },
};

export class CsvHeaderError extends Error {}

export type ParseResult = { ok: true; row: MetricRow } | { ok: false; reason: string };

function emptyRow(): MetricRow {
  return {
    timestamp: '',
    time: NaN,
    namespace: '',
    pod: '',
    node: '',
    status: '',
    readyContainers: NaN,
    totalContainers: NaN,
    restarts: NaN,
    cpuPercent: NaN,
    memoryPercent: NaN,
    memoryMb: NaN,
    netRxBytes: NaN,
    netTxBytes: NaN,
    fsReadsMb: NaN,
    fsWritesMb: NaN,
    netRxDropped: NaN,
    netTxDropped: NaN,
    eventReason: '',
    eventMessage: '',
    eventAgeMinutes: NaN,
    eventCount: NaN,
    extra: {},
  };
}

/** Splits one CSV line into fields. Lines without quotes take a fast path; others go through csv-parse. */
export function splitCsvLine(line: string): string[] | null {
  if (line.endsWith('\r')) line = line.slice(0, -1);
  if (!line.includes('"')) return line.split(',');
  try {
    const records = parseCsvSync(line, { relax_column_count: true }) as string[][];
    return records.length === 1 ? records[0]! : null;
  } catch {
    return null;
  }
}

/** Maps a header to column indexes once, then parses lines of that file. */
export class MetricsCsvSchema {
  readonly columns: string[];
  readonly extraColumns: string[];
  private readonly plan: Array<
    | { kind: 'string'; index: number; key: StringKey }
    | { kind: 'number'; index: number; key: NumericKey; min: number; max: number; name: string }
    | { kind: 'extra'; index: number; name: string }
  > = [];

  constructor(headerLine: string) {
    // A carriage return inside the line: the file's lines end with bare CRs, so the whole file reads as
    // one "header" line and would silently yield no rows.
    if (/\r(?!$)/.test(headerLine))
      throw new CsvHeaderError('the header line contains a carriage return: lines must end with LF or CRLF, not a bare CR');
    const fields = splitCsvLine(headerLine.replace(/^\uFEFF/, ''));
    if (!fields) throw new CsvHeaderError('the CSV header line cannot be parsed');
    this.columns = fields.map((f) => f.trim());
    const missing = REQUIRED_COLUMNS.filter((c) => !this.columns.includes(c));
    if (missing.length > 0) {
      throw new CsvHeaderError(
        `the CSV header lacks required column${missing.length > 1 ? 's' : ''}: ${missing.map((m) => `"${m}"`).join(', ')}`,
      );
    }
    this.extraColumns = [];
    this.columns.forEach((name, index) => {
      const s = STRING_FIELDS[name];
      const n = NUMERIC_FIELDS[name];
      if (s) this.plan.push({ kind: 'string', index, key: s });
      else if (n) this.plan.push({ kind: 'number', index, ...n, name });
      else if (name !== '') {
        this.extraColumns.push(name);
        this.plan.push({ kind: 'extra', index, name });
      }
    });
  }

  parseLine(line: string): ParseResult {
    const fields = splitCsvLine(line);
    if (!fields) return { ok: false, reason: 'unparseable CSV (unbalanced quotes)' };
    return this.parseFields(fields);
  }

  parseFields(fields: string[]): ParseResult {
    if (fields.length !== this.columns.length) {
      return { ok: false, reason: `expected ${this.columns.length} fields, found ${fields.length}` };
    }
    const row = emptyRow();
    for (const step of this.plan) {
      const raw = fields[step.index]!;
      if (step.kind === 'string') {
        row[step.key] = raw;
        continue;
      }
      const text = raw.trim();
      if (text === '') continue; // unknown: stays NaN
      const value = Number(text);
      if (!Number.isFinite(value)) {
        return { ok: false, reason: `non-numeric value "${raw}" in "${step.kind === 'number' ? step.name : step.name}"` };
      }
      if (step.kind === 'extra') {
        row.extra[step.name] = value;
      } else {
        if (value < step.min || value > step.max) {
          return { ok: false, reason: `value ${value} out of range [${step.min}, ${step.max}] in "${step.name}"` };
        }
        row[step.key] = value;
      }
    }
    if (row.namespace === '' || row.pod === '') return { ok: false, reason: 'empty Namespace or Pod Name' };
    row.time = Date.parse(row.timestamp);
    if (!Number.isFinite(row.time)) return { ok: false, reason: `invalid Timestamp "${row.timestamp}"` };
    return { ok: true, row };
  }
}

function cell(value: number | string | undefined): string {
  if (value === undefined) return '';
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) return '';
    return Number.isInteger(value) ? String(value) : String(Math.round(value * 1e4) / 1e4);
  }
  return value.replace(/[\r\n]+/g, ' '); // one row per line, always
}

/** The fields of one row in the column order given (standard columns first, then extras). */
export function rowToFields(row: MetricRow, columns: readonly string[]): string[] {
  return columns.map((name) => {
    const s = STRING_FIELDS[name];
    if (s) return cell(row[s]);
    const n = NUMERIC_FIELDS[name];
    if (n) return cell(row[n.key]);
    return cell(row.extra[name]);
  });
}

export function formatRows(rows: readonly MetricRow[], columns: readonly string[]): string {
  if (rows.length === 0) return '';
  return stringify(
    rows.map((r) => rowToFields(r, columns)),
    { eof: true, record_delimiter: '\n' },
  );
}

export function formatHeader(columns: readonly string[]): string {
  return stringify([columns as string[]], { eof: true, record_delimiter: '\n' });
}

/** A row with every metric unknown; collectors fill in what they have. */
export function newMetricRow(fields: Partial<MetricRow> & Pick<MetricRow, 'timestamp' | 'namespace' | 'pod'>): MetricRow {
  const row = { ...emptyRow(), ...fields };
  row.time = fields.time ?? Date.parse(row.timestamp); // a caller writing many rows of one timestamp parses it once
  return row;
}

/**
 * Appends rows to pod_metrics.csv. Each append is one write(2) of whole lines on an O_APPEND descriptor,
 * so readers never see a half-written row from a healthy writer. Opening an existing file checks its
 * header (a different header is refused) and cuts off a torn last line left by a crashed writer.
 */
export class MetricsCsvWriter {
  readonly columns: string[];
  /**
   * Extra columns this writer would write that the existing file's header lacks (a file begun by an older
   * build or without those sources): rows go on in the file's columns, these are left out until the file
   * is moved aside, since one file keeps one header.
   */
  readonly missingColumns: string[];
  private fd: number;

  private constructor(fd: number, columns: string[], missing: string[]) {
    this.fd = fd;
    this.columns = columns;
    this.missingColumns = missing;
  }

  static open(path: string, extraColumns: readonly string[] = []): MetricsCsvWriter {
    let columns = [...METRIC_COLUMNS, ...extraColumns];
    let missing: string[] = [];
    const header = formatHeader(columns);
    const existed = existsSync(path);
    const fd = openSync(path, existed ? 'r+' : 'a');
    try {
      const size = fstatSync(fd).size;
      if (size === 0) {
        writeSync(fd, header);
      } else {
        const first = readFirstLine(fd);
        const kept = first.trim() === header.trim() ? columns : subsetHeader(first, extraColumns);
        if (kept) {
          missing = columns.filter((c) => !kept.includes(c));
          columns = kept;
        } else {
          throw new CsvHeaderError(
            `${path} has a different header than this writer (columns: ${columns.length}). ` +
              `Refusing to append; move the file aside or choose another --output-file.\n  file:   ${first.trim()}\n  writer: ${header.trim()}`,
          );
        }
        const tail = Buffer.alloc(1);
        readSync(fd, tail, 0, 1, size - 1);
        if (tail[0] !== 0x0a) ftruncateSync(fd, lastNewlineBefore(fd, size) + 1);
      }
    } catch (err) {
      closeSync(fd);
      throw err;
    }
    closeSync(fd);
    return new MetricsCsvWriter(openSync(path, 'a'), columns, missing);
  }

  append(rows: readonly MetricRow[]): void {
    if (rows.length === 0) return;
    writeSync(this.fd, formatRows(rows, this.columns));
  }

  flush(): void {
    fsyncSync(this.fd);
  }

  close(): void {
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
  }
}

/** The columns of `line` when it is the standard header followed by some of `extra` (in any order); else null. */
function subsetHeader(line: string, extra: readonly string[]): string[] | null {
  const fields = splitCsvLine(line.trim().replace(/^\uFEFF/, ''));
  if (!fields || fields.length < METRIC_COLUMNS.length) return null;
  if (METRIC_COLUMNS.some((c, i) => fields[i] !== c)) return null;
  const rest = fields.slice(METRIC_COLUMNS.length);
  if (rest.some((c) => !extra.includes(c)) || new Set(rest).size !== rest.length) return null;
  return fields;
}

function readFirstLine(fd: number): string {
  const buf = Buffer.alloc(64 * 1024);
  const n = readSync(fd, buf, 0, buf.length, 0);
  const text = buf.subarray(0, n).toString('utf8');
  const nl = text.indexOf('\n');
  return nl < 0 ? text : text.slice(0, nl);
}

function lastNewlineBefore(fd: number, size: number): number {
  const chunk = 64 * 1024;
  const buf = Buffer.alloc(chunk);
  for (let end = size; end > 0; end -= chunk) {
    const start = Math.max(0, end - chunk);
    const n = readSync(fd, buf, 0, end - start, start);
    const idx = buf.subarray(0, n).lastIndexOf(0x0a);
    if (idx >= 0) return start + idx;
  }
  return -1;
}
