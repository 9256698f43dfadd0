// Identity and "material change" of an ongoing anomaly. The id is a hash of namespace/pod and the start of
// the anomalous stretch, so it stays the same across cycles and changes when a new stretch begins. The
// fingerprint holds what makes a new analysis worth its cost: the type, the severity, and warning events.
import { createHash } from 'node:crypto';
import type { PodInsight, Severity, AnomalyType } from '../../lib/schemas.ts';

export function anomalyId(insight: Pick<PodInsight, 'namespace' | 'pod' | 'since' | 'timestamp'>): string {
  const start = insight.since ?? insight.timestamp;
  const digest = createHash('sha256').update(`${insight.namespace}/${insight.pod}/${start}`).digest('hex');
  return `an-${digest.slice(0, 16)}`;
}

export interface Fingerprint {
  type: AnomalyType;
  severity: Severity;
  /** Keys of the warning events seen so far. */
  events: string[];
}

/** Why `next` calls for a new analysis compared with `prev`, or null when nothing material changed. */
export function materialChange(prev: Fingerprint, next: Fingerprint): string | null {
  if (prev.type !== next.type) return `type ${prev.type} → ${next.type}`;
  if (prev.severity !== next.severity) return `severity ${prev.severity} → ${next.severity}`;
  const seen = new Set(prev.events);
  const fresh = next.events.filter((e) => !seen.has(e));
  if (fresh.length > 0) return `new warning event${fresh.length > 1 ? 's' : ''}`;
  return null;
}
