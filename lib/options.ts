// Options that several commands share, declared once (name, type, default, range check and its wording),
// and the typed way back from options to a command line: run-monitoring builds its children's argv from
// each command's own declarations, so a renamed or retyped flag fails `tsc`, not a child at run time.
import type { InferredOptionTypes, Options } from 'yargs';
import { DEFAULT_DATA_DIR, DEFAULT_LOG_DIR } from './pipeline-files.ts';
import { UsageError } from './usage-error.ts';

export const DEFAULT_ALERT_THRESHOLD = 0.7;
export const DEFAULT_CONFIDENCE_THRESHOLD = 0.7;
export const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Options every command has; lib/cli.ts declares them (--config's help names the command's section). */
export const COMMON_OPTIONS = {
  config: { type: 'string', describe: 'JSON config file' },
  'log-dir': { type: 'string', default: DEFAULT_LOG_DIR, describe: 'Directory for structured JSON logs' },
  'log-level': { choices: LOG_LEVELS, default: 'info' as LogLevel },
} as const satisfies Record<string, Options>;

/** The score at which a pod becomes anomalous; the help line is the command's own. */
export function alertThresholdOption(describe: string) {
  return { type: 'number', default: DEFAULT_ALERT_THRESHOLD, describe } as const satisfies Options;
}

/** Analyses below this anomaly probability are not offered for remediation. */
export function confidenceThresholdOption(describe: string) {
  return { type: 'number', default: DEFAULT_CONFIDENCE_THRESHOLD, describe } as const satisfies Options;
}

export const dataDirOption = {
  type: 'string',
  default: DEFAULT_DATA_DIR,
  describe: 'Directory of the pipeline files',
} as const satisfies Options;

/**
 * A command's cycle, always --interval (seconds). The dataset agent called it --watch-interval: that
 * name stays as a deprecated alias, so existing command lines, PODSENTINEL_WATCH_INTERVAL and config
 * files keep working.
 */
export function intervalOption(seconds: number, describe: string) {
  return { type: 'number', default: seconds, describe } as const satisfies Options;
}
export const DEPRECATED_INTERVAL_ALIAS = 'watch-interval';
export function intervalOptionWithAlias(seconds: number, describe: string) {
  return {
    type: 'number',
    default: seconds,
    alias: DEPRECATED_INTERVAL_ALIAS,
    describe: `${describe} (--${DEPRECATED_INTERVAL_ALIAS} is a deprecated name for it)`,
  } as const satisfies Options;
}

/** Where a long-running command serves GET /metrics (lib/metrics-server.ts); loopback unless asked. */
export const DEFAULT_METRICS_HOST = '127.0.0.1';

/** The options of every long-running command (collector, agents, servers, run-monitoring); check with checkMetricsPort. */
export const METRICS_OPTIONS = {
  'metrics-port': {
    type: 'number',
    describe: 'Serve Prometheus metrics at http://<metrics-host>:<port>/metrics (0 picks a free port; default: not served)',
  },
  'metrics-host': { type: 'string', default: DEFAULT_METRICS_HOST, describe: 'Address --metrics-port binds to' },
} as const satisfies Record<string, Options>;

/**
 * Replicas that split the cluster (lib/shard-membership.ts): the collector keeps its shard's workloads,
 * run-remediation acts only on pods its replica owns at the moment of acting.
 */
export const SHARD_OPTIONS = {
  'shard-group': {
    type: 'string',
    describe:
      'Split the cluster with the other replicas of this group: each handles only the workloads the membership Leases (coordination.k8s.io) assign to it',
  },
  'shard-identity': { type: 'string', describe: "This replica's name in --shard-group (default: the hostname, a StatefulSet pod's name)" },
  'shard-namespace': {
    type: 'string',
    describe: "Namespace of the membership Leases (default: the service account's namespace in a cluster, else default)",
  },
  'lease-duration': {
    type: 'number',
    default: 15,
    describe: 'Seconds a replica that stopped renewing keeps its shard before the others take it over (renewed every third of it)',
  },
} as const satisfies Record<string, Options>;

// ---- Range checks, one wording each ----

/** A threshold on a probability: 0..1. */
export function checkUnitInterval(name: string, v: number): number {
  if (!(v >= 0 && v <= 1)) throw new UsageError(`--${name} must be between 0 and 1 (got ${v})`);
  return v;
}

export function checkPositive(name: string, v: number): number {
  if (!(Number.isFinite(v) && v > 0)) throw new UsageError(`--${name} must be a positive number (got ${v})`);
  return v;
}

export function checkNonNegative(name: string, v: number): number {
  if (!(Number.isFinite(v) && v >= 0)) throw new UsageError(`--${name} must be a number >= 0 (got ${v})`);
  return v;
}

/** A TCP port to listen on (0: any free port); undefined passes. */
export function checkMetricsPort(v: number | undefined): number | undefined {
  if (v !== undefined && !(Number.isInteger(v) && v >= 0 && v <= 65535))
    throw new UsageError(`--metrics-port must be a port number 0..65535 (got ${v})`);
  return v;
}

// ---- Empty values ----

/** The parts of yargs' parser options the empty-value check reads. */
interface DeclaredOptions {
  number?: string[];
  alias?: Record<string, string[]>;
}

const isBlank = (v: unknown): boolean => typeof v === 'string' && v.trim() === '';
const isNumeric = (v: string): boolean => v.trim() !== '' && Number.isFinite(Number(v));
const envName = (prefix: string, key: string) => `${prefix}_${key.replace(/-/g, '_').toUpperCase()}`;

/**
 * yargs reads an empty number (`--alert-threshold ""`, `--alert-threshold=`, PODSENTINEL_ALERT_THRESHOLD=,
 * "alert-threshold": "" in the config file) as 0, and text as NaN; both are usage errors instead. For an
 * empty value, the source that wins under the precedence (flags > environment > config file) is checked.
 */
export function rejectEmptyNumbers(
  declared: DeclaredOptions,
  sources: {
    argv: readonly string[];
    env: NodeJS.ProcessEnv;
    envPrefix: string;
    config: Record<string, unknown>;
    parsed: Record<string, unknown>;
  },
): void {
  for (const key of declared.number ?? []) {
    const names = [key, ...(declared.alias?.[key] ?? [])].filter((n) => n.length > 1 && !/[A-Z]/.test(n));
    let fromArgv: { name: string; value: string } | undefined;
    for (let i = 0; i < sources.argv.length; i++) {
      const a = sources.argv[i]!;
      for (const name of names) {
        if (a === `--${name}`) fromArgv = { name, value: sources.argv[i + 1] ?? '' };
        else if (a.startsWith(`--${name}=`)) fromArgv = { name, value: a.slice(name.length + 3) };
      }
    }
    const fromEnv = names
      .map((n) => ({ name: envName(sources.envPrefix, n), value: sources.env[envName(sources.envPrefix, n)] }))
      .find((e) => e.value !== undefined);
    const fromConfig = names.map((n) => ({ name: n, value: sources.config[n] })).find((c) => c.value !== undefined);
    if (fromArgv) {
      if (isBlank(fromArgv.value)) throw new UsageError(`--${fromArgv.name} needs a number (got an empty value)`);
      // "--x -" or "--x --other": yargs leaves x unset and the default would be used without a word.
      if (fromArgv.value.startsWith('-') && !isNumeric(fromArgv.value))
        throw new UsageError(`--${fromArgv.name} needs a number (got "${fromArgv.value}")`);
    } else if (fromEnv) {
      if (isBlank(fromEnv.value)) throw new UsageError(`--${key} needs a number (${fromEnv.name} is empty)`);
    } else if (fromConfig) {
      const v = fromConfig.value;
      if (isBlank(v)) throw new UsageError(`--${key} needs a number ("${fromConfig.name}" is empty in the config file)`);
      // yargs would read true/false/null as 1/0 and pass an array through.
      if (typeof v !== 'number' && typeof v !== 'string')
        throw new UsageError(`--${key} needs a number ("${fromConfig.name}" is ${JSON.stringify(v)} in the config file)`);
    }
    const v = sources.parsed[key];
    if (typeof v === 'number' && Number.isNaN(v)) throw new UsageError(`--${key} needs a number`);
  }
}

// ---- Options back to a command line ----

/** The values a command line can carry for these declarations (all optional: unset means the default). */
export type ArgvValues<O extends Record<string, Options>> = {
  [K in keyof O]?: InferredOptionTypes<O>[K] | undefined;
};

/**
 * A command line from option values, in the order given: `--name value`; booleans as `--name` or
 * `--no-name`; arrays repeat the flag; undefined is left out. Typed by the command's declarations.
 */
export function toArgv<O extends Record<string, Options>>(declared: O, values: ArgvValues<O>): string[] {
  const out: string[] = [];
  for (const [name, v] of Object.entries(values)) {
    if (v === undefined || v === null) continue;
    if (!Object.hasOwn(declared, name)) throw new Error(`--${name} is not an option of this command`);
    if (typeof v === 'boolean') out.push(v ? `--${name}` : `--no-${name}`);
    else if (Array.isArray(v)) for (const item of v as unknown[]) out.push(`--${name}`, String(item));
    else out.push(`--${name}`, String(v));
  }
  return out;
}
