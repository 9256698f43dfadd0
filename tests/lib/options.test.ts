// Shared options declared once: defaults and range checks, the deprecated --watch-interval name, empty
// numbers as usage errors from every source, and run-monitoring's child command lines built from (and
// accepted by) each command's own declarations.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Options } from 'yargs';
import { cli, UsageError } from '../../lib/cli.ts';
import { checkUnitInterval, COMMON_OPTIONS, DEFAULT_ALERT_THRESHOLD, DEFAULT_CONFIDENCE_THRESHOLD, toArgv } from '../../lib/options.ts';
import { DATASET_AGENT_OPTIONS, datasetAgentArgv } from '../../agents/dataset-generator/options.ts';
import { ANOMALY_AGENT_OPTIONS } from '../../agents/analysis/options.ts';
import { COLLECTOR_OPTIONS } from '../../collectors/options.ts';
import { REMEDIATION_OPTIONS } from '../../remediation/options.ts';
import { pipelineChildren, remediationStepArgv, type PipelineOptions } from '../../orchestrator/child-specs.ts';
import { pipelineFiles } from '../../lib/pipeline-files.ts';
import { configFrom } from '../../run-monitoring.ts';

const tmp = () => mkdtempSync(join(tmpdir(), 'podsentinel-opts-'));

/** Parses argv as `command` would (shared precedence and checks), with `env` set for the parse only. */
function parseWith(command: string, options: Record<string, Options>, argv: string[], env: Record<string, string> = {}) {
  const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  Object.assign(process.env, env);
  try {
    return cli(command, argv, 'test').options(options).parseSync() as Record<string, unknown>;
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

void test('the thresholds have one default and one range check', () => {
  assert.equal(DATASET_AGENT_OPTIONS['alert-threshold'].default, DEFAULT_ALERT_THRESHOLD);
  assert.equal(REMEDIATION_OPTIONS['confidence-threshold'].default, DEFAULT_CONFIDENCE_THRESHOLD);
  const monitoring = configFrom(['--data-dir', tmp()])!;
  assert.equal(monitoring.alertThreshold, DEFAULT_ALERT_THRESHOLD);
  assert.equal(monitoring.confidenceThreshold, DEFAULT_CONFIDENCE_THRESHOLD);
  assert.throws(
    () => checkUnitInterval('alert-threshold', 1.5),
    (e) => e instanceof UsageError && e.message === '--alert-threshold must be between 0 and 1 (got 1.5)',
  );
  assert.throws(() => configFrom(['--confidence-threshold', '-1']), /--confidence-threshold must be between 0 and 1 \(got -1\)/);
});

void test('--interval is the cycle of every command; --watch-interval still works, from every source', () => {
  const cmd = 'dataset-generator-agent';
  assert.equal(parseWith(cmd, DATASET_AGENT_OPTIONS, []).interval, 10);
  assert.equal(parseWith(cmd, DATASET_AGENT_OPTIONS, ['--interval', '3']).interval, 3);
  assert.equal(parseWith(cmd, DATASET_AGENT_OPTIONS, ['--watch-interval', '4']).interval, 4);
  assert.equal(parseWith(cmd, DATASET_AGENT_OPTIONS, [], { PODSENTINEL_WATCH_INTERVAL: '5' }).interval, 5);
  const cfg = join(tmp(), 'podsentinel.json');
  writeFileSync(cfg, JSON.stringify({ [cmd]: { 'watch-interval': 6 } }));
  assert.equal(parseWith(cmd, DATASET_AGENT_OPTIONS, ['--config', cfg]).interval, 6);
  for (const options of [ANOMALY_AGENT_OPTIONS, COLLECTOR_OPTIONS]) assert.equal(options.interval.type, 'number');
});

void test('an empty number is a usage error, from a flag, the environment or the config file', () => {
  const cmd = 'dataset-generator-agent';
  const usage = (argv: string[], env?: Record<string, string>) =>
    assert.throws(() => parseWith(cmd, DATASET_AGENT_OPTIONS, argv, env), UsageError);
  usage(['--alert-threshold', '']);
  usage(['--alert-threshold=']);
  usage(['--watch-interval', ' ']);
  usage(['--forget-after', 'soon']);
  usage([], { PODSENTINEL_ALERT_THRESHOLD: '' });
  const cfg = join(tmp(), 'podsentinel.json');
  writeFileSync(cfg, JSON.stringify({ common: { 'alert-threshold': '' } }));
  usage(['--config', cfg]);
  // The winning source decides: a flag over an empty environment variable is fine.
  assert.equal(
    parseWith(cmd, DATASET_AGENT_OPTIONS, ['--alert-threshold', '0.5'], { PODSENTINEL_ALERT_THRESHOLD: '' })['alert-threshold'],
    0.5,
  );
  assert.equal(parseWith(cmd, DATASET_AGENT_OPTIONS, ['--alert-threshold', '0'])['alert-threshold'], 0);
});

void test("another command's PODSENTINEL_* variable or a secret one is not an unknown argument; an unknown flag still is", () => {
  const cmd = 'dataset-generator-agent';
  const env = { PODSENTINEL_API_TOKEN: 's3cret', PODSENTINEL_CONFIDENCE_THRESHOLD: '0.4', PODSENTINEL_ALERT_THRESHOLD: '0.6' };
  const parsed = parseWith(cmd, DATASET_AGENT_OPTIONS, [], env);
  assert.equal(parsed['alert-threshold'], 0.6, 'its own variables still apply');
  assert.equal(parsed.apiToken, undefined);
  assert.equal(parsed['confidence-threshold'], undefined);
  assert.throws(() => parseWith(cmd, DATASET_AGENT_OPTIONS, ['--api-token', 'x'], env), UsageError);
});

void test('run-monitoring exits 2 on an empty --alert-threshold and an empty PODSENTINEL_ALERT_THRESHOLD', () => {
  const dir = tmp();
  const run = (args: string[], env: Record<string, string> = {}) =>
    spawnSync(
      process.execPath,
      ['--import', 'tsx', resolve('run-monitoring.ts'), '--data-dir', join(dir, 'data'), '--log-dir', join(dir, 'logs'), ...args],
      {
        encoding: 'utf8',
        env: { ...process.env, ...env },
      },
    );
  const flag = run(['--alert-threshold', '']);
  assert.equal(flag.status, 2, flag.stderr);
  assert.match(flag.stderr, /--alert-threshold needs a number \(got an empty value\)/);
  const env = run([], { PODSENTINEL_ALERT_THRESHOLD: '' });
  assert.equal(env.status, 2, env.stderr);
  assert.match(env.stderr, /PODSENTINEL_ALERT_THRESHOLD is empty/);
});

void test('toArgv writes typed values as flags, in order, and refuses names the command does not declare', () => {
  const declared = { n: { type: 'number' }, on: { type: 'boolean' }, list: { type: 'string', array: true } } as const;
  assert.deepEqual(toArgv(declared, { n: 2, on: false, list: ['a', 'b'] }), ['--n', '2', '--no-on', '--list', 'a', '--list', 'b']);
  assert.deepEqual(toArgv(declared, { on: true, n: undefined }), ['--on']);
  assert.throws(() => toArgv(declared, { other: 1 } as never), /--other is not an option/);
});

void test('the command lines run-monitoring builds parse back, strictly, to the same values', () => {
  const dir = tmp();
  const o: PipelineOptions = {
    root: '/root',
    mode: 'all',
    dataDir: dir,
    logDir: join(dir, 'logs'),
    logLevel: 'debug',
    outputFile: join(dir, 'm.csv'),
    source: 'prometheus',
    namespace: undefined,
    kubeconfig: join(dir, 'kc'),
    prometheusUrl: 'http://p:9090',
    generatorInterval: 2,
    watchInterval: 3,
    alertThreshold: 0.6,
    noLlm: true,
    llmModel: 'm',
    llmBaseUrl: 'http://llm',
    scoresFile: join(dir, 's.csv'),
  };
  const [collector, agent, analysis] = pipelineChildren(o).map((c) => c.spec.args);
  const files = pipelineFiles(dir, o.outputFile);
  const c = parseWith('dataset-generator', COLLECTOR_OPTIONS, collector!);
  assert.deepEqual(
    [c.source, c.interval, c['output-file'], c['all-namespaces'], c['prometheus-url'], c['log-level']],
    ['prometheus', 2, files.csv, true, 'http://p:9090', 'debug'],
  );
  const d = parseWith('dataset-generator-agent', DATASET_AGENT_OPTIONS, agent!);
  assert.deepEqual([d.interval, d['alert-threshold'], d['insights-file'], d['scores-file']], [3, 0.6, files.insights, o.scoresFile]);
  const a = parseWith('anomaly-detection-agent', ANOMALY_AGENT_OPTIONS, analysis!);
  assert.deepEqual([a.interval, a.llm, a['llm-model'], a['llm-base-url'], a.kubeconfig], [3, false, 'm', 'http://llm', o.kubeconfig]);
  const step = remediationStepArgv({ ...o, confidenceThreshold: 0.8, verifyDelay: 20, dryRun: true }, files);
  const r = parseWith('run-remediation', REMEDIATION_OPTIONS, step);
  assert.deepEqual(
    [r.once, r['confidence-threshold'], r['verify-delay'], r['dry-run'], r['audit-file'], r['data-dir']],
    [true, 0.8, 20, true, files.audit, resolve(dir)],
  );
  // --shard-group and its settings reach the collector.
  const [sharded] = pipelineChildren({ ...o, shard: { group: 'g', identity: 'r-1', namespace: 'mon', leaseDuration: 12 } }).map(
    (ch) => ch.spec.args,
  );
  const sc = parseWith('dataset-generator', COLLECTOR_OPTIONS, sharded!);
  assert.deepEqual([sc['shard-group'], sc['shard-identity'], sc['shard-namespace'], sc['lease-duration']], ['g', 'r-1', 'mon', 12]);
  // The dataset agent's own builder covers the common options too.
  assert.deepEqual(datasetAgentArgv({ 'log-level': COMMON_OPTIONS['log-level'].default }), ['--log-level', 'info']);
});

void test('a single-valued option given twice takes its last value; a repeatable one keeps every value', () => {
  const a = parseWith('anomaly-detection-agent', ANOMALY_AGENT_OPTIONS, [
    '--input-file',
    'a.csv',
    '--input-file',
    'b.csv',
    '--max-replicas',
    '5',
    '--max-replicas',
    '7',
    '--protected-namespace',
    'x',
    '--protected-namespace',
    'y',
  ]);
  assert.equal(a['input-file'], 'b.csv');
  assert.equal(a.inputFile, 'b.csv');
  assert.equal(a['max-replicas'], 7);
  assert.deepEqual(a['protected-namespace'], ['x', 'y']);
  assert.deepEqual(a.protectedNamespace, ['x', 'y']);
});

void test('a config file that is not an object of sections, and --speed 0, are usage errors that name the culprit', () => {
  const dir = tmp();
  for (const [text, want] of [
    ['null', /must hold a JSON object/],
    ['[1, 2]', /must hold a JSON object/],
    ['{"common": 3}', /common/],
  ] as const) {
    const file = join(dir, 'c.json');
    writeFileSync(file, text);
    assert.throws(
      () => parseWith('anomaly-detection-agent', ANOMALY_AGENT_OPTIONS, ['--config', file]),
      (e: unknown) => e instanceof UsageError && want.test(e.message),
    );
  }
  assert.throws(
    () => configFrom(['--demo', '--speed', '0']),
    (e: unknown) => e instanceof UsageError && /--speed/.test(e.message) && !/Infinity/.test(e.message),
  );
});
