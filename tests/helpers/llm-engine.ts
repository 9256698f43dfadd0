// The analysis engine wired to the real openai client against a local OpenAI-compatible test server, with
// test-sized timeouts and backoff, and a fixed context per pod (no cluster).
import { AnalysisEngine } from '../../agents/analysis/engine.ts';
import { LlmClient } from '../../agents/analysis/llm-client.ts';
import type { PodContext } from '../../agents/analysis/context-types.ts';
import type { Logger } from '../../lib/log.ts';
import type { PodInsight } from '../../lib/schemas.ts';
import { context, deps } from './analysis-fixtures.ts';

export interface LlmEngineOptions {
  baseURL: string;
  model: string;
  apiKey: string;
  log: Logger;
  analysisFile: string;
  /** LLM calls at once and pods analysed at once. */
  parallel: number;
  timeoutMs?: number;
  maxRetries?: number;
  callsPerMinute?: number;
  maskNames?: boolean;
  llmRetryMs?: number;
  ctx?: ((i: PodInsight) => PodContext) | undefined;
}

export function llmEngine(o: LlmEngineOptions): { llm: LlmClient; engine: AnalysisEngine } {
  const llm = new LlmClient({
    baseURL: o.baseURL,
    model: o.model,
    apiKey: o.apiKey,
    timeoutMs: o.timeoutMs ?? 3000,
    maxRetries: o.maxRetries ?? 1,
    concurrency: o.parallel,
    callsPerMinute: o.callsPerMinute ?? 100,
    maxRetryWaitMs: 5000,
    backoff: { initialMs: 5, maxMs: 20 },
    logger: o.log.child('llm'),
  });
  const engine = new AnalysisEngine({
    analysisFile: o.analysisFile,
    clients: null,
    context: { logLines: 40, maxEvents: 5, timeoutMs: 1000 },
    analyser: deps(o.log.child('analysis'), { llm, maskNames: o.maskNames ?? false }),
    resolvedLimit: 10,
    llmRetryMs: o.llmRetryMs ?? 60_000,
    parallel: o.parallel,
    logger: o.log,
    buildContext: async (i) => (o.ctx ?? ((x) => context({}, x)))(i),
  });
  return { llm, engine };
}
