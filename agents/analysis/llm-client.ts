// A chat client for any OpenAI-compatible endpoint (NVIDIA's API by default; vLLM, Ollama, llama.cpp)
// through the official `openai` package, with the limits an agent needs: a per-request timeout, retries
// with backoff on 429/5xx/connection errors (honouring Retry-After), a concurrency limit and a
// calls-per-minute budget. The key is handed to the client and nowhere else.
import OpenAI, { APIConnectionTimeoutError, APIError, APIUserAbortError } from 'openai';
import type { ChatCompletionMessageParam } from 'openai/resources/chat/completions';
import { Backoff, sleep } from '../../lib/backoff.ts';
import type { Logger } from '../../lib/log.ts';
import { bounded, LLM_OUTCOMES, M } from '../../lib/metrics.ts';

import { DEFAULT_LLM_BASE_URL } from './options.ts';

export { DEFAULT_LLM_BASE_URL, DEFAULT_LLM_MODEL } from './options.ts';
export const API_KEY_ENV = ['NVIDIA_API_KEY', 'OPENAI_API_KEY', 'LLM_API_KEY'] as const;

/** The first API key set in the environment, and the variable it came from (never the value in logs). */
export function apiKeyFromEnv(env: NodeJS.ProcessEnv = process.env): { key: string; from: string } | null {
  for (const name of API_KEY_ENV) {
    const v = env[name];
    if (v && v.trim() !== '') return { key: v.trim(), from: name };
  }
  return null;
}

/**
 * A client for an endpoint, with the key from the environment; null when the default (hosted) endpoint has no
 * key: a custom endpoint (a local vLLM, Ollama or llama.cpp) needs none. `keyFrom` names the variable used.
 */
export function llmClientFromEnv(
  opts: Omit<LlmClientOptions, 'apiKey' | 'maxRetryWaitMs'>,
  env: NodeJS.ProcessEnv = process.env,
): { client: LlmClient; keyFrom: string } | null {
  const key = apiKeyFromEnv(env);
  if (!key && opts.baseURL === DEFAULT_LLM_BASE_URL) return null;
  return {
    client: new LlmClient({ ...opts, apiKey: key?.key ?? 'not-needed', maxRetryWaitMs: 60_000 }),
    keyFrom: key?.from ?? 'none (custom endpoint)',
  };
}

export interface LlmClientOptions {
  baseURL: string;
  model: string;
  apiKey: string;
  timeoutMs: number;
  /** Retries after the first attempt, on 429, 5xx, timeouts and connection errors. */
  maxRetries: number;
  concurrency: number;
  callsPerMinute: number;
  /** Longest wait for a Retry-After before giving up. */
  maxRetryWaitMs: number;
  backoff?: { initialMs: number; maxMs: number };
  logger: Logger;
  temperature?: number;
  maxTokens?: number;
}

export type LlmFailureKind = 'timeout' | 'rate_limited' | 'server_error' | 'http_error' | 'connection' | 'budget' | 'empty' | 'aborted';

export class LlmFailure extends Error {
  readonly kind: LlmFailureKind;
  /** A later cycle may try again (the endpoint may recover). */
  readonly transient: boolean;
  constructor(kind: LlmFailureKind, message: string, transient: boolean) {
    super(message);
    this.kind = kind;
    this.transient = transient;
  }
}

export interface LlmStats {
  /** HTTP requests sent. */
  calls: number;
  failures: number;
}

class Semaphore {
  private active = 0;
  private readonly waiters: Array<() => void> = [];
  private readonly limit: number;
  constructor(limit: number) {
    this.limit = Math.max(1, limit);
  }
  async run<T>(f: () => Promise<T>): Promise<T> {
    if (this.active >= this.limit) await new Promise<void>((r) => this.waiters.push(r));
    this.active++;
    try {
      return await f();
    } finally {
      this.active--;
      this.waiters.shift()?.();
    }
  }
}

/** Milliseconds a 429/503 asks us to wait (Retry-After seconds or date, or retry-after-ms), or undefined. */
export function retryAfterMs(headers: Headers | undefined, now = Date.now()): number | undefined {
  const ms = headers?.get('retry-after-ms');
  if (ms && Number.isFinite(Number(ms))) return Math.max(0, Number(ms));
  const ra = headers?.get('retry-after');
  if (!ra) return undefined;
  if (/^\d+(\.\d+)?$/.test(ra.trim())) return Number(ra) * 1000;
  const date = Date.parse(ra);
  return Number.isFinite(date) ? Math.max(0, date - now) : undefined;
}

function classify(err: unknown): LlmFailure {
  if (err instanceof LlmFailure) return err;
  if (err instanceof APIConnectionTimeoutError) return new LlmFailure('timeout', 'request timed out', true);
  if (err instanceof APIUserAbortError) return new LlmFailure('aborted', 'request aborted', false);
  if (err instanceof APIError) {
    const status = err.status;
    if (status === 429) return new LlmFailure('rate_limited', 'HTTP 429 rate limited', true);
    if (status !== undefined && status >= 500) return new LlmFailure('server_error', `HTTP ${status} server error`, true);
    if (status === undefined) return new LlmFailure('connection', `connection error: ${err.message}`, true);
    return new LlmFailure('http_error', `HTTP ${status}: ${err.message.slice(0, 200)}`, false);
  }
  return new LlmFailure('connection', (err as Error)?.message ?? String(err), true);
}

/** A 400/422 that names response_format: the server does not support JSON mode. */
function refusesJsonMode(err: unknown): boolean {
  return (
    err instanceof APIError && (err.status === 400 || err.status === 422) && /response_format|json_object|json mode/i.test(err.message)
  );
}

/** One request attempt into podsentinel_llm_requests_total and its duration histogram (not for attempts refused before sending). */
function llmAttemptTimer(sent = true) {
  const end = sent ? M.llmRequestDuration().startTimer() : null;
  return {
    done(kind: LlmFailureKind | 'ok') {
      const outcome = bounded(kind, LLM_OUTCOMES);
      end?.({ outcome });
      M.llmRequests().inc({ outcome });
    },
  };
}

export class LlmClient {
  readonly model: string;
  readonly stats: LlmStats = { calls: 0, failures: 0 };
  private readonly client: OpenAI;
  private readonly opts: LlmClientOptions;
  private readonly sem: Semaphore;
  private readonly sent: number[] = [];
  /** Off once the endpoint refused response_format (older llama.cpp/Ollama builds); replies are validated anyway. */
  private jsonMode = true;

  constructor(opts: LlmClientOptions) {
    this.opts = opts;
    this.model = opts.model;
    this.sem = new Semaphore(opts.concurrency);
    this.client = new OpenAI({
      apiKey: opts.apiKey,
      baseURL: opts.baseURL,
      timeout: opts.timeoutMs,
      maxRetries: 0, // retries are ours: logged, budgeted, and bounded by Retry-After
      logLevel: 'off',
    });
  }

  /** Takes a slot of the calls-per-minute budget, or throws a transient 'budget' failure. */
  private takeBudget(now = Date.now()): void {
    while (this.sent.length > 0 && now - this.sent[0]! >= 60_000) this.sent.shift();
    if (this.sent.length >= this.opts.callsPerMinute) {
      throw new LlmFailure('budget', `calls-per-minute budget (${this.opts.callsPerMinute}) exhausted`, true);
    }
    this.sent.push(now);
  }

  /** One chat completion in JSON mode; returns the reply text. */
  async complete(messages: ChatCompletionMessageParam[], signal?: AbortSignal): Promise<string> {
    return this.sem.run(async () => {
      const backoff = new Backoff({ initialMs: this.opts.backoff?.initialMs ?? 1000, maxMs: this.opts.backoff?.maxMs ?? 30_000 });
      for (let attempt = 0; ; attempt++) {
        let timer: ReturnType<typeof llmAttemptTimer> | null = null;
        try {
          this.takeBudget();
          this.stats.calls++;
          timer = llmAttemptTimer();
          const res = await this.client.chat.completions.create(
            {
              model: this.opts.model,
              messages,
              ...(this.jsonMode ? { response_format: { type: 'json_object' as const } } : {}),
              temperature: this.opts.temperature ?? 0.2,
              max_tokens: this.opts.maxTokens ?? 1500,
            },
            signal ? { signal } : undefined,
          );
          const text = res.choices?.[0]?.message?.content;
          if (!text) throw new LlmFailure('empty', 'empty reply', true);
          timer.done('ok');
          return text;
        } catch (err) {
          const f = classify(err);
          (timer ?? llmAttemptTimer(false)).done(f.kind);
          if (this.jsonMode && refusesJsonMode(err)) {
            this.jsonMode = false;
            this.opts.logger.warn('the endpoint refused JSON mode (response_format); continuing without it', { reason: f.message });
            attempt--;
            continue;
          }
          const retryable = f.transient && f.kind !== 'budget' && f.kind !== 'empty';
          if (!retryable || attempt >= this.opts.maxRetries || signal?.aborted) throw f;
          let wait = backoff.next();
          const ra = err instanceof APIError ? retryAfterMs(err.headers) : undefined;
          if (ra !== undefined) {
            if (ra > this.opts.maxRetryWaitMs)
              throw new LlmFailure(f.kind, `${f.message}; Retry-After ${Math.round(ra / 1000)} s is longer than we wait`, true);
            wait = Math.max(wait, ra);
          }
          this.opts.logger.warn('LLM request failed, retrying', { reason: f.message, attempt: attempt + 1, wait_ms: Math.round(wait) });
          await sleep(wait, signal);
        }
      }
    });
  }
}
