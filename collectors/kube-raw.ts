// Plain GETs against the API server with the kubeconfig's TLS, credentials (tokens, client certificates,
// exec and in-cluster token files) and proxy, as client-node applies them, but without client-node's
// typed deserialisation. At 10,000 pods client-node's ObjectSerializer adds more per pod list than a
// 5-second tick can afford (measured in docs/notes/design-decisions.md); the hot lists (pods, PodMetrics,
// cAdvisor pages) go through here instead. Errors are client-node ApiExceptions, so kubeErrorMessage()
// reads them like any other.
// Requests go through an undici Pool (keep-alive connections, the body handed over chunk by chunk without
// a stream): fetching a 50,000-pod tick's 625 cAdvisor pages (151 MB) took ~0.74 s of CPU that way against
// ~1.2 s through node:https (docs/BENCHMARKS.md, Collector tick). A kubeconfig with a proxy-url keeps
// node:https with client-node's proxy agent.
import { request as httpRequest, type RequestOptions } from 'node:http';
import { request as httpsRequest, type RequestOptions as HttpsRequestOptions } from 'node:https';
import { ApiException, type KubeConfig } from '@kubernetes/client-node';
import { Pool } from 'undici';
import { observeRequest } from '../lib/metrics.ts';

type Options = HttpsRequestOptions & RequestOptions & { headers: Record<string, string> };

/** How long applied credentials are reused; exec plugins and token files are re-read after this. */
const OPTIONS_TTL_MS = 60_000;

export class KubeRawClient {
  private readonly kc: KubeConfig;
  private readonly server: URL;
  private readonly timeoutMs: number;
  private cached: { opts: Options; at: number } | undefined;
  /** Connections to the server (no proxy), made again only when the TLS material changes. */
  private pool: { pool: Pool; tls: TlsMaterial } | undefined;

  constructor(kc: KubeConfig, timeoutMs = 30_000) {
    const cluster = kc.getCurrentCluster();
    if (!cluster) throw new Error('no current cluster in the kubeconfig');
    this.kc = kc;
    this.server = new URL(cluster.server.endsWith('/') ? cluster.server : `${cluster.server}/`);
    this.timeoutMs = timeoutMs;
  }

  /** GET `path` (relative to the server URL, with its query) and return the body as text. */
  async getText(path: string, accept = 'application/json'): Promise<string> {
    return (await this.getBytes(path, accept)).toString('utf8');
  }

  /** The body's bytes, undecoded. */
  async getBytes(path: string, accept: string): Promise<Buffer> {
    const chunks: Buffer[] = [];
    await observeRequest(
      endpointOf(path),
      this.get(path, accept, (c) => chunks.push(c)),
    );
    return Buffer.concat(chunks);
  }

  /**
   * A successful body handed to `onChunk` as it arrives, never held whole (a cAdvisor page is scanned
   * chunk by chunk: at 50,000 pods a tick brings ~150 MB of them). Resolves when the body has ended.
   */
  async getChunks(path: string, accept: string, onChunk: (chunk: Buffer) => void): Promise<void> {
    await observeRequest(endpointOf(path), this.get(path, accept, onChunk));
  }

  private async get(path: string, accept: string, onChunk: (chunk: Buffer) => void): Promise<void> {
    const url = new URL(path.replace(/^\//, ''), this.server);
    const opts = await this.options();
    if (this.pool) return this.dispatch(this.pool.pool, url, { ...(opts.headers as Record<string, string>), Accept: accept }, onChunk);
    const send = url.protocol === 'http:' ? httpRequest : httpsRequest;
    return new Promise<void>((resolve, reject) => {
      const req = send(url, { ...opts, headers: { ...opts.headers, Accept: accept }, timeout: this.timeoutMs }, (res) => {
        const code = res.statusCode ?? 0;
        const ok = code >= 200 && code < 300;
        const errorChunks: Buffer[] = [];
        let failed = false;
        res.on('data', (d: Buffer) => {
          if (!ok) errorChunks.push(d);
          else if (!failed) {
            try {
              onChunk(d);
            } catch (err) {
              failed = true; // the consumer's error ends the request; the rest of the body is not read
              reject(err as Error);
              req.destroy();
            }
          }
        });
        res.on('error', (err) => reject(new Error('response failed', { cause: err })));
        res.on('end', () => (ok ? resolve() : reject(statusError(code, url, errorChunks, res.headers))));
      });
      req.on('timeout', () => req.destroy(timeoutError(this.timeoutMs)));
      req.on('error', (err) => reject(new Error('request failed', { cause: err })));
      req.end();
    });
  }

  /** One GET through the pool: the same outcomes as the node:https path above. */
  private dispatch(pool: Pool, url: URL, headers: Record<string, string>, onChunk: (chunk: Buffer) => void): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      let code = 0;
      let responseHeaders: Record<string, unknown> = {};
      const errorChunks: Buffer[] = [];
      let consumerError: Error | undefined;
      const timeoutMs = this.timeoutMs;
      pool.dispatch(
        { path: url.pathname + url.search, method: 'GET', headers, headersTimeout: timeoutMs, bodyTimeout: timeoutMs },
        {
          onRequestStart() {},
          onResponseStart(_controller, statusCode, hdrs) {
            code = statusCode;
            responseHeaders = hdrs;
          },
          onResponseData(_controller, chunk) {
            if (code < 200 || code >= 300) errorChunks.push(chunk);
            else {
              try {
                onChunk(chunk);
              } catch (err) {
                consumerError = err as Error; // undici aborts the request with it: the rest is not read
                throw err;
              }
            }
          },
          onResponseEnd() {
            if (code >= 200 && code < 300) resolve();
            else reject(statusError(code, url, errorChunks, responseHeaders));
          },
          onResponseError(_controller, err) {
            if (consumerError) return reject(consumerError);
            const timedOut =
              (err as { code?: string }).code === 'UND_ERR_HEADERS_TIMEOUT' || (err as { code?: string }).code === 'UND_ERR_BODY_TIMEOUT';
            reject(new Error('request failed', { cause: timedOut ? timeoutError(timeoutMs) : err }));
          },
        },
      );
    });
  }

  /**
   * The kubeconfig's TLS material, credentials and proxy agent, applied by client-node; without a proxy,
   * a keep-alive pool of our own (a new TLS handshake per request costs more than the request), made again
   * when re-applied credentials bring other TLS material (an exec plugin's new client certificate).
   */
  private async options(): Promise<Options> {
    if (this.cached && Date.now() - this.cached.at < OPTIONS_TTL_MS) return this.cached.opts;
    const opts: Options = { method: 'GET', headers: {} };
    await this.kc.applyToHTTPSOptions(opts);
    if (!this.kc.getCurrentCluster()?.proxyUrl) {
      const tls: TlsMaterial = {
        ca: opts.ca,
        cert: opts.cert,
        key: opts.key,
        pfx: opts.pfx,
        passphrase: opts.passphrase,
        servername: opts.servername,
        rejectUnauthorized: opts.rejectUnauthorized,
      };
      if (!this.pool || !sameTls(this.pool.tls, tls)) {
        void this.pool?.pool.close(); // requests in flight finish on the old connections
        const connect = Object.fromEntries(Object.entries(tls).filter(([, v]) => v !== undefined));
        this.pool = { pool: new Pool(this.server.origin, { connections: 16, connect }), tls };
      }
    }
    this.cached = { opts, at: Date.now() };
    return opts;
  }

  /** Closes the connections (the process can then exit without waiting for them). */
  close(): void {
    void this.pool?.pool.destroy();
    this.pool = undefined;
    this.cached = undefined;
  }

  async getJson<T>(path: string): Promise<T> {
    const text = await this.getText(path);
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new Error(`GET ${path} answered with a body that is not JSON`);
    }
  }
}

/** A non-2xx answer as client-node reports it: the code, the body and the headers. */
function statusError(code: number, url: URL, body: Buffer[], headers: Record<string, unknown>): ApiException<string> {
  const h: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) if (v !== undefined) h[k] = String(v);
  return new ApiException(code, `HTTP ${code} from GET ${url.pathname}`, Buffer.concat(body).toString('utf8'), h);
}

function timeoutError(ms: number): Error {
  return Object.assign(new Error(`no answer within ${ms} ms`), { code: 'ETIMEDOUT' });
}

type TlsMaterial = Pick<HttpsRequestOptions, 'ca' | 'cert' | 'key' | 'pfx' | 'passphrase' | 'servername' | 'rejectUnauthorized'>;

function sameTls(a: TlsMaterial, b: TlsMaterial): boolean {
  const same = (x: unknown, y: unknown): boolean =>
    Buffer.isBuffer(x) && Buffer.isBuffer(y)
      ? x.equals(y)
      : Array.isArray(x) && Array.isArray(y)
        ? x.length === y.length && x.every((v, i) => same(v, y[i]))
        : x === y;
  return (Object.keys(a) as (keyof TlsMaterial)[]).every((k) => same(a[k], b[k]));
}

/** The kind of API a path belongs to (a bounded label of the request-duration metric). */
function endpointOf(path: string): 'kube_api' | 'metrics_api' | 'cadvisor' {
  if (path.includes('/metrics/cadvisor')) return 'cadvisor';
  return path.includes('metrics.k8s.io') ? 'metrics_api' : 'kube_api';
}

/** A path with its query string; undefined values are left out. */
export function apiPath(path: string, query: Record<string, string | number | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `${path}?${s}` : path;
}
