// Live updates: one EventSource per page (GET /api/events), shared by every view. The browser reconnects
// by itself; views subscribe to the event names they care about and refetch what changed.
import { useEffect, useState } from 'preact/hooks';
import type { SseEventName } from '../server/api-schemas.ts';

type Listener = (name: SseEventName, data: unknown) => void;
const listeners = new Set<Listener>();
const stateListeners = new Set<(live: boolean) => void>();
let source: EventSource | null = null;
let live = false;

function connect(): void {
  if (source) return;
  source = new EventSource('/api/events');
  const setLive = (v: boolean) => {
    live = v;
    for (const l of stateListeners) l(v);
  };
  source.onopen = () => setLive(true);
  source.onerror = () => setLive(false);
  for (const name of ['status', 'anomaly', 'analysis', 'remediation'] as const) {
    source.addEventListener(name, (ev) => {
      let data: unknown;
      try {
        data = JSON.parse((ev as MessageEvent<string>).data);
      } catch {
        return;
      }
      for (const l of listeners) l(name, data);
    });
  }
}

/** Calls `onEvent` for each server event whose name is in `names`. */
export function useServerEvents(names: readonly SseEventName[], onEvent: (name: SseEventName, data: unknown) => void): void {
  useEffect(() => {
    connect();
    const l: Listener = (n, d) => {
      if (names.includes(n)) onEvent(n, d);
    };
    listeners.add(l);
    return () => void listeners.delete(l);
  }, [names.join(','), onEvent]);
}

/** Whether the event stream is connected. */
export function useLive(): boolean {
  const [v, setV] = useState(live);
  useEffect(() => {
    connect();
    stateListeners.add(setV);
    return () => void stateListeners.delete(setV);
  }, []);
  return v;
}
