// Errors as application/problem+json (RFC 9457): a type, a title, the status and a detail a person can act
// on; never a stack or an internal path.
import type { FastifyError, FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';
import type { Logger } from '../lib/log.ts';
import type { Problem } from './api-schemas.ts';

export class HttpProblem extends Error {
  readonly status: number;
  readonly title: string;
  constructor(status: number, title: string, detail?: string) {
    super(detail ?? title);
    this.status = status;
    this.title = title;
  }
}

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  409: 'Conflict',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

export function sendProblem(reply: FastifyReply, status: number, detail?: string, title?: string): FastifyReply {
  const body: Problem = { type: 'about:blank', title: title ?? TITLES[status] ?? 'Error', status, ...(detail ? { detail } : {}) };
  if (status === 401) reply.header('www-authenticate', 'Bearer');
  return reply.code(status).type('application/problem+json').send(body);
}

/** A zod error in one line: the first issue's path and message. */
export function zodDetail(err: z.ZodError): string {
  const i = err.issues[0];
  return `${i?.path.join('.') || 'body'}: ${i?.message ?? 'invalid'}`;
}

export function installErrorHandlers(app: FastifyInstance, log: Logger): void {
  app.setNotFoundHandler((req, reply) => sendProblem(reply, 404, `no route ${req.method} ${req.url.split('?')[0]}`));
  app.setErrorHandler((err: FastifyError, req, reply) => {
    if (err instanceof HttpProblem) return sendProblem(reply, err.status, err.message, err.title);
    if (err instanceof z.ZodError) return sendProblem(reply, 400, zodDetail(err));
    const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 600 ? err.statusCode : 500;
    if (status >= 500) {
      log.error('request failed', { method: req.method, route: req.routeOptions.url, error: err.message, code: err.code });
      return sendProblem(reply, status, 'the server could not answer this request; see its log');
    }
    // Fastify's own client errors (body too large, bad JSON, wrong content type) carry a safe message.
    return sendProblem(reply, status, err.message);
  });
}
