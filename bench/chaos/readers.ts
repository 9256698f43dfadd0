// Readers that never stop: a worker thread re-reads every JSON file of the data directory (insights,
// analysis, status and heartbeat files) and the audit log in a tight loop while processes are being
// killed, and counts reads that do not parse. A thread of its own, so that the harness's own work
// (spawning, killing, checking) does not slow the reads down.
import { Worker } from 'node:worker_threads';

export interface ReaderCounts {
  /** Complete JSON reads. */
  reads: number;
  /** Reads that found the file but could not parse it (empty, torn, garbage). */
  invalid_file_reads: number;
  /** Invalid reads per file name. */
  invalid_by_file: Record<string, number>;
  /** Same, for the lock file (written by run-monitoring's lock code, not an output). */
  invalid_lock_reads: number;
  /** Audit-log lines (complete ones) that are not JSON. */
  invalid_audit_lines: number;
  /** Times the audit log had fewer complete lines than at an earlier read. */
  audit_shrinks: number;
  audit_lines_max: number;
}

// Plain JavaScript (no tsx in the worker): reads, parses, counts; posts the counts when asked.
const WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const { readdirSync, readFileSync } = require('node:fs');
const { join } = require('node:path');
const { dir, audit, lock, pauseMs } = workerData;
const c = { reads: 0, invalid_file_reads: 0, invalid_by_file: {}, invalid_lock_reads: 0, invalid_audit_lines: 0, audit_shrinks: 0, audit_lines_max: 0 };
const badAudit = new Set();
let stop = false;
parentPort.on('message', (m) => { if (m === 'stop') stop = true; parentPort.postMessage(c); });
function readJson(path, name) {
  let text;
  try { text = readFileSync(path, 'utf8'); } catch { return; } // gone between readdir and read: a rename
  try { JSON.parse(text); c.reads++; }
  catch {
    if (name === lock) { c.invalid_lock_reads++; return; }
    c.invalid_file_reads++;
    c.invalid_by_file[name] = (c.invalid_by_file[name] || 0) + 1;
  }
}
function readAudit() {
  let text;
  try { text = readFileSync(join(dir, audit), 'utf8'); } catch { return; }
  // The last line is complete only once its newline is there (an append in progress otherwise).
  const lines = text.split('\\n').slice(0, -1);
  if (lines.length < c.audit_lines_max) c.audit_shrinks++;
  c.audit_lines_max = Math.max(c.audit_lines_max, lines.length);
  lines.forEach((l, i) => {
    if (!l.trim() || badAudit.has(i)) return;
    try { JSON.parse(l); } catch { badAudit.add(i); c.invalid_audit_lines++; }
  });
}
function round() {
  if (stop) return;
  let names = [];
  try { names = readdirSync(dir); } catch {}
  for (const n of names) if (n.endsWith('.json') && !n.endsWith('.tmp')) readJson(join(dir, n), n);
  readJson(join(dir, lock), lock);
  readAudit();
  setTimeout(round, pauseMs);
}
round();
`;

export class JsonReaders {
  private readonly worker: Worker;

  constructor(dataDir: string, files: { audit: string; lock: string }, pauseMs = 5) {
    this.worker = new Worker(WORKER, { eval: true, workerData: { dir: dataDir, audit: files.audit, lock: files.lock, pauseMs } });
    this.worker.unref();
  }

  /** Current counts. */
  counts(): Promise<ReaderCounts> {
    return this.ask('counts');
  }

  /** Stops the readers; returns the final counts. */
  async stop(): Promise<ReaderCounts> {
    const c = await this.ask('stop');
    await this.worker.terminate();
    return c;
  }

  private ask(msg: string): Promise<ReaderCounts> {
    return new Promise((resolve) => {
      this.worker.once('message', (c: ReaderCounts) => resolve(c));
      this.worker.postMessage(msg);
    });
  }
}
