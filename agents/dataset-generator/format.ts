// Small text helpers of the agent: shards, JSON strings, pod order and alert lines.
import { describeForecast, forecastsOf } from '../../models/forecast.ts';
import type { PodEntry } from './pod-entry.ts';

/** FNV-1a of "namespace/pod": the shard a pod belongs to, stable across processes and restarts. */
export function shardOf(namespace: string, pod: string, count: number): number {
  let h = 0x811c9dc5;
  const key = `${namespace}/${pod}`;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0) % count;
}

const PLAIN = /^[\w.:+-]*$/;
/** JSON text of a string; names and timestamps seldom need escaping, and testing is cheaper than stringify. */
export function jsonString(s: string): string {
  return PLAIN.test(s) ? `"${s}"` : JSON.stringify(s);
}

export function cmpPod(ns1: string, pod1: string, ns2: string, pod2: string): number {
  return ns1 < ns2 ? -1 : ns1 > ns2 ? 1 : pod1 < pod2 ? -1 : pod1 > pod2 ? 1 : 0;
}

export function alertLine(i: PodEntry, threshold: number): string {
  const top = (i.contributing ?? [])
    .slice(0, 2)
    .map((c) => `${c.metric}=${fmt(c.value)} (expected ${fmt(c.expected)})`)
    .join(', ');
  // the soonest limit the pod's usage heads for, e.g. "memory reaches its limit in ~6 min (confidence 0.82)"
  const soonest = i.forecast ? forecastsOf(i.forecast)[0] : undefined;
  const line = `${i.timestamp} ANOMALY  ${i.namespace}/${i.pod} ${i.type} p=${i.probability.toFixed(2)} >= ${threshold}${top ? ` :: ${top}` : ''}`;
  return soonest ? `${line} :: ${describeForecast(soonest)}` : line;
}

function fmt(x: number): string {
  return Math.abs(x) >= 1000 ? x.toExponential(2) : String(Math.round(x * 100) / 100);
}
