// Rows from the simulated cluster for training the default model and for detector tests. Rows come
// from SimCluster.truth(), shaped as the collector writes them (CPU % of one core, memory % of the
// limit, rates per second, FS totals in MB; metrics unknown while the container is not running).
import { newMetricRow, type MetricRow } from '../../lib/metrics-csv.ts';
import { SimCluster } from '../../sim/cluster.ts';
import { parseScenario, type Scenario } from '../../sim/scenario.ts';

const MB = 1024 * 1024;

/** One row per pod for the cluster's current tick. */
export function rowsFromTruth(cluster: SimCluster): MetricRow[] {
  const out: MetricRow[] = [];
  for (const p of cluster.pods()) {
    const t = cluster.truth(p.namespace, p.name);
    if (!t) continue;
    const served = t.metricsServed;
    const num = (v: number) => (served ? v : NaN);
    out.push(
      newMetricRow({
        timestamp: t.time,
        namespace: t.namespace,
        pod: t.pod,
        node: t.node ?? '',
        status: t.status,
        readyContainers: t.ready ? 1 : 0,
        totalContainers: 1,
        restarts: t.restarts,
        cpuPercent: num(t.cpuCores * 100),
        memoryPercent: num((t.memoryBytes / t.memoryLimitBytes) * 100),
        memoryMb: num(t.memoryBytes / MB),
        netRxBytes: num(t.netRxBytesPerSec),
        netTxBytes: num(t.netTxBytesPerSec),
        fsReadsMb: num(t.fsReadBytesTotal / MB),
        fsWritesMb: num(t.fsWriteBytesTotal / MB),
        netRxDropped: num(t.netRxDroppedPerSec),
        netTxDropped: num(t.netTxDroppedPerSec),
      }),
    );
  }
  return out;
}

/** Runs a cluster for `ticks` ticks and returns every row, tick by tick. */
export function simulate(scenario: Scenario, ticks: number, seed = 1, onTick?: (tick: number, cluster: SimCluster) => void): MetricRow[] {
  const cluster = new SimCluster({ scenario, seed, tickSeconds: 5, startTime: new Date(Date.UTC(2026, 0, 1)) });
  const rows: MetricRow[] = [];
  for (let i = 0; i < ticks; i++) {
    cluster.tick();
    onTick?.(i, cluster);
    rows.push(...rowsFromTruth(cluster));
  }
  return rows;
}

/**
 * A small healthy cluster with the kinds of workloads the simulator knows (web, JVM with a GC
 * sawtooth, database, worker), for training and tests. Faults and churn are added by the caller.
 */
export function baseScenario(extra: Partial<Pick<Scenario, 'faults' | 'churn'>> = {}, replicas = 3): Scenario {
  return parseScenario(
    {
      name: 'detector-test',
      dayPeriodTicks: 720,
      nodes: [
        { name: 'node-a', cpuCores: 16, memoryGiB: 64 },
        { name: 'node-b', cpuCores: 16, memoryGiB: 64 },
      ],
      workloads: [
        {
          namespace: 'shop',
          name: 'web',
          replicas,
          image: 'shop/web:1',
          profile: 'web',
          cpu: { baseCores: 0.3, limitCores: 1, noise: 0.08 },
          memory: { baseMiB: 200, limitMiB: 512, noise: 0.02 },
        },
        {
          namespace: 'shop',
          name: 'api',
          replicas,
          image: 'shop/api:1',
          profile: 'java',
          cpu: { baseCores: 0.5, limitCores: 2, noise: 0.1 },
          memory: { baseMiB: 600, limitMiB: 1024, gcSawtoothMiB: 150, gcPeriodTicks: 12, noise: 0.01 },
        },
        {
          namespace: 'data',
          name: 'db',
          replicas: Math.max(1, replicas - 1),
          image: 'data/db:1',
          profile: 'db',
          cpu: { baseCores: 0.8, limitCores: 2, noise: 0.06 },
          memory: { baseMiB: 1500, limitMiB: 2048, noise: 0.01 },
          fs: { readBytesPerSec: 200000, writeBytesPerSec: 400000 },
        },
        {
          namespace: 'jobs',
          name: 'worker',
          replicas,
          image: 'jobs/worker:1',
          profile: 'worker',
          cpu: { baseCores: 0.2, limitCores: 1, noise: 0.15, dailyAmplitude: 0.5 },
          memory: { baseMiB: 300, limitMiB: 768, gcSawtoothMiB: 60, gcPeriodTicks: 20, noise: 0.02 },
        },
      ],
      ...extra,
    },
    'bench/sim-data/rows.ts',
  );
}
