// The Fastify application of podsentinel-server: read routes over the pipeline state, the decision and
// Alertmanager writes (token, same origin, size-limited, zod-checked), server-sent events, OpenAPI, and the
// dashboard plugin when it is present. Built by buildApp() so tests drive it in-process with inject().
import { existsSync } from 'node:fs';
import { M } from '../lib/metrics.ts';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { DecisionRequest, newDecisionId, writeDecision } from '../lib/decisions.ts';
import type { Logger } from '../lib/log.ts';
import { AnomalyListResponse, PodListQuery, RemediationsQuery, type ClusterResponse, type PodDetailResponse } from './api-schemas.ts';
import { anomalyDetail, anomalySummary } from './anomaly-view.ts';
import { AlertIntake, AlertmanagerPayload } from './alertmanager.ts';
import { authenticate, type NamedToken } from './auth.ts';
import { clusterView } from './cluster-view.ts';
import { HttpProblem, installErrorHandlers, sendProblem } from './http-errors.ts';
import { openApiDocument } from './openapi.ts';
import { podSeries } from './pod-series.ts';
import type { PipelineState } from './pipeline-state.ts';
import { serveEvents } from './sse.ts';

export const BODY_LIMIT = 16 * 1024;
/** Alertmanager groups many alerts into one notification. */
export const ALERT_BODY_LIMIT = 512 * 1024;

export interface AppOptions {
  state: PipelineState;
  tokens: readonly NamedToken[];
  log: Logger;
  /** Seconds between SSE heartbeat comments (default 15). */
  sseHeartbeatSeconds?: number;
  /** Passed to the dashboard plugin (server/dashboard.ts) when it exists. */
  devBuildDir?: string;
}

const sameOrigin = (req: FastifyRequest): boolean => {
  const origin = req.headers.origin;
  if (origin === undefined) return true; // not a browser, or a same-origin GET
  return origin === `${req.protocol}://${req.headers.host}`;
};

/** The writer's name: checks origin first (a cross-site page gets 403 whatever it sends), then the token. */
function writer(req: FastifyRequest, tokens: readonly NamedToken[]): string {
  if (!sameOrigin(req)) throw new HttpProblem(403, 'Forbidden', 'writes are accepted from this server’s own origin only');
  const name = authenticate(req.headers.authorization, tokens);
  if (!name) throw new HttpProblem(401, 'Unauthorized', 'send Authorization: Bearer <token>');
  return name;
}

export async function buildApp(o: AppOptions): Promise<FastifyInstance> {
  const { state, log } = o;
  const app = Fastify({ logger: false, bodyLimit: BODY_LIMIT, forceCloseConnections: true, return503OnClosing: true });
  installErrorHandlers(app, log);
  // Route patterns, not paths, as labels: a bounded set however many pods are asked for.
  app.addHook('onResponse', async (req, reply) => {
    const route = req.routeOptions.url ?? 'unmatched';
    M.httpRequests().inc({ method: req.method, route, status: `${Math.floor(reply.statusCode / 100)}xx` });
    M.httpRequestDuration().observe({ route }, reply.elapsedTime / 1000);
  });
  const decisionsDir = state.files.decisions;
  const intake = new AlertIntake(state.files.alertRequests);

  app.get('/api/health', async () => ({ status: 'ok' as const }));

  app.get('/api/ready', async (_req, reply) => {
    const agents = state.agents();
    const ready = agents.length > 0 && agents.every((a) => a.fresh);
    return reply.code(ready ? 200 : 503).send({ ready, agents });
  });

  app.get('/api/cluster', async (): Promise<ClusterResponse> => clusterView(state));

  app.get('/api/pods', async (req) => state.index.page(PodListQuery.parse(req.query)));

  app.get<{ Params: { namespace: string; pod: string } }>('/api/pods/:namespace/:pod', async (req): Promise<PodDetailResponse> => {
    const { namespace, pod } = req.params;
    const insight = state.index.insight(namespace, pod);
    if (!insight) throw new HttpProblem(404, 'Not Found', `no pod ${namespace}/${pod} in the current insights`);
    const history = state.probabilityHistory(namespace, pod);
    const open = state.analysisFile?.analyses.find((a) => a.namespace === namespace && a.pod === pod);
    return {
      insight,
      forecasts: insight.forecasts ?? [],
      threshold: state.index.threshold,
      series: podSeries(state.files.metrics, namespace, pod, history),
      probability_history: history,
      analysis_id: open?.id ?? null,
    };
  });

  app.get('/api/anomalies', async () =>
    AnomalyListResponse.parse({
      items: state.anomalies.map((e) => anomalySummary(e, state.audit)),
      generated_at: state.analysisFile?.generated_at ?? null,
    }),
  );

  app.get<{ Params: { id: string } }>('/api/anomalies/:id', async (req) => {
    const entry = state.anomaly(req.params.id);
    if (!entry) throw new HttpProblem(404, 'Not Found', `no anomaly ${req.params.id}`);
    return anomalyDetail(entry, state.audit, state.decisions);
  });

  app.post<{ Params: { id: string } }>('/api/anomalies/:id/decision', async (req, reply) => {
    const by = writer(req, o.tokens);
    const body = DecisionRequest.parse(req.body ?? {});
    const entry = state.anomaly(req.params.id);
    if (!entry) throw new HttpProblem(404, 'Not Found', `no anomaly ${req.params.id}`);
    if (entry.status !== 'open') throw new HttpProblem(409, 'Conflict', `anomaly ${req.params.id} is resolved`);
    const actions = entry.analysis.recommended_actions;
    if (body.decision !== 'not-an-anomaly' && body.action === undefined) throw new HttpProblem(400, 'Bad Request', 'action: required');
    if (body.action !== undefined && body.action >= actions.length)
      throw new HttpProblem(400, 'Bad Request', `action: the anomaly has ${actions.length} recommended action(s)`);
    const id = newDecisionId('web');
    writeDecision(decisionsDir, {
      id,
      ts: new Date().toISOString(),
      analysis_id: entry.analysis.id,
      decision: body.decision,
      ...(body.action !== undefined ? { action_index: body.action, action: actions[body.action]!.action } : {}),
      by,
      via: 'web',
    });
    state.loadDecisions();
    log.info('decision queued', { decision_id: id, analysis_id: entry.analysis.id, decision: body.decision, action: body.action, by });
    return reply.code(202).send({ decision_id: id, status: 'queued' as const });
  });

  app.get('/api/remediations', async (req) => {
    const { limit } = RemediationsQuery.parse(req.query);
    return { items: state.audit.slice(-limit).reverse() };
  });

  app.get('/api/events', (req: FastifyRequest, reply: FastifyReply) => serveEvents(req, reply, state, o.sseHeartbeatSeconds ?? 15));

  app.post('/api/alertmanager', { bodyLimit: ALERT_BODY_LIMIT }, async (req) => {
    const by = writer(req, o.tokens);
    const payload = AlertmanagerPayload.parse(req.body ?? {});
    const r = intake.receive(payload);
    log.info('alertmanager notification', { by, status: payload.status, alerts: payload.alerts.length, ...r });
    return { status: 'ok' as const, ...r };
  });

  const openapi = openApiDocument();
  app.get('/openapi.json', async () => openapi);

  await registerDashboard(app, o, log);
  return app;
}

/** The dashboard (web/, server/dashboard.ts) is another part's; without it, GET / says where the API is. */
async function registerDashboard(app: FastifyInstance, o: AppOptions, log: Logger): Promise<void> {
  const file = new URL('./dashboard.ts', import.meta.url);
  if (existsSync(file)) {
    const spec = file.href;
    const mod = (await import(spec)) as {
      dashboardRoutes?: (app: FastifyInstance, opts: { devBuildDir?: string }) => Promise<void>;
    };
    if (mod.dashboardRoutes) {
      await mod.dashboardRoutes(app, o.devBuildDir ? { devBuildDir: o.devBuildDir } : {});
      return;
    }
  }
  log.debug('no dashboard plugin (server/dashboard.ts): serving the API only');
  app.get('/', async (_req, reply) =>
    sendProblem(reply, 404, 'the dashboard is not built into this server; the API is under /api, described at /openapi.json'),
  );
}
