// Pinning bench processes to cores with taskset (util-linux), so what is measured on "one core" is, and
// the process it is measured against (the simulated API server, the appender) keeps to another one.
import { existsSync } from 'node:fs';
import { cpus } from 'node:os';

let taskset: string | null | undefined;

/** taskset's path, or null where it is not installed. */
export function tasksetPath(): string | null {
  if (taskset === undefined) taskset = ['/usr/bin/taskset', '/bin/taskset'].find((p) => existsSync(p)) ?? null;
  return taskset;
}

/** True when pinning can keep two processes apart: taskset exists and there is more than one core. */
export function canPin(): boolean {
  return tasksetPath() !== null && cpus().length > 1;
}

/**
 * `argv` (command first) run on `cpu` (a core, or a taskset core list such as "0-1") through taskset;
 * unchanged when `cpu` is null or taskset is missing.
 */
export function pinnedArgv(argv: readonly string[], cpu: number | string | null): string[] {
  const ts = cpu === null ? null : tasksetPath();
  return ts ? [ts, '-c', String(cpu), ...argv] : [...argv];
}

/** The other core of a pair: the one a pinned process's counterpart runs on. */
export function otherCore(cpu: number): number {
  return cpu === 0 ? 1 : 0;
}
