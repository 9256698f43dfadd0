// Streamable HTTP at /mcp, session-based: the client's name from initialize is kept with its session and
// recorded as who decided (stateless mode would lose it between requests), and a long apply_remediation
// can stream progress. Each session has its own McpServer; sessions are capped and expire when idle.
// Loopback by default; Host and Origin are checked against the bound address (DNS rebinding).
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { isInitializeRequest } from '@modelcontextprotocol/sdk/types.js';
import type { McpContext } from './context.ts';
import { createMcpServer } from './server.ts';

const MAX_BODY_BYTES = 1024 * 1024;
const MAX_SESSIONS = 64;
const IDLE_MS = 30 * 60_000;

interface Session {
  transport: StreamableHTTPServerTransport;
  lastUsed: number;
}

export interface McpHttpServer {
  url: string;
  close(): Promise<void>;
}

function reply(res: ServerResponse, status: number, message: string): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ jsonrpc: '2.0', error: { code: -32000, message }, id: null }));
}

async function readBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new Error('body too large');
    chunks.push(c as Buffer);
  }
  return JSON.parse(Buffer.concat(chunks).toString('utf8'));
}

/** host:port names a browser may use for this server (the bound address, and localhost for loopback). */
function allowedHosts(host: string, port: number): Set<string> {
  const names = new Set([host.includes(':') ? `[${host}]` : host]);
  if (['127.0.0.1', '::1', 'localhost'].includes(host)) for (const n of ['127.0.0.1', '[::1]', 'localhost']) names.add(n);
  return new Set([...names].map((n) => `${n}:${port}`));
}

export async function startHttp(ctx: McpContext, host: string, port: number): Promise<McpHttpServer> {
  const sessions = new Map<string, Session>();
  let hosts = new Set<string>();

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname !== '/mcp') return reply(res, 404, 'not found: the MCP endpoint is /mcp');
    if (!hosts.has(req.headers.host ?? '')) return reply(res, 403, 'forbidden: unexpected Host header');
    const origin = req.headers.origin;
    if (origin && !hosts.has(origin.replace(/^https?:\/\//, ''))) return reply(res, 403, 'forbidden: cross-origin request');

    const sid = req.headers['mcp-session-id'];
    const id = Array.isArray(sid) ? sid[0] : sid;
    const body = req.method === 'POST' ? await readBody(req).catch(() => Symbol.for('bad')) : undefined;
    if (body === Symbol.for('bad')) return reply(res, 400, 'bad request: the body must be JSON (at most 1 MiB)');
    const known = id ? sessions.get(id) : undefined;
    if (known) {
      known.lastUsed = Date.now();
      return known.transport.handleRequest(req, res, body);
    }
    if (id) return reply(res, 404, 'unknown or expired session: initialize again');
    if (req.method !== 'POST' || !isInitializeRequest(body)) return reply(res, 400, 'bad request: no session (send initialize first)');
    if (sessions.size >= MAX_SESSIONS) return reply(res, 503, `too many sessions (${MAX_SESSIONS}); close one or wait for one to expire`);

    const transport: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      onsessioninitialized: (newId) => void sessions.set(newId, { transport, lastUsed: Date.now() }),
    });
    transport.onclose = () => {
      if (transport.sessionId) sessions.delete(transport.sessionId);
    };
    await createMcpServer(ctx).connect(transport);
    await transport.handleRequest(req, res, body);
  };

  const http: Server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      ctx.log.error('HTTP request failed', { error: err as Error });
      if (!res.headersSent) reply(res, 500, 'internal error');
      else res.end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(port, host, () => {
      http.off('error', reject);
      resolve();
    });
  });
  const bound = (http.address() as AddressInfo).port;
  hosts = allowedHosts(host, bound);
  const sweep = setInterval(() => {
    const now = Date.now();
    for (const s of sessions.values()) if (now - s.lastUsed > IDLE_MS) void s.transport.close();
  }, 60_000);
  sweep.unref();
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${bound}/mcp`,
    async close() {
      clearInterval(sweep);
      await Promise.all([...sessions.values()].map((s) => s.transport.close().catch(() => undefined)));
      await new Promise<void>((resolve) => {
        http.close(() => resolve());
        http.closeAllConnections();
      });
    },
  };
}
