// Scenario files (sim/scenarios/<name>.json): nodes, workloads with their normal behaviour, faults
// injected at chosen ticks, and scheduled churn. Validated with zod; see sim/README.md for the fields.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';

export const FAULT_KINDS = ['cpu_exhaustion', 'memory_leak', 'crash_loop', 'network_drops', 'io_pressure', 'cpu_creep'] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export const LOG_PROFILES = ['web', 'java', 'db', 'dns', 'worker', 'metrics'] as const;
export type LogProfile = (typeof LOG_PROFILES)[number];

const name = z
  .string()
  .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'a DNS-1123 label (lower case, digits, "-")')
  .max(63);

export const NodeSpecSchema = z.object({
  name,
  cpuCores: z.number().positive().default(8),
  memoryGiB: z.number().positive().default(32),
  zone: z.string().optional(),
});

export const WORKLOAD_KINDS = ['Deployment', 'StatefulSet', 'DaemonSet'] as const;
export type WorkloadKind = (typeof WORKLOAD_KINDS)[number];

export const WorkloadSchema = z.object({
  /** The controller: a Deployment (pods via a ReplicaSet), a StatefulSet (pods <name>-<ordinal>) or a DaemonSet (one pod per node; replicas ignored). */
  kind: z.enum(WORKLOAD_KINDS).default('Deployment'),
  namespace: name,
  name,
  replicas: z.number().int().min(0).default(2),
  container: name.optional(),
  image: z.string().min(1),
  profile: z.enum(LOG_PROFILES).default('web'),
  labels: z.record(z.string(), z.string()).default({}),
  cpu: z.object({
    /** Mean usage of one pod at the initial replica count, in cores. */
    baseCores: z.number().positive(),
    /** Relative amplitude of the daily-style cycle (0.3 = ±30%). */
    dailyAmplitude: z.number().min(0).max(1).default(0.3),
    /** Relative standard deviation of per-tick noise. */
    noise: z.number().min(0).max(2).default(0.08),
    requestCores: z.number().positive().optional(),
    limitCores: z.number().positive(),
  }),
  memory: z.object({
    baseMiB: z.number().positive(),
    requestMiB: z.number().positive().optional(),
    limitMiB: z.number().positive(),
    /** Garbage-collection sawtooth: grows this much over gcPeriodTicks, then drops back. */
    gcSawtoothMiB: z.number().min(0).default(0),
    gcPeriodTicks: z.number().int().min(2).default(12),
    noise: z.number().min(0).max(1).default(0.02),
  }),
  network: z
    .object({ rxBytesPerSec: z.number().min(0).default(50_000), txBytesPerSec: z.number().min(0).default(40_000) })
    .default({ rxBytesPerSec: 50_000, txBytesPerSec: 40_000 }),
  fs: z
    .object({ readBytesPerSec: z.number().min(0).default(2_000), writeBytesPerSec: z.number().min(0).default(8_000) })
    .default({ readBytesPerSec: 2_000, writeBytesPerSec: 8_000 }),
  /**
   * Ephemeral storage (writable layer and logs) of a container: in use when it starts, written per tick and
   * never rotated (a log filling the disk), and the container's ephemeral-storage limit (none when absent).
   * The sim does not evict at the limit: usage stops growing there.
   */
  storage: z
    .object({
      usedMiB: z.number().min(0).default(16),
      growthMiBPerTick: z.number().min(0).default(0),
      limitMiB: z.number().positive().optional(),
    })
    .default({ usedMiB: 16, growthMiBPerTick: 0 }),
  /** Probability per pod per tick of a benign one-tick burst (CPU ×2-3, network ×1.5). */
  burstProbability: z.number().min(0).max(1).default(0.01),
  /** PodDisruptionBudget for this workload (one of the two). */
  pdb: z
    .object({
      minAvailable: z.union([z.number().int().min(0), z.string()]).optional(),
      maxUnavailable: z.union([z.number().int().min(0), z.string()]).optional(),
    })
    .refine((p) => (p.minAvailable === undefined) !== (p.maxUnavailable === undefined), 'set exactly one of minAvailable, maxUnavailable')
    .optional(),
});

export const FaultSpecSchema = z.object({
  kind: z.enum(FAULT_KINDS),
  namespace: name,
  deployment: name,
  /** Which pod of the deployment (0 = oldest) when the fault starts; pod scope only. */
  replica: z.number().int().min(0).default(0),
  startTick: z.number().int().min(0),
  /** Optional end: the fault stops by itself at this tick. */
  endTick: z.number().int().min(0).optional(),
  /** pod: one pod (gone when the pod is replaced); deployment: every pod of the deployment. */
  scope: z.enum(['pod', 'deployment']).default('pod'),
  /** What clears a deployment-scope fault: a new pod template, a new image, or nothing. */
  clearedBy: z.enum(['template-change', 'image-change', 'never']).optional(),
  // memory_leak
  leakMiBPerTick: z.number().positive().optional(),
  /** When leakMiBPerTick is absent: reach the memory limit this many ticks after the start. */
  oomAfterTicks: z.number().int().positive().default(80),
  /** Working set at which the leak stops growing (default 1.6 × the limit at the start). */
  plateauMiB: z.number().positive().optional(),
  // cpu_creep
  coresPerTick: z.number().positive().default(0.01),
  // cpu_exhaustion (deployment scope): total demand over the deployment, in cores
  demandCores: z.number().positive().optional(),
  // network_drops
  dropsPerSec: z.number().positive().default(120),
  throughputFactor: z.number().min(0).max(1).default(0.3),
  // io_pressure
  ioFactor: z.number().min(1).default(40),
});

export const ChurnSchema = z.object({
  tick: z.number().int().min(1),
  /** Repeat every N ticks after `tick`. */
  every: z.number().int().min(1).optional(),
  namespace: name,
  deployment: name,
  action: z.enum(['rollout', 'scale']),
  /** For scale: the new replica count. */
  replicas: z.number().int().min(0).optional(),
});

export const ScenarioSchema = z.object({
  name: z.string().min(1),
  description: z.string().default(''),
  /** Length of the daily-style cycle in ticks (720 × 5 s = one hour: a "day" compressed). */
  dayPeriodTicks: z.number().int().min(2).default(720),
  nodes: z.array(NodeSpecSchema).min(1),
  workloads: z.array(WorkloadSchema).min(1),
  faults: z.array(FaultSpecSchema).default([]),
  churn: z.array(ChurnSchema).default([]),
});

export type NodeSpec = z.infer<typeof NodeSpecSchema>;
export type Workload = z.infer<typeof WorkloadSchema>;
export type FaultSpec = z.infer<typeof FaultSpecSchema>;
export type ChurnSpec = z.infer<typeof ChurnSchema>;
export type Scenario = z.infer<typeof ScenarioSchema>;

export const SCENARIO_DIR = join(dirname(fileURLToPath(import.meta.url)), 'scenarios');

export function scenarioNames(): string[] {
  return readdirSync(SCENARIO_DIR)
    .filter((f) => f.endsWith('.json'))
    .map((f) => f.replace(/\.json$/, ''))
    .sort();
}

/** Parses and checks a scenario; the error names the field at fault. */
export function parseScenario(data: unknown, source: string): Scenario {
  const r = ScenarioSchema.safeParse(data);
  if (!r.success) {
    const issues = r.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    throw new Error(`invalid scenario ${source}: ${issues}`);
  }
  const s = r.data;
  const keys = new Set<string>();
  for (const w of s.workloads) {
    const key = `${w.namespace}/${w.name}`;
    if (keys.has(key)) throw new Error(`invalid scenario ${source}: workload ${key} appears twice`);
    keys.add(key);
  }
  for (const f of [...s.faults, ...s.churn]) {
    const key = `${f.namespace}/${f.deployment}`;
    if (!keys.has(key)) throw new Error(`invalid scenario ${source}: ${'kind' in f ? 'fault' : 'churn'} names unknown workload ${key}`);
  }
  for (const c of s.churn) {
    const w = s.workloads.find((x) => x.namespace === c.namespace && x.name === c.deployment);
    if (c.action === 'scale' && w?.kind === 'DaemonSet')
      throw new Error(`invalid scenario ${source}: churn scales DaemonSet ${c.namespace}/${c.deployment} (one pod per node)`);
  }
  const nodeNames = new Set(s.nodes.map((n) => n.name));
  if (nodeNames.size !== s.nodes.length) throw new Error(`invalid scenario ${source}: duplicate node names`);
  return s;
}

/** A scenario by name (sim/scenarios/<name>.json) or by path to a JSON file. */
export function loadScenario(nameOrPath: string): Scenario {
  const builtin = join(SCENARIO_DIR, `${nameOrPath}.json`);
  const file = /^[a-z0-9-]+$/.test(nameOrPath) && existsSync(builtin) ? builtin : nameOrPath;
  if (!existsSync(file)) {
    throw new Error(`unknown scenario "${nameOrPath}" (built-in: ${scenarioNames().join(', ')}; or give a path to a JSON file)`);
  }
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new Error(`cannot read scenario ${file}: ${(err as Error).message}`, { cause: err });
  }
  return parseScenario(data, file);
}

export function totalReplicas(s: Scenario): number {
  return s.workloads.reduce((n, w) => n + (w.kind === 'DaemonSet' ? s.nodes.length : w.replicas), 0);
}

/**
 * Scales a scenario to about `pods` pods for benchmarks: copies of its application workloads go into
 * numbered namespaces (shop-2, shop-3, ...), the last copy trimmed to hit the count, and nodes are added
 * (about 80 pods per node). Faults and churn stay on the originals.
 */
export function scaleScenario(s: Scenario, pods: number): Scenario {
  const current = totalReplicas(s);
  if (pods <= current) return s;
  const apps = s.workloads.filter((w) => w.namespace !== 'kube-system' && w.replicas > 0 && w.kind !== 'DaemonSet');
  if (apps.length === 0) throw new Error(`scenario ${s.name} has no application workloads to scale`);
  const workloads = [...s.workloads];
  let remaining = pods - current;
  for (let copy = 2; remaining > 0; copy++) {
    for (const w of apps) {
      if (remaining <= 0) break;
      const replicas = Math.min(w.replicas, remaining);
      workloads.push({ ...w, namespace: `${w.namespace}-${copy}`.slice(0, 63), replicas });
      remaining -= replicas;
    }
  }
  const nodes = [...s.nodes];
  const wanted = Math.ceil(pods / 80);
  const template = s.nodes[0]!;
  for (let i = nodes.length; i < wanted; i++) nodes.push({ ...template, name: `node-${String(i + 1).padStart(4, '0')}` });
  return { ...s, workloads, nodes };
}
