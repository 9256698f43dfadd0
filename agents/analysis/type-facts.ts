// What the rule-based analysis says to justify a type: the figures from the pod's metric window (or the
// insight's contributing metrics) and the container facts that point to it, and which metrics drove
// it, so that the explanation names signals and the evidence leads with the metric that matters
// (memory for oom_risk, restarts for crash_loop, packets for network_issue, CPU for resource_exhaustion).
import type { AnomalyType } from '../../lib/schemas.ts';
import type { ContainerFacts, MetricMovement, PodContext } from './context-types.ts';
import { cpuMillis, memoryBytes } from '../../lib/quantity.ts';
import { describeForecast } from '../../models/forecast.ts';

/** The parts of the rule signals the facts are made from. */
export interface FactSignals {
  oomKills: number;
  restarts: number;
  main: ContainerFacts | undefined;
  logHits: { oom: string[]; net: string[]; io: string[]; cpu: string[]; crash: string[] };
}

/** The metrics (CSV column names) that show each type, most telling first. */
export const DRIVING_METRICS: Partial<Record<AnomalyType, string[]>> = {
  oom_risk: ['Memory Usage (%)', 'Memory Usage (MB)'],
  crash_loop: ['Pod Restarts'],
  resource_exhaustion: ['CPU Usage (%)'],
  network_issue: [
    'Network Receive Packets Dropped (p/s)',
    'Network Transmit Packets Dropped (p/s)',
    'Network Receive Bytes',
    'Network Transmit Bytes',
  ],
  io_pressure: ['FS Writes Total (MB)', 'FS Reads Total (MB)'],
};

const round = (v: number, digits = 0): string => (digits ? v.toFixed(digits) : String(Math.round(v)));
const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

function movement(ctx: PodContext, metric: string): MetricMovement | undefined {
  return ctx.metrics.movements.find((m) => m.metric === metric);
}

/** Minutes the CSV window spans; null for the insight's figures (no time axis). */
function windowMinutes(ctx: PodContext): number | null {
  const w = ctx.metrics;
  if (w.source !== 'csv' || !w.start || !w.end) return null;
  const ms = Date.parse(w.end) - Date.parse(w.start);
  return Number.isFinite(ms) && ms > 0 ? ms / 60_000 : null;
}

/** "over 6 min" / "over 40 s" for a window length in minutes. */
function over(minutes: number): string {
  return minutes >= 1 ? `over ${round(minutes)} min` : `over ${round(minutes * 60)} s`;
}

function memoryFacts(ctx: PodContext, s: FactSignals): string[] {
  const out: string[] = [];
  const pct = movement(ctx, 'Memory Usage (%)');
  const mb = movement(ctx, 'Memory Usage (MB)');
  const minutes = windowMinutes(ctx);
  const limit = s.main?.limits.memory;
  if (pct)
    out.push(
      `memory at ${round(pct.to)}% of its limit${limit ? ` (${limit})` : ''}${minutes === null ? ` where the model expected ${round(pct.from)}%` : ''}`,
    );
  else if (mb) {
    const limitMb = memoryBytes(limit) / 1024 ** 2;
    const of = Number.isFinite(limitMb) && limitMb > 0 ? `, ${round((mb.to / limitMb) * 100)}% of its ${limit} limit` : '';
    out.push(`memory at ${round(mb.to)} MiB${of}${minutes === null ? ` where the model expected ${round(mb.from)} MiB` : ''}`);
  }
  if (minutes !== null && mb && mb.to > mb.from) {
    const rate = (mb.to - mb.from) / minutes;
    out.push(`rising ${round(rate, rate < 10 ? 1 : 0)} MiB/min (${round(mb.from)} → ${round(mb.to)} MiB ${over(minutes)})`);
  }
  // the detector's forecast (a robust trend over time, models/forecast.ts) when it has one; else the window's two ends
  const forecast = ctx.insight.forecasts?.find((f) => f.metric === 'memory');
  if (forecast) out.push(describeForecast(forecast));
  else if (minutes !== null && pct && pct.to > pct.from && pct.to < 100) {
    const eta = (100 - pct.to) / ((pct.to - pct.from) / minutes);
    out.push(`forecast to reach the limit in ${eta < 1 ? 'under a minute' : `${round(eta)} min`}`);
  }
  if (s.oomKills > 0) out.push(`OOM-killed ${plural(s.oomKills, 'time')}`);
  if (s.logHits.oom.length) out.push(`${plural(s.logHits.oom.length, 'log line')} about memory exhaustion`);
  return out;
}

function restartFacts(ctx: PodContext, s: FactSignals): string[] {
  const out: string[] = [];
  const r = movement(ctx, 'Pod Restarts');
  const minutes = windowMinutes(ctx);
  if (r && minutes !== null && r.to > r.from) out.push(`${plural(r.to - r.from, 'restart')} ${over(minutes)} (${r.to} in all)`);
  else if (s.restarts > 0) out.push(`${plural(s.restarts, 'restart')} in all`);
  const c = s.main;
  if (c?.waitingReason) out.push(`waiting: ${c.waitingReason}`);
  if (c?.lastTerminationReason)
    out.push(`last exit: ${c.lastTerminationReason}${c.lastExitCode !== undefined ? ` (code ${c.lastExitCode})` : ''}`);
  if (s.logHits.crash.length) out.push(`the previous container logged: ${s.logHits.crash[s.logHits.crash.length - 1]!.slice(0, 120)}`);
  return out;
}

function cpuFacts(ctx: PodContext, s: FactSignals): string[] {
  const out: string[] = [];
  const cpu = movement(ctx, 'CPU Usage (%)');
  const minutes = windowMinutes(ctx);
  if (cpu) {
    const limit = cpuMillis(s.main?.limits.cpu);
    const ofLimit =
      Number.isFinite(limit) && limit > 0 ? `, ${round((cpu.to / (limit / 10)) * 100)}% of its ${s.main!.limits.cpu} limit` : '';
    const trend =
      minutes !== null
        ? cpu.to > cpu.from
          ? `, up from ${round(cpu.from)}% ${over(minutes)}`
          : ''
        : ` where the model expected ${round(cpu.from)}%`;
    out.push(`CPU at ${round(cpu.to)}% of a core${ofLimit}${trend}`);
  }
  if (s.logHits.cpu.length) out.push(`${plural(s.logHits.cpu.length, 'log line')} about saturation`);
  return out;
}

function networkFacts(ctx: PodContext, s: FactSignals): string[] {
  const out: string[] = [];
  const rx = movement(ctx, 'Network Receive Packets Dropped (p/s)');
  const tx = movement(ctx, 'Network Transmit Packets Dropped (p/s)');
  const drops = Math.max(rx?.max ?? 0, tx?.max ?? 0);
  if (drops > 0) out.push(`up to ${round(drops, drops < 10 ? 1 : 0)} dropped packets/s`);
  if (s.logHits.net.length) out.push(`${plural(s.logHits.net.length, 'log line')} with connection errors`);
  return out;
}

function ioFacts(ctx: PodContext, s: FactSignals): string[] {
  const out: string[] = [];
  const minutes = windowMinutes(ctx);
  for (const [metric, what] of [
    ['FS Writes Total (MB)', 'writes'],
    ['FS Reads Total (MB)', 'reads'],
  ] as const) {
    const m = movement(ctx, metric);
    if (m && m.to > m.from)
      out.push(`filesystem ${what} ${round(m.from)} → ${round(m.to)} MB${minutes !== null ? ` ${over(minutes)}` : ''}`);
  }
  if (s.logHits.io.length) out.push(`${plural(s.logHits.io.length, 'log line')} about slow IO`);
  return out;
}

/** The figures that support `type`, as short phrases (empty when the window holds none). */
export function typeFacts(type: AnomalyType, ctx: PodContext, s: FactSignals): string[] {
  switch (type) {
    case 'oom_risk':
      return memoryFacts(ctx, s);
    case 'crash_loop':
      return restartFacts(ctx, s);
    case 'resource_exhaustion':
      return cpuFacts(ctx, s);
    case 'network_issue':
      return networkFacts(ctx, s);
    case 'io_pressure':
      return ioFacts(ctx, s);
    default:
      return [];
  }
}

/**
 * The metric window's lines, those of the type's driving metrics first, in their order; a driving
 * metric that did not move enough to be summarised still gets a line (the first two, when non-zero):
 * the first metric evidence shows what drove the type.
 */
export function metricLines(type: AnomalyType, ctx: PodContext): { driving: string[]; others: string[] } {
  const driving: string[] = [];
  (DRIVING_METRICS[type] ?? []).forEach((metric, i) => {
    const line = ctx.metrics.summary.find((l) => l.startsWith(`${metric}:`));
    const m = movement(ctx, metric);
    if (line) driving.push(line);
    else if (m && i < 2 && m.max !== 0) driving.push(`${metric}: ${fmt(m.from)} → ${fmt(m.to)}, range ${fmt(m.min)}–${fmt(m.max)}`);
  });
  return { driving, others: ctx.metrics.summary.filter((l) => !driving.includes(l)) };
}

function fmt(v: number): string {
  return Number.isInteger(v) ? String(v) : v.toFixed(1);
}
