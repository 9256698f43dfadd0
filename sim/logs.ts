// Container logs that fit the pod's state: ordinary request/work lines for a healthy container, GC and
// heap warnings ending in an OutOfMemoryError before an OOM kill, a stack trace and exit for a crash
// loop, connection resets and timeouts for network drops, slow-IO warnings for IO pressure, saturation
// warnings for CPU exhaustion or creep. Lines come from the pod's recent per-tick history and a
// generator seeded by pod and tick, so the same request gives the same lines.
import type { LogTick, SimCluster, SimPod } from './cluster.ts';
import { Rng, hashSeed } from './prng.ts';
import type { LogProfile } from './scenario.ts';
import { ApiError } from './errors.ts';

export interface LogOptions {
  previous: boolean;
  tailLines?: number;
  sinceSeconds?: number;
  timestamps: boolean;
  limitBytes?: number;
  container?: string;
}

interface Line {
  at: Date;
  text: string;
}

const PATHS = ['/api/cart', '/api/products', '/api/orders', '/api/users/me', '/healthz', '/api/search', '/api/checkout'];

function normalLine(profile: LogProfile, r: Rng, ts: string): string {
  const ms = 3 + r.int(80);
  switch (profile) {
    case 'java':
      return `${ts}  INFO 1 --- [nio-8080-exec-${1 + r.int(10)}] c.e.app.web.OrderController   : order ${10000 + r.int(90000)} processed in ${ms} ms`;
    case 'db':
      return r.next() < 0.3
        ? `${ts} UTC [${100 + r.int(900)}] LOG:  checkpoint complete: wrote ${r.int(400)} buffers (${(r.next() * 3).toFixed(1)}%); write=${(r.next() * 30).toFixed(3)} s`
        : `${ts} UTC [${100 + r.int(900)}] LOG:  duration: ${(r.next() * 20).toFixed(3)} ms  statement: SELECT * FROM orders WHERE id = $1`;
    case 'dns':
      return `[INFO] 10.244.${r.int(4)}.${2 + r.int(200)}:${30000 + r.int(30000)} - ${r.int(65535)} "A IN ${r.pick(['frontend.shop', 'payments-api.payments', 'prometheus.monitoring', 'orders.shop'])}.svc.cluster.local. udp 52 false 512" NOERROR qr,aa,rd 106 0.000${100 + r.int(800)}s`;
    case 'worker':
      return `${ts} level=info msg="processed batch" batch=${r.int(100000)} jobs=${1 + r.int(50)} duration=${ms * 3}ms`;
    case 'metrics':
      return `ts=${ts} caller=scrape.go:${1200 + r.int(300)} level=info component="scrape manager" msg="scrape completed" target_count=${20 + r.int(40)} duration=${ms}ms`;
    default:
      return `${ts} INFO  http: ${r.pick(['GET', 'GET', 'GET', 'POST'])} ${r.pick(PATHS)} ${r.next() < 0.98 ? 200 : 404} ${ms}ms bytes=${200 + r.int(4000)}`;
  }
}

function startupLines(pod: SimPod, at: Date): Line[] {
  const ts = at.toISOString();
  const img = pod.container.image;
  return [
    { at, text: `${ts} INFO  starting ${pod.container.name} (${img})` },
    { at, text: `${ts} INFO  loaded configuration from /etc/${pod.container.name}/config.yaml` },
    { at, text: `${ts} INFO  listening on :8080` },
  ];
}

function faultLines(t: LogTick, r: Rng, ts: string, pod: SimPod): string[] {
  switch (t.fault) {
    case 'memory_leak':
      if (t.memRatio > 0.92)
        return [
          `${ts}  WARN 1 --- [       GC-thread] o.a.heap.HeapMonitor : heap usage ${Math.round(t.memRatio * 100)}% of limit after full GC; old gen not reclaimed`,
        ];
      if (t.memRatio > 0.75)
        return [
          `${ts}  WARN 1 --- [       GC-thread] gc : Pause Full (Allocation Failure) ${Math.round(t.memRatio * 1000)}M->${Math.round(t.memRatio * 980)}M(${Math.round(pod.container.memLimitBytes / 2 ** 20)}M) ${(200 + r.int(900)).toString()}.${r.int(999)}ms`,
        ];
      if (t.memRatio > 0.6 && r.next() < 0.4)
        return [
          `${ts}  INFO 1 --- [       GC-thread] gc : Pause Young (Allocation Failure) ${(20 + r.int(60)).toString()}ms, old gen growing`,
        ];
      return [];
    case 'network_drops':
      return [
        r.pick([
          `${ts} ERROR upstream request failed: read tcp ${pod.podIP}:${40000 + r.int(20000)}->10.96.${r.int(200)}.${r.int(250)}:5432: read: connection reset by peer`,
          `${ts} WARN  http client: request to payments-api.payments.svc:8080 timed out after 5000ms (attempt ${1 + r.int(3)}/3)`,
          `${ts} ERROR java.net.SocketTimeoutException: Read timed out`,
          `${ts} WARN  dial tcp 10.96.0.10:53: i/o timeout`,
          `${ts} ERROR write: broken pipe (ECONNRESET) while sending response`,
        ]),
      ];
    case 'io_pressure':
      return [
        r.pick([
          `${ts} WARN  slow disk write: fsync of /data/wal/000${r.int(999)}.log took ${(1 + r.next() * 4).toFixed(2)}s (threshold 500ms)`,
          `${ts} WARN  IO wait high: segment flush of ${16 * (1 + r.int(8))}MB took ${1000 + r.int(5000)}ms`,
          `${ts} WARN  read of /data/index/block-${r.int(9999)} took ${300 + r.int(3000)}ms (disk saturated)`,
        ]),
      ];
    case 'cpu_exhaustion':
      return [
        r.pick([
          `${ts} WARN  request latency p99 ${1000 + r.int(4000)}ms exceeds SLO 500ms`,
          `${ts} WARN  worker pool saturated: 64/64 threads busy, ${r.int(500)} requests queued`,
          `${ts} WARN  event loop lag ${200 + r.int(2000)}ms`,
        ]),
      ];
    case 'cpu_creep':
      return t.cpuRatio > 0.5 && r.next() < 0.5
        ? [`${ts} WARN  processing backlog growing: ${r.int(5000)} items queued, cache rebuild took ${r.int(3000)}ms`]
        : [];
    default:
      return [];
  }
}

function oomLines(at: Date): Line[] {
  const ts = at.toISOString();
  return [
    `${ts} ERROR 1 --- [nio-8080-exec-7] o.a.c.c.C.[.[.[/].[dispatcherServlet] : Servlet.service() threw exception`,
    'Exception in thread "http-nio-8080-exec-7" java.lang.OutOfMemoryError: Java heap space',
    '\tat java.base/java.util.Arrays.copyOf(Arrays.java:3537)',
    '\tat java.base/java.util.ArrayList.grow(ArrayList.java:237)',
    '\tat com.example.app.cache.ResponseCache.put(ResponseCache.java:88)',
    '\tat com.example.app.web.OrderController.list(OrderController.java:142)',
  ].map((text) => ({ at, text }));
}

function crashLines(pod: SimPod, at: Date): Line[] {
  const ts = at.toISOString();
  return [
    ...startupLines(pod, at),
    `${ts} ERROR application run failed`,
    'java.lang.IllegalStateException: Failed to load configuration: required key "DATABASE_URL" is missing',
    '\tat com.example.app.config.AppConfig.require(AppConfig.java:57)',
    '\tat com.example.app.config.AppConfig.load(AppConfig.java:31)',
    '\tat com.example.app.Main.main(Main.java:19)',
    `${ts} INFO  shutting down: exit status 1`,
  ].map((text) => (typeof text === 'string' ? { at, text } : text));
}

function linesFor(c: SimCluster, pod: SimPod, hist: LogTick[], startedTick: number, startedAt: Date | undefined): Line[] {
  const out: Line[] = [];
  const profile = pod.workload.entry.profile;
  if (startedTick >= 0 && startedAt && (hist.length === 0 || hist[0]!.tick <= startedTick + 1)) out.push(...startupLines(pod, startedAt));
  else {
    // Before the recorded history: a few ordinary lines so a fresh simulation has something to show.
    const first = hist[0]?.tick ?? c.tickCount;
    for (let k = 10; k >= 1; k--) {
      const at = c.timeAt(first - k);
      const r = new Rng(hashSeed(pod.uid, first - k));
      out.push({ at, text: normalLine(profile, r, at.toISOString()) });
    }
  }
  for (const t of hist) {
    const at = c.timeAt(t.tick);
    const ts = at.toISOString();
    const r = new Rng(hashSeed(pod.uid, t.tick, pod.containerSerial));
    const n = 1 + r.int(t.burst ? 4 : 2);
    for (let i = 0; i < n; i++) out.push({ at, text: normalLine(profile, r, ts) });
    for (const text of faultLines(t, r, ts, pod)) out.push({ at, text });
  }
  return out;
}

/** The log text for a container, or an ApiError as the API server gives (400 while waiting to start, no previous). */
export function podLogs(c: SimCluster, pod: SimPod, opts: LogOptions): string {
  if (opts.container && opts.container !== pod.container.name) {
    throw new ApiError(400, 'BadRequest', `container ${opts.container} is not valid for pod ${pod.name}`);
  }
  let lines: Line[];
  if (opts.previous) {
    if (!pod.lastTerm)
      throw new ApiError(400, 'BadRequest', `previous terminated container "${pod.container.name}" in pod "${pod.name}" not found`);
    const end = pod.lastTerm.finishedAt;
    if (pod.prevEnd === 'crash') lines = crashLines(pod, end);
    else {
      lines = linesFor(c, pod, pod.prevHist, -1, undefined);
      if (pod.prevEnd === 'oom') lines.push(...oomLines(end));
    }
  } else if (pod.stage === 'creating' || pod.stage === 'unscheduled') {
    throw new ApiError(400, 'BadRequest', `container "${pod.container.name}" in pod "${pod.name}" is waiting to start: ContainerCreating`);
  } else if (pod.stage === 'backoff' || (pod.stage === 'running' && pod.prevEnd === 'crash' && c.podFault(pod) === 'crash_loop')) {
    // A crash-looping container: its latest run started, failed on its configuration and exited.
    lines = crashLines(pod, pod.lastTerm?.finishedAt ?? c.now());
  } else if (pod.stage === 'oomkilled') {
    lines = [...linesFor(c, pod, pod.prevHist, -1, undefined), ...oomLines(c.now())];
  } else {
    const started = pod.containerStartedTick;
    lines = linesFor(c, pod, pod.hist, started, pod.containerStartedAt);
  }
  if (opts.sinceSeconds !== undefined) {
    const from = c.now().getTime() - opts.sinceSeconds * 1000;
    lines = lines.filter((l) => l.at.getTime() >= from);
  }
  if (opts.tailLines !== undefined) lines = opts.tailLines <= 0 ? [] : lines.slice(-opts.tailLines);
  let text = lines.map((l) => (opts.timestamps ? `${l.at.toISOString().replace('Z', '000000Z')} ${l.text}` : l.text)).join('\n');
  if (text) text += '\n';
  if (opts.limitBytes !== undefined && opts.limitBytes >= 0) text = Buffer.from(text).subarray(0, opts.limitBytes).toString();
  return text;
}
