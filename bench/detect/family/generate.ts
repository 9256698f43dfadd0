// One seed of the randomised detection family: a cluster of Deployments drawn from the seed (tick length,
// noise, seasonality, GC sawtooth, bursts, pod counts, churn) with injected faults across magnitudes,
// written straight to pod_metrics.csv (lib/metrics-csv.ts columns) with its ground truth. Independent of
// sim/: nothing here reuses the simulated cluster's generator.
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { writeJsonAtomic } from '../../../lib/atomic-file.ts';
import { MetricsCsvWriter, newMetricRow, type MetricRow } from '../../../lib/metrics-csv.ts';
import type { FaultRecord, ScenarioTruth } from '../evaluate.ts';
import { Ar1, gauss, hashPart, intIn, pick, rng, sawtooth, season, uniform, type Rand, type WorkloadShape } from './signals.ts';

export type FamilyKind = 'level_shift' | 'cpu_creep' | 'memory_leak' | 'network_drops';

export interface FamilyFault extends FaultRecord {
  kind: FamilyKind;
  /** level_shift: the metric shifted. */
  metric?: 'cpu' | 'mem' | 'net';
  /** level_shift: the factor; cpu_creep: growth per tick as a fraction of the base; leak: ticks to OOM; drops: packets/s. */
  magnitude: number;
}

export interface FamilyTruth extends ScenarioTruth {
  faults: FamilyFault[];
  /** What the seed drew, for the report. */
  drawn: { pods: number; deployments: number; tickSeconds: number; phi: number; churn: string[] };
}

export interface FamilyOptions {
  seed: number;
  outDir: string;
  /** Run length in hours (default 3). */
  hours?: number;
  /** Pods at the start (default: drawn, 24 to 44). */
  pods?: number;
}

const MB_LIMIT = [256, 512, 1024, 2048];
const NAMES = ['checkout', 'cart', 'search', 'auth', 'ledger', 'images', 'feed', 'notify', 'billing', 'profile', 'orders', 'gateway'];
const START = Date.UTC(2026, 2, 2, 6, 0, 0);

interface Pod {
  name: string;
  dep: Deployment;
  node: string;
  born: number;
  /** Tick the pod is gone from (exclusive), or Infinity. */
  gone: number;
  level: number;
  noise: { cpu: Ar1; mem: Ar1; rx: Ar1; tx: Ar1 };
  gcPhase: number;
  restarts: number;
  fsRead: number;
  fsWrite: number;
  fault?: FamilyFault;
  /** memory_leak: percentage points added so far in the current container. */
  leaked: number;
}

interface Deployment {
  name: string;
  rs: string;
  shape: WorkloadShape;
  limitMb: number;
  /** Load per pod is shape × loadFactor (scale-outs lower it, scale-ins raise it). */
  loadFactor: number;
  faultFree: boolean;
}

function drawShape(r: Rand, phi: number, noiseScale: number): WorkloadShape {
  return {
    cpu: uniform(r, 5, 70),
    mem: uniform(r, 10, 36),
    rx: uniform(r, 2e4, 2e6),
    tx: uniform(r, 1e4, 1e6),
    fsRead: uniform(r, 0.01, 2),
    fsWrite: uniform(r, 0.01, 2),
    noise: noiseScale * uniform(r, 0.7, 1.3),
    phi,
    seasonAmp: uniform(r, 0.05, 0.35),
    seasonPeriodS: uniform(r, 1.5, 12) * 3600,
    seasonPhase: uniform(r, 0, 2 * Math.PI),
    gcAmp: r() < 0.5 ? uniform(r, 2, 10) : 0,
    gcPeriodS: uniform(r, 60, 600),
    burstP: uniform(r, 0.002, 0.015),
    burstFactor: uniform(r, 1.5, 4),
  };
}

export function generateFamilySeed(opts: FamilyOptions): { csvPath: string; truthPath: string; truth: FamilyTruth } {
  const r = rng(opts.seed * 7919 + 17);
  const tickSeconds = intIn(r, 5, 30);
  const ticks = Math.round(((opts.hours ?? 3) * 3600) / tickSeconds);
  const phi = uniform(r, 0.5, 0.9);
  const noiseScale = uniform(r, 0.03, 0.12);
  const podCount = opts.pods ?? intIn(r, 24, 44);
  const ceilTicks = (s: number) => Math.max(1, Math.ceil(s / tickSeconds));

  // Deployments of 2 to 6 pods until the pod count is reached.
  const deps: Deployment[] = [];
  const pods: Pod[] = [];
  const nodes = Array.from({ length: intIn(r, 3, 6) }, (_, i) => `node-${String.fromCharCode(97 + i)}`);
  const newPod = (dep: Deployment, born: number): Pod => {
    const p: Pod = {
      name: `${dep.name}-${dep.rs}-${hashPart(r, 5)}`,
      dep,
      node: pick(r, nodes),
      born,
      gone: Infinity,
      level: 1 + 0.05 * gauss(r),
      noise: { cpu: new Ar1(r, phi), mem: new Ar1(r, phi), rx: new Ar1(r, phi), tx: new Ar1(r, phi) },
      gcPhase: uniform(r, 0, 600),
      restarts: 0,
      fsRead: uniform(r, 10, 500),
      fsWrite: uniform(r, 10, 500),
      leaked: 0,
    };
    pods.push(p);
    return p;
  };
  for (let i = 0; pods.length < podCount; i++) {
    const dep: Deployment = {
      name: `${NAMES[i % NAMES.length]}${i >= NAMES.length ? `${Math.floor(i / NAMES.length) + 1}` : ''}`,
      rs: hashPart(r, intIn(r, 8, 10)),
      shape: drawShape(r, phi, noiseScale),
      limitMb: pick(r, MB_LIMIT),
      loadFactor: 1,
      faultFree: false,
    };
    deps.push(dep);
    const n = Math.min(intIn(r, 2, 6), podCount - pods.length);
    for (let k = 0; k < n; k++) newPod(dep, 0);
  }

  // Churn on three deployments (kept fault-free so the truth stays simple): a rolling update (new
  // ReplicaSet, pods replaced one at a time), a scale-out and an HPA-like scale-in by one pod.
  const shuffled = [...deps].sort(() => r() - 0.5);
  const churnLog: string[] = [];
  const events: Array<{ tick: number; run: (tick: number) => void }> = [];
  const rollDep = shuffled[0]!;
  const outDep = shuffled[1];
  const inDep = shuffled.slice(2).find((d) => pods.filter((p) => p.dep === d).length >= 4);
  rollDep.faultFree = true;
  const rollAt = intIn(r, Math.round(ticks * 0.3), Math.round(ticks * 0.8));
  churnLog.push(`rolling update of ${rollDep.name} at tick ${rollAt}`);
  events.push({
    tick: rollAt,
    run: (tick) => {
      const old = pods.filter((p) => p.dep === rollDep && p.gone === Infinity);
      rollDep.rs = hashPart(r, rollDep.rs.length);
      const step = ceilTicks(30);
      old.forEach((p, i) => {
        newPod(rollDep, tick + i * step);
        p.gone = tick + i * step + ceilTicks(20); // the old pod goes once its successor is ready
      });
    },
  });
  if (outDep) {
    outDep.faultFree = true;
    const at = intIn(r, Math.round(ticks * 0.3), Math.round(ticks * 0.8));
    const add = intIn(r, 1, 3);
    churnLog.push(`scale-out of ${outDep.name} by ${add} at tick ${at}`);
    events.push({
      tick: at,
      run: (tick) => {
        const n = pods.filter((p) => p.dep === outDep && p.gone === Infinity).length;
        for (let k = 0; k < add; k++) newPod(outDep, tick);
        outDep.loadFactor *= n / (n + add);
      },
    });
  }
  if (inDep) {
    inDep.faultFree = true;
    const at = intIn(r, Math.round(ticks * 0.3), Math.round(ticks * 0.8));
    churnLog.push(`scale-in of ${inDep.name} by 1 at tick ${at}`);
    events.push({
      tick: at,
      run: (tick) => {
        const live = pods.filter((p) => p.dep === inDep && p.gone === Infinity);
        live[live.length - 1]!.gone = tick;
        inDep.loadFactor *= live.length / (live.length - 1);
      },
    });
  }

  // Faults: 3 level shifts (CPU, memory, network), 2 creeps, 2 leaks, 1 intermittent drops, on distinct
  // pods of fault-free deployments, starting after 25–60 % of the run (the pods have a history by then).
  const candidates = pods.filter((p) => !p.dep.faultFree).sort(() => r() - 0.5);
  const faults: FamilyFault[] = [];
  const plan: Array<Pick<FamilyFault, 'kind' | 'metric'>> = [
    { kind: 'level_shift', metric: 'cpu' },
    { kind: 'level_shift', metric: 'mem' },
    { kind: 'level_shift', metric: 'net' },
    { kind: 'cpu_creep' },
    { kind: 'cpu_creep' },
    { kind: 'memory_leak' },
    { kind: 'memory_leak' },
    { kind: 'network_drops' },
  ];
  plan.forEach((f, i) => {
    const pod = candidates[i];
    if (!pod) return;
    const start = intIn(r, Math.round(ticks * 0.25), Math.round(ticks * 0.6));
    let magnitude: number;
    if (f.kind === 'level_shift') magnitude = uniform(r, 1.3, 2.5);
    else if (f.kind === 'cpu_creep') magnitude = uniform(r, 0.003, 0.02);
    else if (f.kind === 'memory_leak') magnitude = intIn(r, Math.min(60, ticks - start - 20), Math.min(500, ticks - start - 10));
    else magnitude = uniform(r, 20, 300);
    const fault: FamilyFault = { id: `${f.kind}-${i}`, ...f, namespace: 'shop', pods: [pod.name], startTick: start, magnitude };
    pod.fault = fault;
    faults.push(fault);
  });

  // Write the rows, tick by tick.
  mkdirSync(opts.outDir, { recursive: true });
  const csvPath = join(opts.outDir, 'pod_metrics.csv');
  const truthPath = join(opts.outDir, 'truth.json');
  rmSync(csvPath, { force: true });
  const writer = MetricsCsvWriter.open(csvPath);
  const tickOf: Record<string, number> = {};
  const seen = new Set<string>();
  let rows = 0;
  try {
    for (let tick = 1; tick <= ticks; tick++) {
      for (const e of events) if (e.tick === tick) e.run(tick);
      const t = tick * tickSeconds;
      const timestamp = new Date(START + t * 1000).toISOString();
      tickOf[timestamp] = tick;
      const batch: MetricRow[] = [];
      for (const p of pods) {
        if (tick < p.born || tick >= p.gone) continue;
        const row = podRow(r, p, tick, t, tickSeconds, timestamp);
        if (row) batch.push(row);
        seen.add(p.name);
      }
      writer.append(batch);
      rows += batch.length;
    }
    writer.flush();
  } finally {
    writer.close();
  }
  const truth: FamilyTruth = {
    scenario: `family-${opts.seed}`,
    seed: opts.seed,
    ticks,
    tickSeconds,
    tickOf,
    faults,
    rows,
    pods: seen.size,
    drawn: { pods: podCount, deployments: deps.length, tickSeconds, phi, churn: churnLog },
  };
  writeJsonAtomic(truthPath, truth);
  return { csvPath, truthPath, truth };
}

/** One pod's row at a tick (metrics unknown while it is being created). */
function podRow(r: Rand, p: Pod, tick: number, t: number, tickSeconds: number, timestamp: string): MetricRow {
  const w = p.dep.shape;
  const ageS = (tick - p.born) * tickSeconds;
  const base = { namespace: 'shop', pod: p.name, node: p.node, timestamp, totalContainers: 1, restarts: p.restarts };
  if (ageS < 5) return newMetricRow({ ...base, status: 'Pending', readyContainers: 0 });
  const ready = p.born === 0 || ageS >= 20;
  const warm = p.born === 0 ? 0 : Math.exp(-ageS / 60); // a new container starts hot and below its working set
  const s = season(w, t);
  const load = p.level * p.dep.loadFactor * s;
  const burst = r() < w.burstP ? w.burstFactor : 1;
  let cpu = w.cpu * load * (1 + w.noise * p.noise.cpu.next()) * (1 + warm) * burst;
  let mem = w.mem * p.level * (1 - 0.3 * warm) * (1 + 0.2 * w.noise * p.noise.mem.next()) + sawtooth(w, t, p.gcPhase);
  let rx = w.rx * load * (1 + w.noise * p.noise.rx.next()) * (burst > 1 && r() < 0.5 ? burst : 1);
  let tx = w.tx * load * (1 + w.noise * p.noise.tx.next());
  let drops = r() < 0.002 ? intIn(r, 1, 3) : 0;
  let status = 'Running';
  let reason = '';
  const f = p.fault;
  if (f && tick >= f.startTick) {
    const dt = tick - f.startTick;
    if (f.kind === 'level_shift') {
      if (f.metric === 'cpu') cpu *= f.magnitude;
      else if (f.metric === 'mem') mem = Math.min(97, mem * f.magnitude);
      else {
        rx *= f.magnitude;
        tx *= f.magnitude;
      }
    } else if (f.kind === 'cpu_creep') {
      cpu *= 1 + f.magnitude * dt;
    } else if (f.kind === 'memory_leak') {
      p.leaked += (100 - w.mem * p.level) / f.magnitude;
      mem += p.leaked;
      if (mem >= 100) {
        status = 'OOMKilled';
        reason = 'OOMKilling';
        p.restarts++;
        p.leaked = 0;
        mem = w.mem * p.level * 0.5;
        f.firstOomKilledTick ??= tick;
      }
    } else if (Math.floor(dt / Math.max(2, Math.round(90 / tickSeconds))) % 2 === 0) {
      // intermittent drops: on and off in stretches of about 90 s
      drops += f.magnitude * (1 + 0.3 * gauss(r));
      rx *= 0.8;
    }
  }
  p.fsRead += w.fsRead * load * tickSeconds * uniform(r, 0.5, 1.5);
  p.fsWrite += w.fsWrite * load * tickSeconds * uniform(r, 0.5, 1.5);
  mem = Math.max(0.5, Math.min(100, mem));
  cpu = Math.max(0, cpu);
  return newMetricRow({
    ...base,
    restarts: p.restarts,
    status,
    readyContainers: ready && status === 'Running' ? 1 : 0,
    cpuPercent: round(cpu, 3),
    memoryPercent: round(mem, 3),
    memoryMb: round((mem / 100) * p.dep.limitMb, 2),
    netRxBytes: round(Math.max(0, rx), 0),
    netTxBytes: round(Math.max(0, tx), 0),
    fsReadsMb: round(p.fsRead, 3),
    fsWritesMb: round(p.fsWrite, 3),
    netRxDropped: round(Math.max(0, drops), 2),
    netTxDropped: 0,
    eventReason: reason,
    eventMessage: reason ? 'Memory cgroup out of memory: container killed' : '',
  });
}

const round = (x: number, d: number) => Math.round(x * 10 ** d) / 10 ** d;
