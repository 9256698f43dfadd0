// The HTTPS API server: reads each request (path, query, JSON body, dry run), checks the bearer token,
// hands it to the route table (sim/api/routes.ts) and writes the reply (JSON, text, a watch stream, or a
// meta/v1 Status for errors); every request is recorded for tests with its RBAC attributes, and, when an
// RBAC policy is set (sim/rbac.ts), a request the policy does not allow gets 403 Forbidden.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import { timingSafeEqual } from 'node:crypto';
import type { SimCluster } from './cluster.ts';
import { ApiError, statusObject } from './errors.ts';
import { hasDryRun, type Ctx, type Reply } from './api/request.ts';
import { route } from './api/routes.ts';
import { forbiddenMessage, grantsAllow, requestAttributes, type RbacGrant, type RequestAttributes } from './rbac.ts';
import type { SimTls } from './tls.ts';

/** The user the simulator's token stands for in RBAC messages (the in-cluster service account). */
export const SIM_USER = 'system:serviceaccount:podsentinel:podsentinel';

export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  body: unknown;
  contentType?: string;
  dryRun: boolean;
  status: number;
  time: number;
  /** What RBAC sees: verb, API group, resource, subresource, namespace, name (or a non-resource path). */
  attributes: RequestAttributes;
}

export interface ApiServerDeps {
  cluster: SimCluster;
  token: string;
  requests: RecordedRequest[];
  /** host:port for the discovery document. */
  serverAddress: () => string;
  /** Most requests kept in `requests` (oldest dropped first). */
  maxRecorded?: number;
  /** The RBAC grants in force, read per request; undefined = every authenticated request is allowed. */
  rbac?: () => RbacGrant[] | undefined;
}

const MAX_BODY = 4 * 1024 * 1024;

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) {
        reject(new ApiError(413, 'BadRequest', 'request body too large'));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function tokenOk(header: string | undefined, token: string): boolean {
  const m = /^Bearer\s+(.+)$/i.exec(header ?? '');
  if (!m) return false;
  const a = Buffer.from(m[1]!.trim());
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** The API server on TLS with the simulator's certificate. */
export function createApiServer(tls: SimTls, deps: ApiServerDeps): HttpsServer {
  return createHttpsServer({ key: tls.keyPem, cert: tls.certPem }, createApiHandler(deps));
}

export function createApiHandler(deps: ApiServerDeps): (req: IncomingMessage, res: ServerResponse) => void {
  const maxRecorded = deps.maxRecorded ?? 50_000;

  const record = (ctx: Ctx, status: number) => {
    let attributes: RequestAttributes;
    try {
      attributes = requestAttributes(ctx.method, ctx.segs, ctx.query, ctx.path);
    } catch {
      attributes = requestAttributes(ctx.method, [], {}, ctx.path);
    }
    deps.requests.push({
      method: ctx.method,
      path: ctx.path,
      query: ctx.query,
      body: ctx.body,
      ...(ctx.contentType ? { contentType: ctx.contentType } : {}),
      dryRun: ctx.dryRun,
      status,
      time: Date.now(),
      attributes,
    });
    if (deps.requests.length > maxRecorded * 1.2) deps.requests.splice(0, deps.requests.length - maxRecorded);
  };

  return (req, res) => {
    (async () => {
      let url: URL;
      try {
        url = new URL(req.url ?? '/', 'https://sim.local');
      } catch {
        url = new URL('https://sim.local/');
      }
      const query: Record<string, string> = {};
      for (const [k, v] of url.searchParams) query[k] = v;
      const ctx: Ctx = {
        method: (req.method ?? 'GET').toUpperCase(),
        path: url.pathname,
        segs: [],
        query,
        body: undefined,
        contentType: req.headers['content-type'],
        accept: String(req.headers.accept ?? ''),
        dryRun: false,
        cluster: deps.cluster,
        serverAddress: deps.serverAddress,
      };
      let reply: Reply;
      try {
        try {
          ctx.segs = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
        } catch {
          throw new ApiError(400, 'BadRequest', `malformed path ${url.pathname}`);
        }
        const raw = await readBody(req);
        if (raw) {
          try {
            ctx.body = JSON.parse(raw);
          } catch {
            ctx.body = raw;
            if (/json/.test(ctx.contentType ?? '')) throw new ApiError(400, 'BadRequest', 'the request body is not valid JSON');
          }
        }
        ctx.dryRun = hasDryRun(query, ctx.body);
        if (!tokenOk(req.headers.authorization, deps.token)) throw new ApiError(401, 'Unauthorized', 'Unauthorized');
        const grants = deps.rbac?.();
        if (grants) {
          const a = requestAttributes(ctx.method, ctx.segs, ctx.query, ctx.path);
          if (!grantsAllow(grants, a))
            throw new ApiError(403, 'Forbidden', forbiddenMessage(a, SIM_USER), {
              ...(a.name ? { name: a.name } : {}),
              ...(a.resourceRequest ? { group: a.apiGroup, kind: a.resource } : {}),
            });
        }
        reply = route(ctx);
      } catch (err) {
        if (err instanceof ApiError) reply = { status: err.code, body: statusObject(err.code, err.reason, err.message, err.details) };
        else
          reply = {
            status: 500,
            body: statusObject(500, 'InternalError', `Internal error occurred: ${(err as Error)?.message ?? String(err)}`),
          };
      }
      record(ctx, reply.status);
      if (reply.stream) {
        reply.stream(res);
        return;
      }
      const text = typeof reply.body === 'string' || Buffer.isBuffer(reply.body) ? reply.body : JSON.stringify(reply.body);
      res.writeHead(reply.status, {
        'Content-Type': reply.contentType ?? 'application/json',
        'Content-Length': Buffer.byteLength(text),
        'Cache-Control': 'no-cache, private',
        'Audit-Id': `sim-${deps.requests.length}`,
      });
      res.end(text);
    })().catch(() => {
      // Only a broken connection gets here (every API error became a Status above).
      res.destroy();
    });
  };
}
