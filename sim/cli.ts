// podsentinel-sim: the simulated Kubernetes cluster as a command. Prints one ready line with the API
// URL, the metrics URL and the kubeconfig path, then runs until SIGINT/SIGTERM/SIGHUP (or, under
// run-monitoring, until run-monitoring is gone: lib/exit-with-parent.ts). It starts no processes.
import { cli, helpShown, runIfMain, UsageError } from '../lib/cli.ts';
import { createLogger, type Level } from '../lib/log.ts';
import { scenarioNames, startSim } from './index.ts';

export async function main(argv: string[]): Promise<number | void> {
  const parser = cli(
    'podsentinel-sim',
    argv,
    'A simulated Kubernetes cluster on loopback: HTTPS API (generated CA, bearer token) with pods, nodes, events, ' +
      'deployments, PDBs, evictions and metrics.k8s.io, plus Prometheus /metrics (cAdvisor + kube-state-metrics) on plain HTTP. ' +
      'Writes a kubeconfig that kubectl and @kubernetes/client-node use unchanged.',
  )
    .option('port', { type: 'number', default: 0, describe: 'HTTPS API port (0 = a free port)' })
    .option('metrics-port', { type: 'number', default: 0, describe: 'Plain-HTTP Prometheus /metrics port (0 = a free port)' })
    .option('host', { type: 'string', default: '127.0.0.1', describe: 'Address to listen on' })
    .option('kubeconfig-out', { type: 'string', describe: 'Where to write the kubeconfig (default: a temp file)' })
    .option('scenario', {
      type: 'string',
      default: 'demo',
      describe: `Scenario name (${scenarioNames().join(', ')}) or path to a JSON file`,
    })
    .option('seed', { type: 'number', default: 1, describe: 'Random seed: same seed and scenario give the same series' })
    .option('speed', { type: 'number', default: 1, describe: 'Time acceleration: one tick every tick-seconds/speed real seconds' })
    .option('tick-seconds', { type: 'number', default: 5, describe: 'Simulated seconds per tick' })
    .option('truth-out', { type: 'string', describe: 'Write ground truth JSON (injected faults, first OOM kill...) here after every tick' })
    .option('pods', { type: 'number', describe: 'Scale the scenario to about this many pods (benchmarks: 1000, 10000)' })
    .option('rbac-rules', {
      type: 'string',
      describe:
        'Enforce RBAC: a YAML file of Roles/ClusterRoles and their bindings (e.g. kubectl kustomize deploy/overlays/default); denied requests get 403',
    })
    .option('start-time', { type: 'string', describe: 'Simulated time of tick 0, ISO 8601 (default: now, rounded down to a tick)' });
  const args = await parser.parseAsync();
  if (helpShown(argv)) return 0;
  for (const k of ['port', 'metrics-port'] as const) {
    const v = args[k];
    if (!Number.isInteger(v) || v < 0 || v > 65535) throw new UsageError(`--${k} must be a port number (got ${String(v)})`);
  }
  if (!(args.speed > 0)) throw new UsageError(`--speed must be positive (got ${args.speed})`);
  if (!(args['tick-seconds'] > 0)) throw new UsageError(`--tick-seconds must be positive (got ${args['tick-seconds']})`);
  if (args.pods !== undefined && !(Number.isInteger(args.pods) && args.pods > 0))
    throw new UsageError(`--pods must be a positive integer (got ${args.pods})`);
  const startTime = args['start-time'];
  if (startTime !== undefined && Number.isNaN(new Date(startTime).getTime()))
    throw new UsageError(`--start-time must be an ISO 8601 time (got ${startTime})`);
  const log = createLogger('podsentinel-sim', { dir: args['log-dir'] as string | undefined, level: args['log-level'] as Level });

  let sim;
  try {
    sim = await startSim({
      host: args.host,
      port: args.port,
      metricsPort: args['metrics-port'],
      ...(args['kubeconfig-out'] ? { kubeconfigOut: args['kubeconfig-out'] } : {}),
      scenario: args.scenario,
      seed: args.seed,
      speed: args.speed,
      tickSeconds: args['tick-seconds'],
      ...(args['truth-out'] ? { truthOut: args['truth-out'] } : {}),
      ...(args.pods !== undefined ? { pods: args.pods } : {}),
      ...(startTime !== undefined ? { startTime } : {}),
      ...(args['rbac-rules'] ? { rbac: args['rbac-rules'] } : {}),
    });
  } catch (err) {
    const msg = (err as Error).message;
    if (
      /scenario|pods must|EADDRINUSE|EACCES|ENOENT|RoleBinding|ClusterRole|YAML|Invalid/.test(msg) ||
      (err as { code?: string }).code === 'EADDRINUSE'
    )
      throw new UsageError(msg);
    throw err;
  }
  log.info('simulated cluster started', {
    scenario: args.scenario,
    seed: args.seed,
    speed: args.speed,
    tickSeconds: args['tick-seconds'],
    pods: sim.cluster.pods().length,
  });
  process.stdout.write(`podsentinel-sim ready api=${sim.apiUrl} metrics=${sim.metricsUrl} kubeconfig=${sim.kubeconfigPath}\n`);

  // The server sockets keep the process alive; the tick timer is unref'd. Stop on a signal.
  const keepAlive = setInterval(() => {}, 1 << 30);
  await new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      log.info('stopping', { signal, tick: sim.cluster.tickCount });
      resolve();
    };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGHUP', () => stop('SIGHUP')); // its terminal closed
  });
  clearInterval(keepAlive);
  await sim.close();
  return 0;
}

runIfMain(import.meta.url, main);
