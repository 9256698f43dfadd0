// Processes of one chaos run, found through /proc: every process whose command line names the run's
// temp directory is one of ours (the harness passes that directory to each of them).
import { readdirSync, readFileSync } from 'node:fs';

export interface ProcInfo {
  pid: number;
  cmdline: string;
}

/** Live processes (not zombies) whose command line contains `marker`, other than this one. */
export function processesMentioning(marker: string): ProcInfo[] {
  const found: ProcInfo[] = [];
  for (const name of readdirSync('/proc')) {
    const pid = Number(name);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    try {
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ').trim();
      if (!cmdline.includes(marker)) continue;
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      if (stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')) continue;
      found.push({ pid, cmdline });
    } catch {
      // gone while we looked
    }
  }
  return found;
}

/** Whether `pid` is alive and its command line names `marker` (never signal a pid reused by a stranger). */
export function isOurs(pid: number, marker: string): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ').includes(marker);
  } catch {
    return false;
  }
}

export function signalIfOurs(pid: number, marker: string, sig: NodeJS.Signals): boolean {
  if (!isOurs(pid, marker)) return false;
  try {
    process.kill(pid, sig);
    return true;
  } catch {
    return false;
  }
}
