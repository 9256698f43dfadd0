// A pod's container, tick by tick: scheduling → ContainerCreating → running (not ready for a tick or
// two), crashes into CrashLoopBackOff with a growing back-off, OOM kills and restarts; and each running
// container's usage sample (sim/usage.ts) with the counters integrated from it.
import { MiB } from '../quantity.ts';
import { podUsage } from '../usage.ts';
import type { SimFault, SimPod, Termination } from '../model.ts';
import type { Workload } from '../scenario.ts';
import { backOffEvent, event, podRef, scheduledEvent } from './events.ts';
import { faultOf } from './faults.ts';
import { containerId, schedule } from './pods.ts';
import { zeroSample, type ClusterState } from './state.ts';

/** Ticks of a container's life kept to write logs that fit. */
const LOG_HISTORY = 40;
const MAX_BACKOFF_SECONDS = 300;

export function stepPod(s: ClusterState, pod: SimPod): void {
  const t = s.tickCount;
  switch (pod.stage) {
    case 'unscheduled':
      schedule(s, pod);
      if (pod.node) {
        pod.stage = 'creating';
        scheduledEvent(s, pod);
      }
      return;
    case 'creating':
      if (t - pod.stageTick >= 1) {
        const ref = podRef(pod, true);
        event(s, ref, 'Pulled', `Container image "${pod.container.image}" already present on machine`, 'Normal', 'kubelet', pod.node);
        event(s, ref, 'Created', `Created container ${pod.container.name}`, 'Normal', 'kubelet', pod.node);
        event(s, ref, 'Started', `Started container ${pod.container.name}`, 'Normal', 'kubelet', pod.node);
        startContainer(s, pod, 1 + pod.rng.int(2));
      }
      return;
    case 'oomkilled':
      // The kubelet restarts at once after the first failure; repeated failures (within ten minutes
      // of each other) wait in CrashLoopBackOff, as for any crash.
      if (pod.crashCount >= 2) enterBackoff(s, pod);
      else {
        pod.restarts++;
        startContainer(s, pod, 1);
      }
      return;
    case 'backoff':
      if (t >= pod.backoffUntilTick) {
        pod.restarts++;
        startContainer(s, pod, 1);
      } else {
        backOffEvent(s, pod);
      }
      return;
    case 'running': {
      const f = faultOf(s, pod);
      if (f?.spec.kind === 'crash_loop') {
        if (t - pod.containerStartedTick >= 1) crash(s, pod, f);
      }
      return;
    }
  }
}

function startContainer(s: ClusterState, pod: SimPod, notReadyTicks: number): void {
  const t = s.tickCount;
  pod.stage = 'running';
  pod.stageTick = t;
  pod.containerStartedTick = t;
  pod.containerStartedAt = s.now();
  pod.containerSerial++;
  pod.readyAtTick = t + notReadyTicks;
  // cAdvisor counters belong to the container: a new container starts from zero. Network counters
  // belong to the pod's network namespace and carry on.
  pod.counters.cpuSeconds = 0;
  pod.counters.fsReadBytes = 0;
  pod.counters.fsWriteBytes = 0;
  pod.counters.fsUsageBytes = storageOf(pod).usedMiB * MiB; // a new writable layer
  pod.leakBytes = 0;
  s.touch(pod);
}

function endContainer(
  s: ClusterState,
  pod: SimPod,
  reason: Termination['reason'],
  exitCode: number,
  end: 'oom' | 'crash',
  fault: SimFault | undefined,
): void {
  pod.lastTerm = {
    reason,
    exitCode,
    startedAt: pod.containerStartedAt ?? s.now(),
    finishedAt: s.now(),
    containerId: containerId(pod),
  };
  pod.prevHist = pod.hist;
  pod.hist = [];
  pod.prevEnd = end;
  pod.prevFault = fault?.spec.kind;
  pod.sample = zeroSample();
  s.touch(pod);
}

/** Counts a container failure; a container that ran ten minutes or more resets the back-off. */
function countFailure(s: ClusterState, pod: SimPod): void {
  if ((s.tickCount - pod.containerStartedTick) * s.tickSeconds >= 600) pod.crashCount = 0;
  pod.crashCount++;
}

function crash(s: ClusterState, pod: SimPod, f: SimFault): void {
  endContainer(s, pod, 'Error', 1, 'crash', f);
  f.crashes++;
  countFailure(s, pod);
  enterBackoff(s, pod);
}

function enterBackoff(s: ClusterState, pod: SimPod): void {
  const backoff = Math.min(MAX_BACKOFF_SECONDS, 10 * 2 ** (pod.crashCount - 1));
  pod.stage = 'backoff';
  pod.stageTick = s.tickCount;
  pod.backoffUntilTick = s.tickCount + Math.max(1, Math.ceil(backoff / s.tickSeconds));
  s.touch(pod);
  backOffEvent(s, pod);
}

function oomKill(s: ClusterState, pod: SimPod, f: SimFault | undefined): void {
  countFailure(s, pod);
  endContainer(s, pod, 'OOMKilled', 137, 'oom', f);
  pod.stage = 'oomkilled';
  pod.stageTick = s.tickCount;
  if (f) {
    f.oomKills++;
    if (!f.firstOom) f.firstOom = { ...s.simTime(), pod: pod.name };
  }
  const pid = 1000 + pod.rng.int(30000);
  event(
    s,
    podRef(pod, true),
    'OOMKilling',
    `Memory cgroup out of memory: Killed process ${pid} (${pod.container.name}) total-vm:${Math.round(pod.container.memLimitBytes / 1024 + 400000)}kB, anon-rss:${Math.round(pod.container.memLimitBytes / 1024)}kB, file-rss:0kB, shmem-rss:0kB`,
    'Warning',
    'kernel-monitor',
    pod.node,
  );
}

/** Usage of one pod for the current tick (sim/usage.ts); integrates the counters, notices an OOM kill. */
export function samplePod(s: ClusterState, pod: SimPod, integrate: boolean): void {
  if (pod.stage !== 'running') {
    pod.sample = zeroSample();
    return;
  }
  const t = s.tickCount;
  const c = pod.container;
  const f = faultOf(s, pod);
  const u = podUsage({
    tick: t,
    dayPeriodTicks: s.scenario.dayPeriodTicks,
    workload: pod.workload.entry,
    cpuLimitCores: c.cpuLimitCores,
    rng: pod.rng,
    containerStartedTick: pod.containerStartedTick,
    cyclePhase: pod.workload.cyclePhase,
    initialReplicas: pod.workload.initialReplicas,
    readyReplicas: pod.workload.readyCount,
    fault: f,
    leakBytes: pod.leakBytes,
    advance: integrate,
  });
  pod.leakBytes = u.leakBytes;
  if (u.probeFailed) {
    event(
      s,
      podRef(pod, true),
      'Unhealthy',
      `Readiness probe failed: Get "http://${pod.podIP}:8080/ready": context deadline exceeded (Client.Timeout exceeded while awaiting headers)`,
      'Warning',
      'kubelet',
      pod.node,
    );
  }
  if (c.memLimitBytes > 0 && u.memoryBytes >= c.memLimitBytes) {
    oomKill(s, pod, f);
    return;
  }
  pod.sample = {
    running: true,
    cpuCores: u.cpuCores,
    memoryBytes: u.memoryBytes,
    netRxBytesPerSec: u.netRxBytesPerSec,
    netTxBytesPerSec: u.netTxBytesPerSec,
    netRxDroppedPerSec: u.netRxDroppedPerSec,
    netTxDroppedPerSec: u.netTxDroppedPerSec,
    fsReadBytesPerSec: u.fsReadBytesPerSec,
    fsWriteBytesPerSec: u.fsWriteBytesPerSec,
  };
  const sample = pod.sample;
  const k = pod.counters;
  if (integrate) {
    const dt = s.tickSeconds;
    k.cpuSeconds += sample.cpuCores * dt;
    k.fsReadBytes += sample.fsReadBytesPerSec * dt;
    k.fsWriteBytes += sample.fsWriteBytesPerSec * dt;
    k.netRxBytes += sample.netRxBytesPerSec * dt;
    k.netTxBytes += sample.netTxBytesPerSec * dt;
    k.netRxDropped += sample.netRxDroppedPerSec * dt;
    k.netTxDropped += sample.netTxDroppedPerSec * dt;
    k.fsUsageBytes = fsUsage(pod, k.fsUsageBytes + storageOf(pod).growthMiBPerTick * MiB);
    pod.hist.push({
      tick: t,
      cpuRatio: sample.cpuCores / c.cpuLimitCores,
      memRatio: c.memLimitBytes ? sample.memoryBytes / c.memLimitBytes : 0,
      fault: f?.spec.kind,
      burst: u.burst,
    });
    if (pod.hist.length > LOG_HISTORY) pod.hist.shift();
  } else {
    // The very first sample: counters as if the container had been running at this rate.
    const life = Math.max(0, (t - pod.containerStartedTick) * s.tickSeconds);
    k.cpuSeconds = sample.cpuCores * life;
    k.fsReadBytes = sample.fsReadBytesPerSec * life;
    k.fsWriteBytes = sample.fsWriteBytesPerSec * life;
    k.netRxBytes = sample.netRxBytesPerSec * life;
    k.netTxBytes = sample.netTxBytesPerSec * life;
    k.netRxDropped = sample.netRxDroppedPerSec * life;
    k.netTxDropped = sample.netTxDroppedPerSec * life;
    // what is in use when the sim first sees the container; it grows from here
    k.fsUsageBytes = fsUsage(pod, storageOf(pod).usedMiB * MiB);
  }
}

/** The workload's storage behaviour (scenario objects built in code, not parsed, may lack it). */
function storageOf(pod: SimPod): { usedMiB: number; growthMiBPerTick: number } {
  return (pod.workload.entry.storage as Workload['storage'] | undefined) ?? { usedMiB: 16, growthMiBPerTick: 0 };
}

/** Ephemeral storage in use: what was written, up to the limit (the sim does not evict). */
function fsUsage(pod: SimPod, bytes: number): number {
  const limit = pod.container.ephemeralLimitBytes;
  return limit > 0 ? Math.min(bytes, limit) : bytes;
}
