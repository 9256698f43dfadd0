// The Prometheus naming rules podsentinel's series follow (promtool may not be installed): prefix, snake_case,
// _total on counters only, base units (_seconds, _bytes), help text, and no label from an unbounded set.
import { METRIC_PREFIX } from '../../lib/metrics.ts';

/** Label names whose values come from an unbounded set (a pod label is allowed only on the capped gauge). */
const UNBOUNDED_LABELS = ['pod', 'namespace', 'id', 'analysis_id', 'uid', 'node', 'url', 'path', 'message', 'error'];
const CAPPED_POD_SERIES = new Set(['podsentinel_anomalous_pod_score']);

/** The Prometheus naming rules for our series; returns the problems found. */
export function lintMetric(m: { name: string; type: string; help: string; labelNames: readonly string[] }): string[] {
  const problems: string[] = [];
  if (!m.name.startsWith(METRIC_PREFIX)) problems.push(`${m.name}: no ${METRIC_PREFIX} prefix`);
  if (!/^[a-z_][a-z0-9_]*$/.test(m.name)) problems.push(`${m.name}: not snake_case`);
  if (m.type === 'counter' && !m.name.endsWith('_total')) problems.push(`${m.name}: a counter without _total`);
  if (m.type !== 'counter' && m.name.endsWith('_total')) problems.push(`${m.name}: _total on a ${m.type}`);
  if (/_(ms|milliseconds|minutes|hours|kb|mb|gb|kilobytes|megabytes|percent)(_|$)/.test(m.name))
    problems.push(`${m.name}: not in base units`);
  if (m.type === 'histogram' && !/_(seconds|bytes)$/.test(m.name)) problems.push(`${m.name}: a histogram without a _seconds/_bytes unit`);
  if (/duration|latency|lag/.test(m.name) && !/_(seconds|bytes)(_total)?$/.test(m.name))
    problems.push(`${m.name}: a time without _seconds`);
  if (!m.help || m.help.length < 10) problems.push(`${m.name}: no help`);
  for (const l of m.labelNames) {
    if (!/^[a-z_][a-z0-9_]*$/.test(l) || l.startsWith('__')) problems.push(`${m.name}: bad label ${l}`);
    if (UNBOUNDED_LABELS.includes(l) && !CAPPED_POD_SERIES.has(m.name)) problems.push(`${m.name}: unbounded label ${l}`);
  }
  return problems;
}
