// The live status block: redrawn in place on a terminal, plain log lines otherwise. Event lines
// (an anomaly detected, its analysis, a child restarted) print above the block and stay. While a
// prompt owns the terminal the view is paused: nothing is drawn and events wait until resume().

export interface ChildLine {
  name: string;
  state: string;
  health: string;
  pid: number | null;
  restarts: number;
  /** e.g. "lag 0 B", "rows 1,204", "heartbeat 2s ago". */
  detail: string;
}

export interface StatusModel {
  title: string;
  pods: number | undefined;
  rowsPerMinute: number | undefined;
  rowsTotal: number | undefined;
  anomaliesFlagged: number | undefined;
  anomaliesOpen: number | undefined;
  children: ChildLine[];
  footer?: string;
}

export interface Output {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

const num = (n: number | undefined, digits = 0): string =>
  n === undefined ? '–' : n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

const HEALTH_MARK: Record<string, string> = { ok: '●', waiting: '◌', stale: '▲', failed: '✖', unknown: '?', stopped: '■' };

/** The status block's lines (pure, for tests and plain mode). */
export function renderStatus(m: StatusModel): string[] {
  const lines = [
    m.title,
    `  pods watched ${num(m.pods)} · rows/min ${num(m.rowsPerMinute)} · rows ${num(m.rowsTotal)} · anomalies flagged ${num(m.anomaliesFlagged)} · open ${num(m.anomaliesOpen)}`,
  ];
  const width = Math.max(...m.children.map((c) => c.name.length), 8);
  for (const c of m.children) {
    const mark = HEALTH_MARK[c.health] ?? '?';
    const restarts = c.restarts > 0 ? ` restarts ${c.restarts}` : '';
    lines.push(`  ${mark} ${c.name.padEnd(width)} ${c.state.padEnd(8)} ${c.health.padEnd(7)} ${c.detail}${restarts}`);
  }
  if (m.footer) lines.push(`  ${m.footer}`);
  return lines;
}

/** One line for plain (non-terminal) mode. */
export function renderSummaryLine(m: StatusModel): string {
  const kids = m.children.map((c) => `${c.name}=${c.state}/${c.health}${c.restarts ? `(restarts ${c.restarts})` : ''}`).join(' ');
  return `status pods=${num(m.pods)} rows_per_min=${num(m.rowsPerMinute)} rows=${num(m.rowsTotal)} flagged=${num(m.anomaliesFlagged)} open=${num(m.anomaliesOpen)} ${kids}`;
}

export class StatusView {
  private readonly out: Output;
  private readonly tty: boolean;
  private drawnLines = 0;
  private paused = false;
  private pendingEvents: string[] = [];
  private last: StatusModel | null = null;

  constructor(out: Output, opts: { tty?: boolean } = {}) {
    this.out = out;
    this.tty = opts.tty ?? !!out.isTTY;
  }

  get isTTY(): boolean {
    return this.tty;
  }

  get isPaused(): boolean {
    return this.paused;
  }

  /** New figures: redrawn at once on a terminal; plain mode prints summaries only on summary(). */
  update(m: StatusModel): void {
    this.last = m;
    if (this.tty && !this.paused) this.draw();
  }

  /** Plain mode: print the current figures as one line. */
  summary(): void {
    if (!this.tty && !this.paused && this.last) this.out.write(`${stamp()} ${renderSummaryLine(this.last)}\n`);
  }

  /** A line that stays (above the block on a terminal); held back while paused. */
  event(text: string): void {
    if (this.paused) {
      this.pendingEvents.push(text);
      return;
    }
    this.writeEvent(text);
  }

  /** Clears the block and stops drawing, so a prompt can use the terminal. */
  pause(): void {
    if (this.paused) return;
    this.erase();
    this.paused = true;
  }

  resume(): void {
    if (!this.paused) return;
    this.paused = false;
    const events = this.pendingEvents;
    this.pendingEvents = [];
    for (const e of events) this.writeEvent(e);
    if (this.tty) this.draw();
  }

  /** Leaves the last block on screen and stops drawing (at exit). */
  close(): void {
    this.drawnLines = 0;
    this.paused = true;
  }

  private writeEvent(text: string): void {
    if (this.tty) {
      this.erase();
      this.out.write(text.endsWith('\n') ? text : text + '\n');
      this.draw();
    } else {
      for (const line of text.split('\n')) if (line.length) this.out.write(`${stamp()} ${line}\n`);
    }
  }

  private erase(): void {
    if (!this.tty || this.drawnLines === 0) return;
    // Cursor to the start of the block's first line, then clear to the end of the screen.
    this.out.write(`\x1b[${this.drawnLines}F\x1b[J`);
    this.drawnLines = 0;
  }

  private draw(): void {
    if (!this.last) return;
    const width = Math.max(20, (this.out.columns || 100) - 1);
    // Truncated to the width so that no line wraps and the cursor arithmetic stays right.
    const lines = renderStatus(this.last).map((l) => (l.length > width ? l.slice(0, width - 1) + '…' : l));
    let text = this.drawnLines ? `\x1b[${this.drawnLines}F` : '';
    for (const l of lines) text += `\x1b[2K${l}\n`;
    text += '\x1b[J';
    this.out.write(text);
    this.drawnLines = lines.length;
  }
}

function stamp(): string {
  return new Date().toISOString();
}
