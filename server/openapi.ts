// GET /openapi.json: an OpenAPI 3.1 document whose schemas are generated from server/api-schemas.ts
// (z.toJSONSchema), so the description cannot drift from what the server validates and answers.
import { z } from 'zod';
import * as S from './api-schemas.ts';

const json = (schema: z.ZodType, io: 'input' | 'output' = 'output') =>
  z.toJSONSchema(schema, { target: 'draft-2020-12', unrepresentable: 'any', io });
const ok = (schema: z.ZodType, description = 'OK') => ({ description, content: { 'application/json': { schema: json(schema) } } });
const problem = (description: string) => ({ description, content: { 'application/problem+json': { schema: json(S.Problem) } } });
const writeErrors = {
  '400': problem('The body does not match the schema'),
  '401': problem('No or unknown bearer token'),
  '403': problem('The request came from another origin'),
  '413': problem('The body is too large'),
};
const queryParams = (schema: z.ZodObject) =>
  Object.entries(json(schema, 'input').properties ?? {}).map(([name, s]) => ({ name, in: 'query', required: false, schema: s }));
const pathParam = (name: string) => ({ name, in: 'path', required: true, schema: { type: 'string' } });

export function openApiDocument(): Record<string, unknown> {
  return {
    openapi: '3.1.0',
    info: {
      title: 'podsentinel-server',
      version: '1',
      description: 'The pipeline state, anomalies and remediation decisions of podsentinel.',
    },
    components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
    paths: {
      '/api/health': { get: { summary: 'Liveness', responses: { '200': ok(S.HealthResponse) } } },
      '/api/ready': {
        get: {
          summary: 'Every pipeline process has a fresh heartbeat',
          responses: { '200': ok(S.ReadyResponse), '503': ok(S.ReadyResponse, 'Not ready') },
        },
      },
      '/api/cluster': { get: { summary: 'Pods by node and workload', responses: { '200': ok(S.ClusterResponse) } } },
      '/api/pods': {
        get: {
          summary: 'One page of pods',
          parameters: queryParams(S.PodListQuery),
          responses: { '200': ok(S.PodListResponse), '400': problem('Bad query') },
        },
      },
      '/api/pods/{namespace}/{pod}': {
        get: {
          summary: 'A pod with its recent series',
          parameters: [pathParam('namespace'), pathParam('pod')],
          responses: { '200': ok(S.PodDetailResponse), '404': problem('Unknown pod') },
        },
      },
      '/api/anomalies': { get: { summary: 'Open and recently resolved anomalies', responses: { '200': ok(S.AnomalyListResponse) } } },
      '/api/anomalies/{id}': {
        get: {
          summary: 'An anomaly with its proposals',
          parameters: [pathParam('id')],
          responses: { '200': ok(S.AnomalyDetailResponse), '404': problem('Unknown anomaly') },
        },
      },
      '/api/anomalies/{id}/decision': {
        post: {
          summary: 'Decide a proposal; run-remediation carries it out',
          security: [{ bearer: [] }],
          parameters: [pathParam('id')],
          requestBody: { required: true, content: { 'application/json': { schema: json(S.DecisionRequest, 'input') } } },
          responses: {
            '202': ok(S.DecisionResponse, 'Queued'),
            ...writeErrors,
            '404': problem('Unknown anomaly'),
            '409': problem('The anomaly is resolved'),
          },
        },
      },
      '/api/remediations': {
        get: {
          summary: 'Audit records, newest first',
          parameters: queryParams(S.RemediationsQuery),
          responses: { '200': ok(S.RemediationsResponse) },
        },
      },
      '/api/events': {
        get: {
          summary: 'Server-sent events: status, anomaly, analysis, remediation',
          responses: { '200': { description: 'text/event-stream', content: { 'text/event-stream': { schema: { type: 'string' } } } } },
        },
      },
      '/api/alertmanager': {
        post: {
          summary: 'Alertmanager webhook (version 4): alerts naming a pod are investigated',
          security: [{ bearer: [] }],
          requestBody: { required: true, content: { 'application/json': { schema: { type: 'object' } } } },
          responses: { '200': ok(S.AlertmanagerResponse), ...writeErrors },
        },
      },
    },
  };
}
