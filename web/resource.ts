// Fetch-and-refresh for a view: loads on mount and when `key` changes, reloads (at most once a second) when
// one of `refreshOn`'s server events arrives, keeps the last good data while a reload is under way.
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import type { SseEventName } from '../server/api-schemas.ts';
import { getJson } from './api.ts';
import { useServerEvents } from './events.ts';

export interface Resource<T> {
  data: T | null;
  error: string | null;
  reload: () => void;
}

const MIN_INTERVAL_MS = 1000;

export function useResource<T>(path: string | null, refreshOn: readonly SseEventName[]): Resource<T> {
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [tick, setTick] = useState(0);
  const last = useRef(0);
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);

  useEffect(() => {
    setData(null);
    setError(null);
  }, [path]);

  useEffect(() => {
    if (!path) return;
    const ctl = new AbortController();
    last.current = Date.now();
    getJson<T>(path, ctl.signal).then(
      (d) => {
        setData(d);
        setError(null);
      },
      (e: Error) => {
        if (!ctl.signal.aborted) setError(e.message);
      },
    );
    return () => ctl.abort();
  }, [path, tick]);

  const reload = useCallback(() => {
    if (timer.current) return;
    const wait = Math.max(0, last.current + MIN_INTERVAL_MS - Date.now());
    timer.current = setTimeout(() => {
      timer.current = null;
      setTick((t) => t + 1);
    }, wait);
  }, []);
  useEffect(() => () => void (timer.current && clearTimeout(timer.current)), []);
  useServerEvents(refreshOn, reload);
  return { data, error, reload };
}
