// What the dedup saves: an incident followed cycle after cycle costs LLM calls only when it changes
// materially. Drives a sim scenario, feeds the fault pods as anomalous insights to the real engine every
// `--every` ticks (context through client-node), answers LLM calls from the local test server, and counts.
//   npx tsx bench/analysis/dedup.ts [scenario] [ticks] [every]     (default: memory-leak 200 2)
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSim } from '../../sim/index.ts';
import { kubeClients, loadKubeConfig } from '../../lib/kube.ts';
import { memoryLogger } from '../../lib/log.ts';
import { runIfMain } from '../../lib/cli.ts';
import type { PodInsight, PodInsights } from '../../lib/schemas.ts';
import { AnalysisEngine } from '../../agents/analysis/engine.ts';
import { LlmClient } from '../../agents/analysis/llm-client.ts';
import { DEFAULT_GUARD } from '../../agents/analysis/guard.ts';
import { DEFAULT_RULES } from '../../agents/analysis/rules.ts';
import { startOpenAiServer, step } from '../../tests/helpers/openai-server.ts';

const REPLY = { severity: 'medium', root_cause: 'bench', explanation: 'bench', evidence: [], recommended_actions: [] };

export async function main(argv: string[]): Promise<number> {
  const [scenario = 'memory-leak', ticksArg = '200', everyArg = '2'] = argv;
  const ticks = Number(ticksArg);
  const every = Number(everyArg);
  const dir = mkdtempSync(join(tmpdir(), 'analysis-dedup-'));
  const sim = await startSim({
    scenario,
    seed: 1,
    manualClock: true,
    kubeconfigOut: join(dir, 'kubeconfig'),
    startTime: '2026-11-25T00:00:00Z',
  });
  const server = await startOpenAiServer(
    { model: 'bench' },
    Array.from({ length: 1000 }, () => step.json(REPLY)),
  );
  try {
    const log = memoryLogger('bench');
    const llm = new LlmClient({
      baseURL: server.baseURL,
      model: 'bench',
      apiKey: 'bench',
      timeoutMs: 5000,
      maxRetries: 0,
      concurrency: 2,
      callsPerMinute: 10_000,
      maxRetryWaitMs: 1000,
      logger: log,
    });
    const reasons = new Map<string, number>();
    const engine = new AnalysisEngine({
      analysisFile: join(dir, 'pod_analysis.json'),
      clients: kubeClients(loadKubeConfig(sim.kubeconfigPath)),
      context: { logLines: 40, maxEvents: 5, timeoutMs: 5000 },
      analyser: { llm, guard: DEFAULT_GUARD, rules: DEFAULT_RULES, maskNames: false, logger: log },
      resolvedLimit: 50,
      llmRetryMs: 60_000,
      parallel: 4,
      logger: log,
      onAnalysis: (_a, why) => reasons.set(why.replace(/ → .*/, ' changed'), (reasons.get(why.replace(/ → .*/, ' changed')) ?? 0) + 1),
    });
    let cycles = 0;
    let podCycles = 0;
    for (let t = 1; t <= ticks; t++) {
      sim.tick(1);
      if (t % every !== 0) continue;
      const pods: PodInsight[] = [];
      for (const f of sim.cluster.faults()) {
        if (!f.active) continue;
        for (const pod of f.pods) {
          pods.push({
            namespace: f.namespace,
            pod,
            timestamp: sim.now().toISOString(),
            anomaly_probability: 0.9,
            predicted_anomaly: true,
            anomaly_type: 'unknown',
            contributing_metrics: [],
            since: f.startedAt.time,
          });
        }
      }
      const insights: PodInsights = {
        generated_at: sim.now().toISOString(),
        model: { name: 'truth', version: '0', trained_at: null, backend: 'none' },
        threshold: 0.7,
        rows_read: 0,
        rows_rejected: 0,
        pods,
      };
      await engine.cycle(insights);
      cycles++;
      podCycles += pods.length;
    }
    const lines = [
      `scenario ${scenario}, ${ticks} ticks, a cycle every ${every} ticks: ${cycles} cycles, ${podCycles} anomalous pod-cycles`,
      `LLM calls: ${llm.stats.calls} (${podCycles ? ((llm.stats.calls / podCycles) * 100).toFixed(1) : '0'}% of pod-cycles); analyses by reason: ${[...reasons].map(([k, v]) => `${k} ${v}`).join(', ')}`,
    ];
    process.stdout.write(lines.join('\n') + '\n');
    return 0;
  } finally {
    await server.close();
    await sim.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

runIfMain(import.meta.url, main);
