// Serving the metrics: GET /metrics over plain node:http (loopback by default), and the answer to
// run-monitoring's metrics request over the IPC channel every supervised child has (lib/exit-with-parent.ts).
// A long-running command calls startMetrics() once; its close() stops both.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { z } from 'zod';
import type { Logger } from './log.ts';
import { initMetrics, metricsRegistry, metricsSnapshot, renderMetrics } from './metrics.ts';
import { DEFAULT_METRICS_HOST } from './options.ts';

/** The IPC messages between run-monitoring and a child (one request, one reply, matched by id). */
export const METRICS_REQUEST = 'podsentinel:metrics-request';
export const METRICS_REPLY = 'podsentinel:metrics-reply';
export const MetricsRequest = z.object({ type: z.literal(METRICS_REQUEST), id: z.number().int() });
export const MetricsReply = z.object({ type: z.literal(METRICS_REPLY), id: z.number().int(), metrics: z.array(z.unknown()) });

export interface MetricsServer {
  readonly port: number;
  readonly host: string;
  close(): Promise<void>;
}

/**
 * Serves GET /metrics (Prometheus text exposition, from `render`) on host:port; 404 elsewhere, 405 for
 * other methods. Port 0 picks a free port (see `.port`).
 */
export async function serveMetrics(
  port: number,
  host = DEFAULT_METRICS_HOST,
  render: () => Promise<string> = renderMetrics,
): Promise<MetricsServer> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: metrics are at /metrics\n');
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { 'content-type': 'text/plain', allow: 'GET, HEAD' }).end('method not allowed\n');
      return;
    }
    render().then(
      (text) => res.writeHead(200, { 'content-type': metricsRegistry().contentType }).end(req.method === 'HEAD' ? undefined : text),
      (err: unknown) => res.writeHead(500, { 'content-type': 'text/plain' }).end(`cannot render the metrics: ${(err as Error).message}\n`),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  // Scrapes are short; an idle keep-alive connection must not hold a stop.
  server.keepAliveTimeout = 5_000;
  const addr = server.address() as AddressInfo;
  return {
    port: addr.port,
    host,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * Answers run-monitoring's metrics requests on the IPC channel, when this process has one; returns the
 * removal. The channel stays unreferenced (a finished command must still exit).
 */
export function answerMetricsOverIpc(): () => void {
  if (!process.channel || !process.send) return () => {};
  const onMessage = (msg: unknown) => {
    const req = MetricsRequest.safeParse(msg);
    if (!req.success) return;
    void metricsSnapshot().then(
      (metrics) => {
        if (process.connected) process.send?.({ type: METRICS_REPLY, id: req.data.id, metrics });
      },
      () => {},
    );
  };
  process.on('message', onMessage);
  process.channel.unref();
  return () => {
    process.off('message', onMessage);
  };
}

export interface ProcessMetrics {
  /** The HTTP server when --metrics-port was given. */
  readonly server: MetricsServer | null;
  close(): Promise<void>;
}

/**
 * A long-running command's metrics: names the component, answers run-monitoring over IPC, and serves
 * GET /metrics when a port is given (--metrics-port). A port that cannot be bound is an error.
 */
export async function startMetrics(
  component: string,
  opts: { port?: number | undefined; host?: string | undefined },
  log?: Logger,
): Promise<ProcessMetrics> {
  initMetrics(component);
  const stopIpc = answerMetricsOverIpc();
  let server: MetricsServer | null = null;
  if (opts.port !== undefined) {
    try {
      server = await serveMetrics(opts.port, opts.host ?? DEFAULT_METRICS_HOST);
    } catch (err) {
      stopIpc();
      throw new Error(`cannot serve metrics on ${opts.host ?? DEFAULT_METRICS_HOST}:${opts.port}: ${(err as Error).message}`, {
        cause: err,
      });
    }
    log?.info(`metrics at http://${hostForUrl(server.host)}:${server.port}/metrics`);
  }
  return {
    server,
    close: async () => {
      stopIpc();
      await server?.close();
    },
  };
}

function hostForUrl(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}
