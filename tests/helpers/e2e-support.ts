// Support for the end-to-end tests: run-monitoring --demo in a pseudo-terminal (util-linux `script`),
// its screen as text, typed answers, bounded waits with the screen in the failure message, and a
// cleanup that always stops the monitor and its children.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { STATUS_FILE_NAME } from '../../orchestrator/monitor.ts';
import { pidAlive } from '../../orchestrator/lock.ts';

// eslint-disable-next-line no-control-regex
const ANSI = /\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b[()][A-Za-z0-9]|\x1b[=>78]|\r/g;
export const stripAnsi = (s: string): string => s.replace(ANSI, '');

export interface StatusFile {
  pid: number;
  kubeconfig: string | null;
  children: Array<{ name: string; pid: number | null; state: string; restarts: number }>;
}

export class MonitorSession {
  readonly dataDir: string;
  readonly logDir: string;
  private readonly proc: ChildProcess;
  private raw = '';
  readonly exited: Promise<number | null>;
  private exitCode: number | null | undefined;

  private constructor(dir: string, args: string[], tty: boolean) {
    this.dataDir = join(dir, 'data');
    this.logDir = join(dir, 'logs');
    const cmd = [
      process.execPath,
      '--import',
      'tsx',
      resolve('run-monitoring.ts'),
      '--data-dir',
      this.dataDir,
      '--log-dir',
      this.logDir,
      ...args,
    ];
    const env = { ...process.env, FORCE_COLOR: '0', NVIDIA_API_KEY: '', OPENAI_API_KEY: '', LLM_API_KEY: '' };
    const shell = cmd.map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
    // A real terminal of a known size; `exec` so that the monitor is the pty's session process. Without
    // one, plain pipes: the monitor then runs its approval step non-interactively.
    this.proc = tty
      ? spawn('script', ['-qfec', `stty cols 160 rows 50; exec ${shell}`, '/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'], env })
      : spawn(cmd[0]!, cmd.slice(1), { stdio: ['pipe', 'pipe', 'pipe'], env });
    this.proc.stdout!.on('data', (d: Buffer) => (this.raw += d.toString()));
    this.proc.stderr!.on('data', (d: Buffer) => (this.raw += d.toString()));
    this.exited = new Promise((r) =>
      this.proc.on('exit', (code) => {
        this.exitCode = code;
        r(code);
      }),
    );
  }

  /** Starts run-monitoring with `args` in a fresh temp directory. */
  static start(args: string[], opts: { tty?: boolean } = {}): MonitorSession {
    return MonitorSession.startIn(() => args, opts);
  }

  /** As start(), with arguments that name files in the temp directory; `tty: false` runs it without a terminal. */
  static startIn(args: (dir: string) => string[], opts: { tty?: boolean } = {}): MonitorSession {
    const dir = mkdtempSync(join(tmpdir(), 'podsentinel-e2e-'));
    return new MonitorSession(dir, args(dir), opts.tty ?? true);
  }

  /** Everything shown so far, without escape sequences. */
  text(): string {
    return stripAnsi(this.raw);
  }

  /** The last lines shown, for failure messages. */
  tail(lines = 40): string {
    return this.text().split('\n').slice(-lines).join('\n');
  }

  type(keys: string): void {
    this.proc.stdin!.write(keys);
  }

  status(): StatusFile | null {
    try {
      return JSON.parse(readFileSync(join(this.dataDir, STATUS_FILE_NAME), 'utf8')) as StatusFile;
    } catch {
      return null;
    }
  }

  /** Polls `check` until it returns a value; on timeout fails with `what`, the screen and the logs. */
  async until<T>(
    what: string,
    check: () => T | null | undefined | false | Promise<T | null | undefined | false>,
    timeoutMs: number,
  ): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const v = await check();
      if (v) return v;
      if (this.exitCode !== undefined)
        throw new Error(`run-monitoring exited (${this.exitCode}) while waiting for ${what}\n${this.diagnostics()}`);
      if (Date.now() > deadline)
        throw new Error(`timed out after ${Math.round(timeoutMs / 1000)} s waiting for ${what}\n${this.diagnostics()}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  /** Waits for the screen (after `from` characters of text) to match `re`. */
  waitFor(re: RegExp, what: string, timeoutMs: number, from = 0): Promise<RegExpExecArray> {
    return this.until(what, () => re.exec(this.text().slice(from)), timeoutMs);
  }

  diagnostics(): string {
    const logs = ['podsentinel-sim', 'dataset-generator', 'dataset-generator-agent', 'anomaly-detection-agent', 'notification-agent']
      .map((n) => {
        const f = join(this.logDir, `${n}.out.log`);
        return existsSync(f) ? `--- ${n}.out.log (tail)\n${readFileSync(f, 'utf8').split('\n').slice(-8).join('\n')}` : '';
      })
      .filter(Boolean)
      .join('\n');
    return `--- screen (last lines)\n${this.tail()}\n${logs}`;
  }

  /** Stops the monitor with SIGTERM (as a person or a pod manager would) and returns its exit code. */
  async stop(timeoutMs = 30_000): Promise<number | null> {
    if (this.exitCode !== undefined) return this.exitCode;
    const st = this.status();
    if (st && pidAlive(st.pid)) process.kill(st.pid, 'SIGTERM');
    else this.proc.kill('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const code = await Promise.race([this.exited, new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), timeoutMs)))]);
    clearTimeout(timer);
    if (code === 'timeout') {
      this.forceKill();
      throw new Error(`run-monitoring did not stop within ${timeoutMs / 1000} s of SIGTERM\n${this.diagnostics()}`);
    }
    return code;
  }

  /** Last resort in a finally block: nothing of this session may outlive the test. */
  forceKill(): void {
    const st = this.status();
    for (const c of st?.children ?? []) if (c.pid && pidAlive(c.pid)) process.kill(c.pid, 'SIGKILL');
    if (st && pidAlive(st.pid)) process.kill(st.pid, 'SIGKILL');
    this.proc.kill('SIGKILL');
  }
}
