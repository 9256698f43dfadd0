// The status view's line per child: its supervisor state, and for a running child the health its
// heartbeat tells (age, lag, rows, anomalies) or an invalid heartbeat's reason.
import { heartbeatSummary } from '../lib/heartbeat.ts';
import type { SupervisedChild } from './child-specs.ts';
import { judgeHeartbeat } from './heartbeat.ts';
import type { ChildLine } from './status-view.ts';
import type { ChildStatus } from './supervisor.ts';

const fmtBytes = (n: number): string =>
  n < 1024 ? `${n} B` : n < 1 << 20 ? `${(n / 1024).toFixed(1)} KB` : `${(n / (1 << 20)).toFixed(1)} MB`;
const fmtAge = (ms: number | null): string => (ms === null ? 'no heartbeat' : `beat ${Math.round(ms / 1000)}s ago`);

export function childLines(statuses: readonly ChildStatus[], children: readonly SupervisedChild[]): ChildLine[] {
  const lines: ChildLine[] = [];
  for (const st of statuses) {
    const sc = children.find((c) => c.spec.name === st.name);
    let health: string = st.state === 'failed' ? 'failed' : st.state === 'stopped' ? 'stopped' : 'unknown';
    let detail = '';
    if (st.state === 'backoff') detail = `restart at ${st.nextRestartAt?.slice(11, 19)}`;
    if (sc?.heartbeat && (st.state === 'running' || st.state === 'backoff')) {
      const hb = judgeHeartbeat(sc.heartbeat, {
        staleAfterMs: sc.staleAfterMs,
        graceMs: Math.max(60_000, sc.staleAfterMs * 2),
        childStartedAt: st.startedAt ? Date.parse(st.startedAt) : null,
      });
      if (st.state === 'running') health = hb.health;
      const parts = [hb.invalid ? `invalid heartbeat (${hb.invalid})` : fmtAge(hb.ageMs)];
      const { lagBytes: lag, rows, anomalies } = hb.data ? heartbeatSummary(hb.data) : {};
      if (lag !== undefined) parts.push(`lag ${fmtBytes(lag)}`);
      if (rows !== undefined) parts.push(`rows ${rows.toLocaleString('en-US')}`);
      if (anomalies !== undefined) parts.push(`anomalies ${anomalies}`);
      detail = [detail, ...parts].filter(Boolean).join(' · ');
    } else if (st.state === 'running' && !sc) health = 'ok'; // the simulator has no heartbeat
    lines.push({ name: st.name, state: st.state, health, pid: st.pid, restarts: st.restarts, detail });
  }
  return lines;
}
