// Pod watches with the API server's semantics, cheaply: a hub per cluster remembers each pod's
// resourceVersion and readiness, and on a change (a tick, or any API request after a write) sends only
// the pods that changed, each rendered and serialised once for every watcher. A watch resumes from a
// resourceVersion by replaying a bounded event history; one older than the history gets the API server's
// 410 "too old resource version" ERROR event. BOOKMARKs (allowWatchBookmarks) carry the cluster's
// resourceVersion whenever it moved, so a client can tell it has seen everything up to a list it made.
//
// Readiness follows the clock in the model (no resourceVersion of its own), and a deletion takes none:
// while pods are watched the hub gives such a change a new resourceVersion, as the API server would. It
// does so only while a watch is open (or starts), so lists served with no watch open are as before.
import type { ServerResponse } from 'node:http';
import type { SimCluster, SimPod } from '../cluster.ts';
import { statusObject } from '../errors.ts';
import { renderPod } from '../render.ts';
import { boolParam, intParam, type Ctx, type Obj } from './request.ts';
import { wantsTable } from './tables.ts';

/** Events kept for resuming watches (the API server's watch cache holds a bounded window too). */
const HISTORY_LIMIT = 10_000;

interface Known {
  pod: SimPod;
  rv: number;
  ready: boolean;
}

interface Entry {
  rv: number;
  namespace: string;
  line: string;
}

interface Watcher {
  res: ServerResponse;
  namespace: string | undefined;
  bookmarks: boolean;
  /** The highest resourceVersion this watcher was sent (event or bookmark). */
  sentRv: number;
  finish: () => void;
}

class PodWatchHub {
  private readonly c: SimCluster;
  private readonly known = new Map<string, Known>();
  private history: Entry[] = [];
  /** A resume from a resourceVersion below this cannot be served (410). */
  private historyStart: number;
  private seenVersion: number;
  readonly watchers = new Set<Watcher>();

  constructor(c: SimCluster) {
    this.c = c;
    for (const pod of c.sortedPodList()) this.known.set(keyOf(pod), { pod, rv: pod.resourceVersion, ready: c.isReady(pod) });
    this.historyStart = c.resourceVersion;
    this.seenVersion = c.version;
    c.onTick(() => this.flush());
  }

  /**
   * Sends what changed since the last flush to every watcher; with no watcher open, waits for the next.
   * `silent` takes the changes in without versioning or recording them (a watch starting from the current
   * list while nobody watched): a resume from before then gets 410 instead.
   */
  flush(force = false, silent = false): void {
    if (!force && (this.watchers.size === 0 || this.c.version === this.seenVersion)) return;
    const c = this.c;
    const changes: { type: string; pod: SimPod; rv: number; deleting: boolean }[] = [];
    const present = c.sortedPodList();
    let changed = false;
    for (const pod of present) {
      const key = keyOf(pod);
      const k = this.known.get(key);
      const ready = c.isReady(pod);
      if (k && k.pod === pod && k.rv === pod.resourceVersion && k.ready === ready) continue;
      changed = true;
      if (!silent) {
        if (k && k.pod !== pod) {
          // The same name, a new pod (a StatefulSet pod recreated): the old one's deletion first.
          changes.push({ type: 'DELETED', pod: k.pod, rv: c.nextResourceVersion(), deleting: true });
        }
        if (!k || k.pod !== pod) changes.push({ type: 'ADDED', pod, rv: pod.resourceVersion, deleting: false });
        else {
          if (k.rv === pod.resourceVersion) c.versionPod(pod); // readiness alone changed
          changes.push({ type: 'MODIFIED', pod, rv: pod.resourceVersion, deleting: false });
        }
      }
      this.known.set(key, { pod, rv: pod.resourceVersion, ready });
    }
    if (this.known.size > present.length) {
      for (const [key, k] of this.known) {
        if (c.getPod(k.pod.namespace, k.pod.name) === k.pod) continue;
        changed = true;
        if (!silent) changes.push({ type: 'DELETED', pod: k.pod, rv: c.nextResourceVersion(), deleting: true });
        this.known.delete(key);
      }
    }
    this.seenVersion = c.version;
    if (silent) {
      if (changed) this.expire();
      return;
    }
    changes.sort((a, b) => a.rv - b.rv);
    for (const ch of changes) {
      const object = renderPod(c, ch.pod, ch.deleting);
      (object.metadata as Obj).resourceVersion = String(ch.rv);
      const entry = { rv: ch.rv, namespace: ch.pod.namespace, line: `${JSON.stringify({ type: ch.type, object })}\n` };
      this.history.push(entry);
      for (const w of this.watchers) if (!w.namespace || w.namespace === entry.namespace) send(w, entry.line, entry.rv);
    }
    if (this.history.length > HISTORY_LIMIT) this.expire(this.history.length - HISTORY_LIMIT);
    for (const w of this.watchers) bookmark(w, c.resourceVersion);
  }

  /** Forgets the oldest `n` events (all by default): resumes from before them get 410 Gone. */
  expire(n = this.history.length): void {
    const dropped = this.history.splice(0, n);
    this.historyStart = dropped.length > 0 ? dropped[dropped.length - 1]!.rv : this.c.resourceVersion;
  }

  /** Adds a watcher that resumes after `fromRv`; false when the history no longer reaches back that far. */
  resume(w: Watcher, fromRv: number): boolean {
    this.flush(true);
    if (fromRv < this.historyStart) return false;
    for (const e of this.history) if (e.rv > fromRv && (!w.namespace || w.namespace === e.namespace)) send(w, e.line, e.rv);
    w.sentRv = Math.max(w.sentRv, fromRv);
    return true;
  }

  get oldest(): number {
    return this.historyStart;
  }
}

const hubs = new WeakMap<SimCluster, PodWatchHub>();

function hubOf(c: SimCluster): PodWatchHub {
  let hub = hubs.get(c);
  if (!hub) hubs.set(c, (hub = new PodWatchHub(c)));
  return hub;
}

/** Called around every API request: a write's pod changes reach the watchers before the next answer. */
export function flushPodWatches(c: SimCluster): void {
  hubs.get(c)?.flush();
}

/** Ends every open pod watch abruptly (an API server restart, a load balancer's idle cut); returns how many. */
export function dropPodWatches(c: SimCluster): number {
  const hub = hubs.get(c);
  if (!hub) return 0;
  const n = hub.watchers.size;
  for (const w of [...hub.watchers]) w.res.destroy();
  return n;
}

/** The pod watch connections open now. */
export function podWatchCount(c: SimCluster): number {
  return hubs.get(c)?.watchers.size ?? 0;
}

/** Forgets the pod watch history (a compaction): a watch resuming from an earlier resourceVersion gets 410. */
export function expirePodWatchHistory(c: SimCluster): void {
  const hub = hubOf(c);
  hub.flush(true); // what changed since the last flush is history too
  hub.expire();
}

/** A pod list starts tracking, so a watch from the list's resourceVersion can be served. */
export function trackPods(c: SimCluster): void {
  hubOf(c);
}

/** `GET [/namespaces/{ns}]/pods?watch=1` in JSON without selectors: the hub's watch. Others take the generic watch. */
export function isHubPodWatch(ctx: Ctx): boolean {
  const s = ctx.segs;
  const path = (s.length === 3 && s[2] === 'pods') || (s.length === 5 && s[2] === 'namespaces' && s[4] === 'pods');
  return path && s[0] === 'api' && s[1] === 'v1' && !ctx.query.labelSelector && !ctx.query.fieldSelector && !wantsTable(ctx);
}

/**
 * The hub's watch reply. `initialItems` lists the current pods (the same list the request names) for a
 * watch without a resourceVersion, which starts with them as ADDED.
 */
export function podWatchStream(ctx: Ctx, initialItems: () => Obj[]): (res: ServerResponse) => void {
  const c = ctx.cluster;
  const hub = hubOf(c);
  const namespace = ctx.segs.length === 5 ? ctx.segs[3] : undefined;
  const rvParam = ctx.query.resourceVersion;
  const initial = rvParam === undefined || rvParam === '' || rvParam === '0';
  const fromRv = initial ? 0 : Number(rvParam);
  const timeout = Math.min(Math.max(intParam(ctx.query, 'timeoutSeconds') ?? 1800, 1), 3600);
  return (res) => {
    res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache, private', 'Transfer-Encoding': 'chunked' });
    res.flushHeaders(); // as the API server does: the client knows the watch is open before any event
    const w: Watcher = { res, namespace, bookmarks: boolParam(ctx.query, 'allowWatchBookmarks'), sentRv: 0, finish: () => {} };
    if (initial) {
      // What changed before this watch is in its items: news to the other watchers only.
      hub.flush(true, hub.watchers.size === 0);
      for (const object of initialItems()) res.write(`${JSON.stringify({ type: 'ADDED', object })}\n`);
      w.sentRv = c.resourceVersion;
    } else if (!Number.isInteger(fromRv) || !hub.resume(w, fromRv)) {
      const message = `too old resource version: ${rvParam} (${hub.oldest})`;
      res.end(`${JSON.stringify({ type: 'ERROR', object: statusObject(410, 'Expired', message) })}\n`);
      return;
    }
    bookmark(w, c.resourceVersion);
    hub.watchers.add(w);
    const stop = setTimeout(() => w.finish(), timeout * 1000);
    stop.unref();
    w.finish = () => {
      clearTimeout(stop);
      hub.watchers.delete(w);
      if (!res.writableEnded) res.end();
    };
    res.on('close', w.finish);
  };
}

function keyOf(pod: SimPod): string {
  return `${pod.namespace}/${pod.name}`;
}

function send(w: Watcher, line: string, rv: number): void {
  if (w.res.writableEnded) return;
  w.res.write(line);
  if (rv > w.sentRv) w.sentRv = rv;
}

function bookmark(w: Watcher, rv: number): void {
  if (!w.bookmarks || rv <= w.sentRv || w.res.writableEnded) return;
  w.res.write(
    `${JSON.stringify({ type: 'BOOKMARK', object: { kind: 'Pod', apiVersion: 'v1', metadata: { resourceVersion: String(rv) } } })}\n`,
  );
  w.sentRv = rv;
}
