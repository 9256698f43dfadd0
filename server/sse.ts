// GET /api/events: server-sent events from the pipeline state (status, anomaly, analysis, remediation),
// a comment every few seconds so proxies keep the stream open, and the current status at once.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { PipelineEvents, PipelineState } from './pipeline-state.ts';

export function serveEvents(req: FastifyRequest, reply: FastifyReply, state: PipelineState, heartbeatSeconds: number): void {
  reply.hijack();
  const res = reply.raw;
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
  });
  const send = (event: string, data: unknown) => res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  res.write('retry: 2000\n\n');
  send('status', state.status());
  const names = ['status', 'anomaly', 'analysis', 'remediation'] as const;
  const handlers = names.map((name) => {
    const h = (data: PipelineEvents[typeof name][0]) => send(name, data);
    state.on(name, h);
    return [name, h] as const;
  });
  const beat = setInterval(() => res.write(': keep-alive\n\n'), heartbeatSeconds * 1000);
  const stop = () => {
    clearInterval(beat);
    for (const [name, h] of handlers) state.off(name, h as never);
  };
  req.raw.once('close', stop);
  res.once('close', stop);
}
