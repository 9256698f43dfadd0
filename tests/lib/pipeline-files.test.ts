// The pipeline's file names and where they go: the names are the contract between processes (a writer
// and a reader in different programs), so they are asserted literally here and nowhere else.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import {
  checkpointStateFileName,
  checkpointStatePrefix,
  childLogFile,
  defaultPipelineFile,
  heartbeatPath,
  isHeartbeatFileName,
  pipelineFile,
  pipelineFiles,
  PIPELINE_FILE_NAMES,
} from '../../lib/pipeline-files.ts';
import { archiveEarlierDemo } from '../../orchestrator/demo-reset.ts';
import { pipelineChildren, simChild, type PipelineOptions } from '../../orchestrator/child-specs.ts';
import { COLLECTOR_NODE_ARGS } from '../../collectors/node-args.ts';
import { AGENT_GLIBC_TUNABLES, AGENT_NODE_ARGS } from '../../agents/dataset-generator/node-args.ts';

void test('the pipeline file names', () => {
  assert.deepEqual(PIPELINE_FILE_NAMES, {
    metrics: 'pod_metrics.csv',
    insights: 'pod_insights.json',
    decisions: 'decisions',
    feedback: 'feedback.jsonl',
    alertRequests: 'alert_requests.jsonl',
    notifyState: '.notification-agent.state.json',
    analysis: 'pod_analysis.json',
    audit: 'remediation_history.jsonl',
    datasetCheckpoint: '.dataset-agent.checkpoint.json',
    analysisState: '.anomaly-detection-state.json',
    simKubeconfig: 'sim-kubeconfig',
    lock: '.run-monitoring.lock',
    status: '.run-monitoring-status.json',
  });
  assert.equal(defaultPipelineFile('metrics'), 'data/pod_metrics.csv');
  assert.equal(pipelineFile('/d', 'audit'), '/d/remediation_history.jsonl');
});

void test('pipelineFiles resolves the data directory and keeps a CSV given elsewhere', () => {
  assert.deepEqual(pipelineFiles('rel'), {
    csv: resolve('rel/pod_metrics.csv'),
    insights: resolve('rel/pod_insights.json'),
    analysis: resolve('rel/pod_analysis.json'),
    audit: resolve('rel/remediation_history.jsonl'),
  });
  assert.equal(pipelineFiles('/d', '/elsewhere/m.csv').csv, '/elsewhere/m.csv');
});

void test("heartbeats sit beside their writer's output", () => {
  assert.equal(heartbeatPath('/d/pod_metrics.csv', 'dataset-generator'), '/d/.heartbeat-dataset-generator.json');
  assert.equal(heartbeatPath('x/pod_analysis.json', 'anomaly-detection-agent'), 'x/.heartbeat-anomaly-detection-agent.json');
  assert.ok(isHeartbeatFileName('.heartbeat-dataset-generator-agent.json'));
  assert.ok(!isHeartbeatFileName('heartbeat-x.json'));
  assert.ok(!isHeartbeatFileName('.heartbeat-.json'));
});

void test('checkpoint state files are named after their checkpoint', () => {
  const name = checkpointStateFileName('/d/.dataset-agent.checkpoint.json', 42, 3, 'bin', 1000);
  assert.equal(name, '.dataset-agent.checkpoint.json.state-1000-42-3.bin');
  assert.ok(name.startsWith(checkpointStatePrefix('/d/.dataset-agent.checkpoint.json')));
  assert.equal(childLogFile('/logs', 'podsentinel-sim'), '/logs/podsentinel-sim.out.log');
});

void test("run-monitoring hands its children the module's paths", () => {
  const dir = '/data';
  const o: PipelineOptions = {
    root: '/root',
    mode: 'all',
    dataDir: dir,
    logDir: '/logs',
    logLevel: 'info',
    outputFile: join(dir, 'pod_metrics.csv'),
    source: 'k8s',
    namespace: undefined,
    kubeconfig: undefined,
    prometheusUrl: undefined,
    generatorInterval: 5,
    watchInterval: 10,
    alertThreshold: 0.7,
    noLlm: true,
    scoresFile: undefined,
  };
  const [collector, agent, analysis] = pipelineChildren(o);
  assert.equal(collector!.heartbeat, heartbeatPath(pipelineFile(dir, 'metrics'), 'dataset-generator'));
  assert.equal(agent!.heartbeat, heartbeatPath(pipelineFile(dir, 'insights'), 'dataset-generator-agent'));
  assert.equal(analysis!.heartbeat, heartbeatPath(pipelineFile(dir, 'analysis'), 'anomaly-detection-agent'));
  const args = agent!.spec.args;
  assert.equal(args[args.indexOf('--checkpoint-file') + 1], pipelineFile(dir, 'datasetCheckpoint'));
  // The collector and the scoring agent start with their V8 settings (measured: docs/BENCHMARKS.md).
  assert.deepEqual(collector!.spec.nodeArgs, COLLECTOR_NODE_ARGS);
  assert.deepEqual(agent!.spec.nodeArgs, AGENT_NODE_ARGS);
  for (const [k, v] of Object.entries(AGENT_GLIBC_TUNABLES)) assert.ok(agent!.spec.env?.GLIBC_TUNABLES?.split(':').includes(`${k}=${v}`));
  assert.equal(
    simChild({ root: '/root', dataDir: dir, logDir: '/logs', scenario: 'demo', speed: 5, seed: undefined }).kubeconfigOut,
    pipelineFile(dir, 'simKubeconfig'),
  );
});

void test('a demo reset moves every pipeline file, heartbeat and state file, and leaves other files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'podsentinel-files-'));
  const moved = [
    PIPELINE_FILE_NAMES.metrics,
    PIPELINE_FILE_NAMES.insights,
    PIPELINE_FILE_NAMES.analysis,
    PIPELINE_FILE_NAMES.audit,
    PIPELINE_FILE_NAMES.datasetCheckpoint,
    PIPELINE_FILE_NAMES.analysisState,
    PIPELINE_FILE_NAMES.simKubeconfig,
    '.heartbeat-dataset-generator.json',
    checkpointStateFileName(PIPELINE_FILE_NAMES.datasetCheckpoint, 1, 0, 'bin'),
  ];
  for (const n of [...moved, 'notes.txt']) writeFileSync(join(dir, n), 'x');
  const archive = archiveEarlierDemo(dir);
  assert.ok(archive);
  assert.deepEqual(readdirSync(archive).sort(), moved.sort());
  assert.deepEqual(readdirSync(dir).sort(), ['demo-archive', 'notes.txt']);
});
