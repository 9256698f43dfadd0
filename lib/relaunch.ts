// A command whose Node/V8 settings matter (the dataset agent's young generation at 150,000 pods) runs in a
// child Node started with them when the launcher itself was started without, so nobody has to set
// NODE_OPTIONS by hand. The child inherits the terminal; the launcher waits for it, passes on SIGTERM and
// SIGHUP (Ctrl-C reaches both through the terminal's process group), ends with its status, and the child
// stops when the launcher dies (lib/exit-with-parent.ts over the IPC channel).
import { spawn } from 'node:child_process';
import { constants } from 'node:os';

/** Set in the child's environment: the launcher there ends the child with its parent. */
export const RELAUNCHED_ENV = '__PODSENTINEL_RELAUNCHED';

/** The settings `nodeArgs` is missing from this process, e.g. ['--max-semi-space-size=16']; [] when all are in effect. */
export function missingNodeArgs(
  nodeArgs: readonly string[],
  execArgv = process.execArgv,
  nodeOptions = process.env.NODE_OPTIONS ?? '',
): string[] {
  // A setting given by hand in either place (with any value) is the person's choice and stays.
  const given = (flag: string) => {
    const name = flag.split('=')[0]!;
    return execArgv.some((a) => a.split('=')[0] === name) || nodeOptions.split(/\s+/).some((a) => a.split('=')[0] === name);
  };
  return nodeArgs.filter((a) => !given(a));
}

/**
 * Runs `script args` in a child Node with `nodeArgs` added and `env` over this process's environment (e.g.
 * GLIBC_TUNABLES, which only counts from a process's start); resolves with the exit status to end with.
 */
export function relaunch(
  nodeArgs: readonly string[],
  script: string,
  args: readonly string[],
  env: Readonly<Record<string, string>> = {},
): Promise<number> {
  const child = spawn(process.execPath, [...nodeArgs, ...process.execArgv, script, ...args], {
    stdio: ['inherit', 'inherit', 'inherit', 'ipc'],
    env: { ...process.env, ...env, [RELAUNCHED_ENV]: '1' },
  });
  const pass = (sig: NodeJS.Signals) => () => child.kill(sig);
  const onTerm = pass('SIGTERM');
  const onHup = pass('SIGHUP');
  const onInt = () => {}; // the child got it too (same process group) and decides how to stop
  process.on('SIGTERM', onTerm).on('SIGHUP', onHup).on('SIGINT', onInt);
  return new Promise((resolve) => {
    child.on('error', (err) => {
      process.stderr.write(`error: cannot start ${script}: ${err.message}\n`);
      resolve(1);
    });
    child.on('exit', (code, signal) => {
      process.off('SIGTERM', onTerm).off('SIGHUP', onHup).off('SIGINT', onInt);
      // ended by a signal: the shell's convention, 128 + its number
      resolve(code ?? 128 + (signal ? constants.signals[signal] : 15));
    });
  });
}
