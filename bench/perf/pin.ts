// Pinning bench processes to cores with taskset (util-linux), so what is measured on "one core" is, and
// the process it is measured against (the simulated API server, the appender) keeps to another one.
import { existsSync } from 'node:fs';
import { cpus } from 'node:os';
import { UsageError } from '../../lib/usage-error.ts';

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

/**
 * The --pin and --cpu options of a bench that times one process on one core, declared once for every
 * bench: `what` is pinned to --cpu, `other` (the simulator, the bench itself) kept to another core.
 */
export function pinOptions(what: string, other: string) {
  return {
    pin: { type: 'boolean', default: true, describe: `Pin ${what} to --cpu and ${other} to another core (needs taskset)` },
    cpu: { type: 'number', default: 0, describe: `Core ${what} is pinned to (taskset); ${other} runs on another one` },
  } as const;
}

/**
 * The core --pin and --cpu ask for: null when pinning is off or impossible here (no taskset, one core).
 * A --cpu that is not a core of this machine is a usage error, pinned or not.
 */
export function pinnedCore(args: { pin: boolean; cpu: number }): number | null {
  const n = cpus().length;
  if (!(Number.isInteger(args.cpu) && args.cpu >= 0 && args.cpu < n)) throw new UsageError(`--cpu must name a core, 0 to ${n - 1}`);
  return args.pin && canPin() ? args.cpu : null;
}
