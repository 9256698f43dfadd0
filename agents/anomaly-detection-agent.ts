// anomaly-detection-agent: watches pod_insights.json and writes pod_analysis.json, explaining each
// anomalous pod through an OpenAI-compatible LLM (NVIDIA's Nemotron by default) or the rule-based
// analyser, with every recommended action vetted against the remediation allow-list.
import { readJsonFile } from '../lib/atomic-file.ts';
import { heartbeat as makeHeartbeat, writeHeartbeat } from '../lib/heartbeat.ts';
import { cli, helpShown, runIfMain, UsageError } from '../lib/cli.ts';
import { untilStopped, watchFile } from '../lib/file-watch.ts';
import { kubeClients, loadKubeConfig, type KubeClients } from '../lib/kube.ts';
import { createLogger, type Logger } from '../lib/log.ts';
import { checkMetricsPort, checkPositive } from '../lib/options.ts';
import { ANOMALY_TYPES } from '../lib/schemas.ts';
import { M, onCollect } from '../lib/metrics.ts';
import { startMetrics } from '../lib/metrics-server.ts';
import { dirname } from 'node:path';
import { heartbeatPath, pipelineFile } from '../lib/pipeline-files.ts';
import { firingAlertsByPod } from './analysis/alert-intake.ts';
import { insightsPodCount, PodInsights } from '../lib/schemas.ts';
import { formatAnalysisBlock } from './analysis/console.ts';
import { AnalysisEngine } from './analysis/engine.ts';
import { API_KEY_ENV, llmClientFromEnv, type LlmClient } from './analysis/llm-client.ts';
import { ANOMALY_AGENT_OPTIONS } from './analysis/options.ts';

const COMMAND = 'anomaly-detection-agent';

const ENV_HELP = [
  '',
  'Environment:',
  '  NVIDIA_API_KEY | OPENAI_API_KEY | LLM_API_KEY',
  '      The LLM API key (first one set wins; never logged or written). Without a key the',
  '      default endpoint is skipped and the rules answer; a custom --llm-base-url (vLLM,',
  '      Ollama, llama.cpp) is used with or without a key.',
  '  KUBECONFIG',
  '      kubeconfig when --kubeconfig is not given (else ~/.kube/config, else in-cluster).',
  '      Without a cluster the analysis is made from the insights alone.',
  '  PODSENTINEL_<OPTION_NAME>',
  '      Any option, e.g. PODSENTINEL_LLM_MODEL=..., PODSENTINEL_LLM=false (as --no-llm).',
  '  PODSENTINEL_CONFIG     config file (as --config)',
  '  PODSENTINEL_LOG_LEVEL  log level (as --log-level)',
].join('\n');

function parse(argv: string[]) {
  return cli(COMMAND, argv, 'Explains anomalous pods from pod_insights.json (LLM or rules) into pod_analysis.json.')
    .options(ANOMALY_AGENT_OPTIONS)
    .epilogue(ENV_HELP)
    .check((a) => {
      if (a['min-replicas'] < 0 || a['max-replicas'] < a['min-replicas'])
        throw new UsageError('need 0 <= --min-replicas <= --max-replicas');
      if (a['llm-concurrency'] < 1 || a['llm-calls-per-minute'] < 1)
        throw new UsageError('--llm-concurrency and --llm-calls-per-minute must be >= 1');
      if (a['llm-timeout-ms'] <= 0 || a['llm-max-retries'] < 0)
        throw new UsageError('--llm-timeout-ms must be > 0 and --llm-max-retries >= 0');
      checkPositive('interval', a.interval);
      checkMetricsPort(a['metrics-port']);
      return true;
    });
}

function makeLlm(a: Awaited<ReturnType<ReturnType<typeof parse>['parse']>>, log: Logger): LlmClient | null {
  if (!a.llm) {
    log.info('LLM disabled (--no-llm): rule-based analysis');
    return null;
  }
  const llm = llmClientFromEnv({
    baseURL: a['llm-base-url'],
    model: a['llm-model'],
    timeoutMs: a['llm-timeout-ms'],
    maxRetries: a['llm-max-retries'],
    concurrency: a['llm-concurrency'],
    callsPerMinute: a['llm-calls-per-minute'],
    logger: log.child('llm'),
  });
  if (!llm) {
    log.warn(`no API key in ${API_KEY_ENV.join(', ')}: rule-based analysis only`);
    return null;
  }
  log.info('LLM enabled', { base_url: a['llm-base-url'], model: a['llm-model'], key_from: llm.keyFrom });
  return llm.client;
}

function connect(path: string | undefined, log: Logger): KubeClients | null {
  try {
    return kubeClients(loadKubeConfig(path));
  } catch (err) {
    log.warn('no Kubernetes cluster: analysing from the insights alone', { reason: (err as Error).message });
    return null;
  }
}

type AgentArgs = Awaited<ReturnType<ReturnType<typeof parse>['parseAsync']>>;

export async function main(argv: string[]): Promise<number> {
  const a = await parse(argv).parseAsync();
  if (helpShown(argv)) return 0;
  return run(a);
}

/** The agent with parsed options: one cycle (--once) or a watch of the insights file until a signal. */
export async function run(a: AgentArgs): Promise<number> {
  const log = createLogger(COMMAND, { dir: a['log-dir'] as string, level: a['log-level'] as 'debug' | 'info' | 'warn' | 'error' });
  const llm = makeLlm(a, log);
  const clients = connect(a.kubeconfig, log);
  const engine = new AnalysisEngine({
    analysisFile: a['analysis-file'],
    clients,
    context: { csvPath: a['input-file'], logLines: a['log-lines'], maxEvents: 5, timeoutMs: a['kube-timeout-ms'] },
    analyser: {
      llm,
      guard: {
        protectedNamespaces: a['protected-namespace'],
        minReplicas: a['min-replicas'],
        maxReplicas: a['max-replicas'],
        maxRaiseFactor: 4,
      },
      rules: { maxReplicas: a['max-replicas'], raiseFactor: 1.5, repeatedOomKills: 2 },
      maskNames: a['mask-names'],
      logger: log.child('analysis'),
    },
    resolvedLimit: a['resolved-limit'],
    llmRetryMs: a['llm-retry-after-s'] * 1000,
    parallel: 4,
    logger: log,
    onAnalysis: (an, why) => process.stdout.write(formatAnalysisBlock(an, why)),
  });
  engine.load();
  const heartbeatFile = heartbeatPath(a['analysis-file'], COMMAND);
  let finished = false;
  const heartbeat = () => {
    try {
      const counters = {
        open: engine.open.size,
        analysed_total: engine.analysedTotal,
        llm_calls: llm?.stats.calls ?? 0,
        llm_failures: llm?.stats.failures ?? 0,
      };
      writeHeartbeat(heartbeatFile, makeHeartbeat(COMMAND, counters, finished ? 'stopped' : 'running'));
    } catch (err) {
      log.warn('heartbeat not written', { reason: (err as Error).message });
    }
  };

  // Alertmanager's investigation requests (podsentinel-server writes them beside the analysis file).
  const alertFile = pipelineFile(dirname(a['analysis-file']), 'alertRequests');
  const alertsNow = () => {
    try {
      return firingAlertsByPod(alertFile);
    } catch (err) {
      log.warn('alert requests unreadable; investigating detector anomalies only', { file: alertFile, reason: (err as Error).message });
      return new Map();
    }
  };
  let lastInsights = '';
  /** One cycle; false when the insights file exists but cannot be read or does not match its schema. */
  const cycle = async (): Promise<boolean> => {
    let insights;
    let ok = true;
    try {
      insights = readJsonFile(a['insights-file'], PodInsights);
    } catch (err) {
      ok = false;
      log.error('insights file unreadable, keeping the current analyses', { reason: (err as Error).message });
    }
    if (insights === null) {
      log.info('no insights file yet', { file: a['insights-file'] });
      engine.write();
    } else if (insights) {
      if (insights.generated_at !== lastInsights)
        log.debug('insights', { generated_at: insights.generated_at, pods: insightsPodCount(insights) });
      lastInsights = insights.generated_at;
      const r = await engine.cycle(insights, alertsNow());
      if (r.analysed > 0 || r.resolved > 0) log.info('cycle', { ...r });
    }
    heartbeat();
    return ok;
  };

  if (a.once) {
    finished = true; // its one heartbeat is its last
    return (await cycle()) ? 0 : 1;
  }

  // A new insights file starts a cycle; so does every --interval (analyses also age: resolved limits,
  // LLM retries). Liveness apart from cycles: a cycle waiting on a slow LLM must not look like a hung agent.
  const metrics = await startMetrics(COMMAND, { port: a['metrics-port'], host: a['metrics-host'] }, log);
  const unhook = onCollect(() => {
    const byType = new Map<string, number>(ANOMALY_TYPES.filter((t) => t !== 'none').map((t) => [t, 0]));
    for (const e of engine.open.values()) byType.set(e.analysis.anomaly_type, (byType.get(e.analysis.anomaly_type) ?? 0) + 1);
    for (const [type, n] of byType) M.anomaliesOpen().set({ type }, n);
  });
  const watch = watchFile(a['insights-file'], {
    run: async () => void (await cycle()),
    everySeconds: a.interval,
    onError: (err) => log.error('cycle failed', { error: err as Error }),
    onWatchError: (err) => log.warn('watch error', { reason: String(err) }),
  });
  // A new alert request starts a cycle too, so the pod is investigated without waiting for the interval.
  const alertWatch = watchFile(alertFile, { run: async () => watch.trigger(), runAtStart: false });
  const beat = setInterval(heartbeat, Math.max(1, Math.min(a.interval, 10)) * 1000);
  log.info('watching', { insights: a['insights-file'], analysis: a['analysis-file'] });

  const sig = await untilStopped(['SIGINT', 'SIGTERM']);
  log.info(`${sig}: stopping`);
  clearInterval(beat);
  await alertWatch.close();
  await watch.close();
  engine.write();
  finished = true;
  heartbeat();
  unhook();
  await metrics.close();
  return 0;
}

runIfMain(import.meta.url, main);
