// An informer for pods, as client-go's: one paged list (raw JSON, kept as PodSummary so a page's
// objects can be freed), then a watch from the list's resourceVersion that applies ADDED / MODIFIED /
// DELETED to the store and follows BOOKMARKs. A 410 Gone (HTTP, or an ERROR event with code 410) lists
// again, keeping the old store until the new list is complete; a dropped or ended watch resumes from the
// last resourceVersion seen, after a backoff when it failed. A server that will not watch pods (405, or
// 403 when RBAC grants list but not watch) makes the informer `unsupported`: the collector then lists
// per tick. The stream is client-node's Watch (undici fetch, one JSON.parse per event line, the
// kubeconfig's credentials); the objects stay plain JSON, never client-node's typed models.
import { Watch, type KubeConfig, type V1Pod } from '@kubernetes/client-node';
import { Backoff } from '../lib/backoff.ts';
import { kubeErrorMessage } from '../lib/kube.ts';
import type { Logger } from '../lib/log.ts';
import { summarizePod, type PodSummary } from './k8s-pod.ts';
import { apiPath, type KubeRawClient } from './kube-raw.ts';

export interface PodInformerOptions {
  namespace: string | undefined;
  pageSize: number;
  logger: Logger;
  /** The server ends each watch after this long (a new one resumes at once). */
  watchTimeoutSeconds?: number;
  /** Backoff before a failed list or watch is retried. */
  backoff?: Backoff;
}

type WatchEnd = 'ended' | 'gone' | 'failed' | 'unsupported';

export class PodInformer {
  /** The pods by listKey (namespace NUL name). */
  private store = new Map<string, PodSummary>();
  /** The store's keys in list order; sorted again only when a pod came or went. */
  private orderedKeys: string[] | undefined;
  private rv: string | undefined;
  private readonly raw: KubeRawClient;
  private readonly watcher: Watch;
  private readonly path: string;
  private readonly opts: Required<Omit<PodInformerOptions, 'namespace'>> & { namespace: string | undefined };
  private readonly stop = new AbortController();
  private controller: AbortController | undefined;
  private waiters: { rv: number; resolve: (ok: boolean) => void }[] = [];
  private started: Promise<void> | undefined;
  /** Listing, watching (the store follows the server), reconnecting, or unsupported (list per tick). */
  state: 'idle' | 'listing' | 'watching' | 'reconnecting' | 'unsupported' | 'closed' = 'idle';
  /** Counters for tests and the benchmark. */
  readonly stats = { lists: 0, listPages: 0, watches: 0, events: 0, gone: 0 };

  constructor(kc: KubeConfig, raw: KubeRawClient, opts: PodInformerOptions) {
    this.raw = raw;
    this.watcher = new Watch(kc);
    this.opts = { watchTimeoutSeconds: 300, backoff: new Backoff({ initialMs: 500, maxMs: 30_000 }), ...opts };
    // client-node aborts a watch after 30 s without data (a private field): a quiet namespace sends
    // nothing for longer, and the server ends each watch itself after watchTimeoutSeconds anyway.
    const timer = this.watcher as unknown as { requestTimeoutMs?: number };
    if (typeof timer.requestTimeoutMs === 'number') timer.requestTimeoutMs = (this.opts.watchTimeoutSeconds + 60) * 1000;
    this.path = opts.namespace ? `/api/v1/namespaces/${encodeURIComponent(opts.namespace)}/pods` : '/api/v1/pods';
  }

  /** Lists once (rejects when that fails), then keeps watching in the background. */
  start(): Promise<void> {
    this.started ??= this.list().then(
      () => {
        void this.run();
      },
      (err: unknown) => {
        this.started = undefined; // the next tick tries again
        throw err;
      },
    );
    return this.started;
  }

  get synced(): boolean {
    return this.state === 'watching' || this.state === 'reconnecting';
  }

  /** The pods in list order (namespace, then name, as the API server lists them). */
  pods(): PodSummary[] {
    this.orderedKeys ??= [...this.store.keys()].sort();
    return this.orderedKeys.map((k) => this.store.get(k)!);
  }

  get resourceVersion(): string | undefined {
    return this.rv;
  }

  /**
   * Resolves true once the store has seen `rv` (an event or bookmark at or past it), or false when `until`
   * settles first. resourceVersions are compared as integers (etcd revisions; the sim's counter): one that
   * is not a number is never waited for.
   */
  waitFor(rv: string | undefined, until: Promise<unknown>): Promise<boolean> {
    const target = Number(rv);
    if (rv === undefined || !Number.isSafeInteger(target)) return Promise.resolve(false);
    if (this.seen(target)) return Promise.resolve(true);
    return new Promise((resolve) => {
      const waiter = { rv: target, resolve };
      this.waiters.push(waiter);
      const give = () => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        resolve(false);
      };
      until.then(give, give);
    });
  }

  close(): void {
    this.state = 'closed';
    this.stop.abort();
    this.controller?.abort();
    for (const w of this.waiters) w.resolve(false);
    this.waiters = [];
  }

  private seen(target: number): boolean {
    const have = Number(this.rv);
    return Number.isSafeInteger(have) && have >= target;
  }

  private advance(rv: string | undefined): void {
    if (!rv) return;
    this.rv = rv;
    if (this.waiters.length === 0) return;
    this.waiters = this.waiters.filter((w) => {
      if (!this.seen(w.rv)) return true;
      w.resolve(true);
      return false;
    });
  }

  /** A full list, page by page; the store is replaced only when the last page arrived. */
  private async list(): Promise<void> {
    this.state = 'listing';
    const next = new Map<string, PodSummary>();
    let cont: string | undefined;
    let rv: string | undefined;
    do {
      const page = await this.raw.getJson<{ items?: V1Pod[]; metadata?: { continue?: string; resourceVersion?: string } }>(
        apiPath(this.path, { limit: this.opts.pageSize, continue: cont }),
      );
      this.stats.listPages++;
      for (const pod of page.items ?? []) {
        const s = summarizePod(pod);
        next.set(listKey(s.namespace, s.name), s);
      }
      rv = page.metadata?.resourceVersion ?? rv;
      cont = page.metadata?.continue || undefined;
    } while (cont);
    this.stats.lists++;
    this.store = next;
    this.orderedKeys = undefined;
    this.rv = undefined; // a list may be older than a bookmark seen before it
    this.advance(rv);
  }

  /** Watches until closed: resumes after an ended watch, lists again after 410, backs off after failures. */
  private async run(): Promise<void> {
    const backoff = this.opts.backoff;
    while (!this.stop.signal.aborted) {
      const end = await this.watchOnce();
      if (this.stop.signal.aborted) return;
      if (end === 'unsupported') {
        this.state = 'unsupported';
        return;
      }
      if (end === 'ended') {
        backoff.reset();
        continue;
      }
      this.state = 'reconnecting';
      if (end === 'failed') await pause(backoff.next(), this.stop.signal);
      if (end === 'gone' || this.rv === undefined) {
        this.stats.gone += end === 'gone' ? 1 : 0;
        this.opts.logger.debug('pod watch expired (410 Gone); listing again', { resourceVersion: this.rv });
        for (;;) {
          if (this.stop.signal.aborted) return;
          try {
            await this.list();
            backoff.reset();
            break;
          } catch (err) {
            this.opts.logger.warn('cannot list pods; retrying', { error: kubeErrorMessage(err) });
            await pause(backoff.next(), this.stop.signal);
          }
        }
      }
    }
  }

  /** One watch request from the current resourceVersion, until it ends; why it ended. */
  private watchOnce(): Promise<WatchEnd> {
    return new Promise<WatchEnd>((resolve) => {
      let gone = false;
      let events = 0;
      const started = Date.now();
      const query = { resourceVersion: this.rv, allowWatchBookmarks: true, timeoutSeconds: this.opts.watchTimeoutSeconds };
      this.stats.watches++;
      const onEvent = (type: string, obj: unknown) => {
        events++;
        this.apply(type, obj as V1Pod & { code?: number; metadata?: { resourceVersion?: string } });
        if (type === 'ERROR' && (obj as { code?: number }).code === 410) gone = true;
      };
      const onDone = (err: unknown) => {
        this.controller = undefined;
        const code = (err as { statusCode?: number; code?: number } | null)?.statusCode;
        if (gone || code === 410) resolve('gone');
        else if (code === 405 || code === 403) {
          this.opts.logger.warn(`the API server does not watch pods here (HTTP ${code}); listing pods every tick instead`);
          resolve('unsupported');
        } else if (err && !this.stop.signal.aborted) {
          this.opts.logger.debug('pod watch failed; resuming', { error: kubeErrorMessage(err), resourceVersion: this.rv });
          resolve('failed');
        } else if (err || (events === 0 && Date.now() - started < 1000)) {
          resolve('failed'); // a watch closed at once, again and again, must not spin: back off
        } else resolve('ended');
      };
      this.state = 'watching';
      this.watcher.watch(this.path, query, onEvent, onDone).then(
        (controller) => {
          this.controller = controller;
          if (this.stop.signal.aborted) controller.abort();
        },
        (err: unknown) => onDone(err),
      );
    });
  }

  private apply(type: string, pod: V1Pod): void {
    const rv = pod.metadata?.resourceVersion;
    if (type === 'BOOKMARK') return this.advance(rv);
    if (type !== 'ADDED' && type !== 'MODIFIED' && type !== 'DELETED') return;
    this.stats.events++;
    const key = listKey(pod.metadata?.namespace ?? '', pod.metadata?.name ?? '');
    if (type === 'DELETED') {
      if (this.store.delete(key)) this.orderedKeys = undefined;
    } else {
      if (!this.store.has(key)) this.orderedKeys = undefined;
      this.store.set(key, summarizePod(pod));
    }
    this.advance(rv);
  }
}

/** Keys that sort as the API server lists: namespace, then name (NUL sorts below any character of a name). */
function listKey(namespace: string, name: string): string {
  return `${namespace}\u0000${name}`;
}

/** A backoff wait that does not keep the process alive (an informer nobody closed must not hold it open). */
function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const t = setTimeout(resolve, ms);
    t.unref();
    signal.addEventListener(
      'abort',
      () => {
        clearTimeout(t);
        resolve();
      },
      { once: true },
    );
  });
}
