// The instance lock is never visible half-written: a reader polling the lock path while another process
// takes and releases it over and over sees either no file or a complete lock, never an empty one (which
// a second run-monitoring would take for a stale lock and take over).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { LOCK_FILE_NAME } from '../../orchestrator/lock.ts';

// The reader stops the child once it has read the lock this often and the child has cycled this often:
// the test runs until there is evidence, not for a fixed time a slow machine may not fill.
const WANT_READS = 50;
const WANT_CYCLES = 200;

void test('a lock taken and released in a loop is always read whole; no temp file stays behind', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'podsentinel-lock-'));
  const control = mkdtempSync(join(tmpdir(), 'podsentinel-lock-stop-'));
  const stop = join(control, 'stop');
  try {
    // Each cycle holds the lock for about a millisecond (the writes stay as fast as they are), so a
    // polling reader meets it often; the loop ends on the reader's word, or after a minute at most.
    const script = `import { existsSync } from 'node:fs';
      import { acquireInstanceLock } from ${JSON.stringify(resolve('orchestrator/lock.ts'))};
      const pause = new Int32Array(new SharedArrayBuffer(4));
      const end = Date.now() + 60_000; let n = 0;
      while (!existsSync(${JSON.stringify(stop)}) && Date.now() < end) {
        const lock = acquireInstanceLock(${JSON.stringify(dir)});
        Atomics.wait(pause, 0, 0, 1);
        lock.release(); n++;
        if (n % 50 === 0) process.stdout.write(n + '\\n');
      }
      process.stdout.write('done ' + n + '\\n');`;
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    const cycles = (): number => Number(out.trim().split('\n').at(-1)?.replace('done ', '') ?? 0);
    const done = new Promise<number | null>((r) => child.on('exit', r));
    let seen = 0;
    let partial = 0;
    let exited = false;
    void done.then(() => (exited = true));
    while (!exited) {
      try {
        const text = readFileSync(join(dir, LOCK_FILE_NAME), 'utf8');
        seen++;
        try {
          JSON.parse(text);
        } catch {
          partial++;
        }
      } catch {
        // no lock at this moment
      }
      if (seen >= WANT_READS && cycles() >= WANT_CYCLES) writeFileSync(stop, '');
      await new Promise((r) => setImmediate(r));
    }
    assert.equal(await done, 0);
    assert.match(out, /done \d+/, 'the child ended its loop itself');
    assert.ok(cycles() >= WANT_CYCLES, `the child took the lock ${cycles()} times`);
    assert.ok(seen >= WANT_READS, `the reader saw the lock ${seen} times`);
    assert.equal(partial, 0, `${partial} of ${seen} reads found a half-written lock`);
    assert.deepEqual(readdirSync(dir), []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
    rmSync(control, { recursive: true, force: true });
  }
});
