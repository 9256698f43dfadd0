// podsentinel-sim's programmatic API: startSim() starts the simulated cluster (HTTPS Kubernetes API
// with a generated CA and a bearer token, plain-HTTP Prometheus /metrics, a kubeconfig file) and
// returns a handle to drive its clock and inspect its state. See sim/README.md.
import { randomBytes } from 'node:crypto';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { writeJsonAtomic } from '../lib/atomic-file.ts';
import { dropPodWatches, expirePodWatchHistory, podWatchCount } from './api/pod-watch.ts';
import { SimCluster } from './cluster.ts';
import { writeKubeconfig } from './kubeconfig.ts';
import { MetricsPage } from './prometheus.ts';
import { loadScenario, scaleScenario } from './scenario.ts';
import { loadRbacFile, type RbacGrant } from './rbac.ts';
import { createApiServer, type RecordedRequest } from './server.ts';
import { makeTls } from './tls.ts';

export type { RecordedRequest } from './server.ts';
export type { RbacGrant, RequestAttributes, PolicyRule } from './rbac.ts';
export { grantsAllow, grantsFromObjects, loadRbacFile, requestAttributes } from './rbac.ts';
export type { FaultTruth, PodTruth, PodView } from './cluster.ts';
export { SimCluster } from './cluster.ts';
export type { Scenario, FaultKind } from './scenario.ts';
export { loadScenario, scenarioNames, FAULT_KINDS } from './scenario.ts';

export interface SimOptions {
  host?: string;
  /** API (HTTPS) port; 0/undefined = a free port. */
  port?: number;
  /** Prometheus /metrics (plain HTTP) port; 0/undefined = a free port. */
  metricsPort?: number;
  /** Where to write the kubeconfig; default a file in a new temp directory. */
  kubeconfigOut?: string;
  /** Scenario name (sim/scenarios/<name>.json) or path to a JSON file; default 'demo'. */
  scenario?: string;
  /** Default 1; same seed + scenario => same series. */
  seed?: number;
  /** Time acceleration (default 1): one tick of tickSeconds sim-seconds every tickSeconds/speed real seconds. */
  speed?: number;
  /** Simulated seconds per tick, default 5. */
  tickSeconds?: number;
  /** Tests: time advances only through tick(). */
  manualClock?: boolean;
  /** Ground truth JSON (faults, first OOM kill...), rewritten atomically after every tick. */
  truthOut?: string;
  /** Scale the scenario to about this many pods (benchmarks). */
  pods?: number;
  /** Simulated time at tick 0; default: now, rounded down to a whole tick. */
  startTime?: Date | string;
  /** Enforce RBAC: grants, or a YAML file of Roles/ClusterRoles and their bindings; default: allow all. */
  rbac?: RbacGrant[] | string;
}

export interface SimHandle {
  apiUrl: string;
  metricsUrl: string;
  kubeconfigPath: string;
  token: string;
  caPem: string;
  /** Advances n ticks (default 1); allowed with the real clock too. */
  tick(n?: number): void;
  /** Simulated time. */
  now(): Date;
  cluster: SimCluster;
  /** Every API request received, oldest first (bounded to the latest 50,000). */
  requests: RecordedRequest[];
  /** Sets (or, with undefined, lifts) the RBAC grants enforced from the next request on. */
  setRbac(grants: RbacGrant[] | undefined): void;
  /** Cuts every open pod watch connection (as an API server restart would); returns how many. */
  dropWatches(): number;
  /** The pod watch connections open now. */
  podWatches(): number;
  /** Forgets the pod watch history (a compaction): a watch resuming from before now gets 410 Gone. */
  expireWatchHistory(): void;
  close(): Promise<void>;
}

function listen(server: HttpServer | HttpsServer, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error) => reject(err);
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

function closeServer(server: HttpServer | HttpsServer): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

function urlHost(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

export async function startSim(opts: SimOptions = {}): Promise<SimHandle> {
  const host = opts.host ?? '127.0.0.1';
  const tickSeconds = opts.tickSeconds ?? 5;
  const speed = opts.speed ?? 1;
  if (!(tickSeconds > 0)) throw new Error(`tickSeconds must be positive (got ${tickSeconds})`);
  if (!(speed > 0)) throw new Error(`speed must be positive (got ${speed})`);
  let scenario = loadScenario(opts.scenario ?? 'demo');
  if (opts.pods !== undefined) {
    if (!Number.isInteger(opts.pods) || opts.pods < 1) throw new Error(`pods must be a positive integer (got ${opts.pods})`);
    scenario = scaleScenario(scenario, opts.pods);
  }
  const startTime =
    opts.startTime !== undefined ? new Date(opts.startTime) : new Date(Math.floor(Date.now() / (tickSeconds * 1000)) * tickSeconds * 1000);
  if (Number.isNaN(startTime.getTime())) throw new Error(`invalid startTime ${String(opts.startTime)}`);
  const cluster = new SimCluster({ scenario, seed: opts.seed ?? 1, tickSeconds, startTime });

  const tls = makeTls(host === '127.0.0.1' || host === 'localhost' ? ['127.0.0.1', 'localhost'] : [host, '127.0.0.1', 'localhost']);
  const token = randomBytes(24).toString('hex');
  const requests: RecordedRequest[] = [];
  let rbac = typeof opts.rbac === 'string' ? loadRbacFile(opts.rbac) : opts.rbac;
  let apiPort = 0;
  const api = createApiServer(tls, { cluster, token, requests, serverAddress: () => `${urlHost(host)}:${apiPort}`, rbac: () => rbac });
  const page = new MetricsPage(cluster);
  const metrics = createHttpServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { 'Content-Type': 'text/plain', Allow: 'GET' }).end('method not allowed\n');
    } else if (path === '/metrics') {
      const body = page.body();
      res
        .writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4; charset=utf-8', 'Content-Length': body.length })
        .end(req.method === 'HEAD' ? undefined : body);
    } else if (path === '/healthz' || path === '/') {
      res.writeHead(200, { 'Content-Type': 'text/plain' }).end('ok\n');
    } else {
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found\n');
    }
  });

  try {
    apiPort = await listen(api, opts.port ?? 0, host);
    const metricsPort = await listen(metrics, opts.metricsPort ?? 0, host);
    const apiUrl = `https://${urlHost(host)}:${apiPort}`;
    const metricsUrl = `http://${urlHost(host)}:${metricsPort}/metrics`;
    const kubeconfigPath =
      opts.kubeconfigOut ?? join(tmpdir(), `podsentinel-sim-${process.pid}-${randomBytes(4).toString('hex')}.kubeconfig`);
    writeKubeconfig(kubeconfigPath, apiUrl, tls.caPem, token);

    const writeTruth = () => {
      if (!opts.truthOut) return;
      writeJsonAtomic(opts.truthOut, {
        scenario: scenario.name,
        seed: cluster.seed,
        tick: cluster.tickCount,
        time: cluster.now().toISOString(),
        tickSeconds,
        faults: cluster.faults(),
      });
    };
    cluster.onTick(writeTruth);
    writeTruth();

    // The real clock: one tick per tickSeconds/speed, each scheduled from the previous one's due time.
    // When ticks take longer than that (a huge cluster at a high speed), the clock slows down instead
    // of starving the servers: at least a turn of the event loop passes between ticks.
    let timer: NodeJS.Timeout | undefined;
    let closed = false;
    if (!opts.manualClock) {
      const interval = (tickSeconds * 1000) / speed;
      let due = Date.now() + interval;
      const step = () => {
        if (closed) return;
        cluster.tick(1);
        due = Math.max(due + interval, Date.now());
        timer = setTimeout(step, Math.max(0, due - Date.now()));
        timer.unref();
      };
      timer = setTimeout(step, interval);
      timer.unref();
    }
    return {
      apiUrl,
      metricsUrl,
      kubeconfigPath,
      token,
      caPem: tls.caPem,
      tick: (n = 1) => {
        if (!Number.isInteger(n) || n < 0) throw new Error(`tick(n): n must be a non-negative integer (got ${n})`);
        cluster.tick(n);
      },
      now: () => cluster.now(),
      cluster,
      requests,
      setRbac: (grants) => {
        rbac = grants;
      },
      dropWatches: () => dropPodWatches(cluster),
      podWatches: () => podWatchCount(cluster),
      expireWatchHistory: () => expirePodWatchHistory(cluster),
      close: async () => {
        if (closed) return;
        closed = true;
        if (timer) clearTimeout(timer);
        await Promise.all([closeServer(api), closeServer(metrics)]);
      },
    };
  } catch (err) {
    await Promise.all([closeServer(api), closeServer(metrics)]);
    throw err;
  }
}
