// The instance lock is never visible half-written: a reader polling the lock path while another process
// takes and releases it over and over sees either no file or a complete lock, never an empty one (which
// a second run-monitoring would take for a stale lock and take over).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { LOCK_FILE_NAME } from '../../orchestrator/lock.ts';

void test('a lock taken and released in a loop is always read whole; no temp file stays behind', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'podsentinel-lock-'));
  try {
    const script = `import { acquireInstanceLock } from ${JSON.stringify(resolve('orchestrator/lock.ts'))};
      const end = Date.now() + 1500; let n = 0;
      while (Date.now() < end) { acquireInstanceLock(${JSON.stringify(dir)}).release(); n++; }
      console.log(n);`;
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let cycles = '';
    child.stdout.on('data', (c: Buffer) => (cycles += c.toString()));
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
      await new Promise((r) => setImmediate(r));
    }
    assert.equal(await done, 0);
    assert.ok(Number(cycles) > 10, `the child took the lock ${cycles.trim()} times`);
    assert.ok(seen > 0, 'the reader saw the lock at least once');
    assert.equal(partial, 0, `${partial} of ${seen} reads found a half-written lock`);
    assert.deepEqual(readdirSync(dir), []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
