// What the dataset-generator command needs from a metrics source (the Kubernetes API or Prometheus).
import type { Logger } from '../lib/log.ts';
import type { MetricRow } from '../lib/metrics-csv.ts';

export interface ProbeReport {
  /** False when the source cannot be reached or cannot list pods at all. */
  ok: boolean;
  /** Human-readable lines describing what the source serves. */
  lines: string[];
}

export interface Collector {
  /** One line naming the source, e.g. "Kubernetes API at https://10.0.0.1:6443 (all namespaces)". */
  readonly description: string;
  /** Custom columns this collector fills in row.extra (the CSV writer's extraColumns). */
  readonly extraColumns: readonly string[];
  /** One row per pod. Throws SourceUnreachableError when nothing can be collected this tick. */
  collectOnce(): Promise<MetricRow[]>;
  /** Checks the connection and reports what the source serves (`--test`). Never throws. */
  probe(): Promise<ProbeReport>;
  /** Releases connections. */
  close?(): void;
}

/** The source could not be reached or refused the essential call; the message is one clear line. */
export class SourceUnreachableError extends Error {
  override name = 'SourceUnreachableError';
}

/** Runs `fn` over `items` with at most `limit` calls in flight. */
export async function mapPool<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

/** Remembers which warnings were logged so a persisting problem is logged once, and its recovery once. */
export class WarnOnce {
  private active = new Map<string, string>();
  private readonly log: Pick<Logger, 'warn' | 'info'>;
  constructor(log: Pick<Logger, 'warn' | 'info'>) {
    this.log = log;
  }

  warn(key: string, message: string): void {
    if (this.active.get(key) === message) return;
    this.active.set(key, message);
    this.log.warn(message);
  }

  /** The warnings currently in force. */
  messages(): string[] {
    return [...this.active.values()];
  }

  clear(key: string, recovered: string): void {
    if (!this.active.has(key)) return;
    this.active.delete(key);
    this.log.info(recovered);
  }
}
