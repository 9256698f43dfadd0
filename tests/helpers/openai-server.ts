// A local OpenAI-compatible chat-completions server for tests. It checks each request (model, JSON mode,
// message content the test expects) and answers from a script, one step per request: a reply text, an
// HTTP status (with Retry-After), a reply slower than the client's timeout, or a connection reset
// before any byte of the answer or in the middle of its body.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type Step =
  | { kind: 'reply'; content: string; delayMs?: number; finishReason?: 'stop' | 'length' }
  | { kind: 'status'; status: number; retryAfter?: string; message?: string }
  | { kind: 'reset'; after: 'nothing' | 'half-body' };

export const step = {
  json: (value: unknown, delayMs?: number): Step => ({ kind: 'reply', content: JSON.stringify(value), ...(delayMs ? { delayMs } : {}) }),
  text: (content: string): Step => ({ kind: 'reply', content }),
  /** A reply cut off by the token limit (finish_reason "length"). */
  cutOff: (content: string): Step => ({ kind: 'reply', content, finishReason: 'length' }),
  /** The connection is reset before the answer, or after the headers and half the body. */
  reset: (after: 'nothing' | 'half-body'): Step => ({ kind: 'reset', after }),
  status: (status: number, retryAfter?: string, message?: string): Step => ({
    kind: 'status',
    status,
    ...(retryAfter ? { retryAfter } : {}),
    ...(message ? { message } : {}),
  }),
};

export interface RecordedRequest {
  path: string;
  authorization: string | undefined;
  body: {
    model?: string;
    messages?: Array<{ role: string; content: string }>;
    response_format?: { type?: string };
  };
  /** Problems the server found with the request ([] when it is as expected). */
  problems: string[];
}

export interface OpenAiTestServer {
  baseURL: string;
  requests: RecordedRequest[];
  /** Steps not yet used. */
  script: Step[];
  close(): Promise<void>;
}

export interface ServerExpectations {
  model: string;
  /** Strings the concatenated messages must contain (e.g. the pod's name). */
  mustContain?: string[];
  /** Require response_format json_object (default true). */
  jsonMode?: boolean;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function completion(model: string, content: string, finishReason: 'stop' | 'length' = 'stop'): string {
  return JSON.stringify({
    id: `chatcmpl-test-${Date.now()}`,
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model,
    choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: finishReason, logprobs: null }],
    usage: { prompt_tokens: 10, completion_tokens: 10, total_tokens: 20 },
  });
}

export async function startOpenAiServer(expect: ServerExpectations, script: Step[]): Promise<OpenAiTestServer> {
  const requests: RecordedRequest[] = [];
  const queue = [...script];
  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const raw = await readBody(req);
    let body: RecordedRequest['body'] = {};
    const problems: string[] = [];
    try {
      body = JSON.parse(raw) as RecordedRequest['body'];
    } catch {
      problems.push('request body is not JSON');
    }
    if (req.method !== 'POST' || !req.url?.endsWith('/chat/completions')) problems.push(`unexpected ${req.method} ${req.url}`);
    if (body.model !== expect.model) problems.push(`model ${body.model} != ${expect.model}`);
    if ((expect.jsonMode ?? true) && body.response_format?.type !== 'json_object') problems.push('response_format is not json_object');
    const text = (body.messages ?? []).map((m) => m.content).join('\n');
    for (const s of expect.mustContain ?? []) if (!text.includes(s)) problems.push(`messages lack "${s}"`);
    requests.push({ path: req.url ?? '', authorization: req.headers.authorization, body, problems });
    const next = queue.shift();
    if (problems.length > 0 || !next) {
      res.writeHead(400, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { message: problems.join('; ') || 'script exhausted', type: 'invalid_request_error' } }));
      return;
    }
    if (next.kind === 'status') {
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (next.retryAfter) headers['retry-after'] = next.retryAfter;
      res.writeHead(next.status, headers);
      res.end(
        JSON.stringify({
          error: { message: next.message ?? `scripted ${next.status}`, type: next.status < 500 ? 'invalid_request_error' : 'server_error' },
        }),
      );
      return;
    }
    if (next.kind === 'reset') {
      if (next.after === 'half-body') {
        const full = Buffer.from(completion(body.model ?? 'unknown', '{"severity": "high"}'));
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(full.length) });
        res.write(full.subarray(0, full.length >> 1));
        await new Promise((r) => setTimeout(r, 20));
      }
      req.socket.resetAndDestroy();
      return;
    }
    if (next.delayMs) await new Promise((r) => setTimeout(r, next.delayMs));
    if (res.destroyed || req.socket.destroyed) return;
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(completion(body.model ?? 'unknown', next.content, next.finishReason));
  };
  const server: Server = createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseURL: `http://127.0.0.1:${port}/v1`,
    requests,
    script: queue,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
