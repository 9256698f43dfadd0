// lib/file-watch.ts: a file replaced atomically starts a run; runs never overlap and changes during a run
// coalesce into one more; events beside the file start nothing; close() waits for the run in progress.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { untilStopped, watchFile } from '../../lib/file-watch.ts';

async function until(cond: () => boolean, what: string, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

function replace(path: string, text: string): void {
  writeFileSync(path + '.tmp', text);
  renameSync(path + '.tmp', path);
}

void test('an atomic replace starts a run; a write beside the file does not', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'podsentinel-watch-'));
  try {
    const file = join(dir, 'insights.json');
    let runs = 0;
    const w = watchFile(file, { run: async () => void runs++, pollSeconds: 0.2 });
    await until(() => runs === 1, 'the run at start');
    replace(file, '{"a":1}');
    await until(() => runs === 2, 'a run after the replace');
    writeFileSync(join(dir, 'other.json'), 'x');
    await sleep(600); // three polls: long enough for a wrong run to show
    assert.equal(runs, 2);
    await w.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

void test('runs never overlap; changes during a run make exactly one more; close() waits for it', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'podsentinel-watch-'));
  try {
    const file = join(dir, 'analysis.json');
    let active = 0;
    let maxActive = 0;
    let runs = 0;
    let release: () => void = () => {};
    const w = watchFile(file, {
      runAtStart: false,
      pollSeconds: 0.1,
      run: async () => {
        active++;
        maxActive = Math.max(maxActive, active);
        runs++;
        await new Promise<void>((r) => (release = r));
        active--;
      },
    });
    replace(file, '1');
    await until(() => runs === 1, 'the first run');
    for (const text of ['22', '333', '4444']) {
      w.trigger();
      replace(file, text);
      await sleep(150);
    }
    release();
    await until(() => runs === 2, 'one coalesced run');
    const closing = w.close();
    await sleep(100);
    release();
    await closing;
    assert.equal(runs, 2);
    assert.equal(maxActive, 1);
    assert.equal(active, 0, 'close() returned after the run ended');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

void test('a run that throws is reported and the watch goes on', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'podsentinel-watch-'));
  try {
    const file = join(dir, 'f.json');
    const errors: unknown[] = [];
    let runs = 0;
    const w = watchFile(file, {
      pollSeconds: 0.1,
      onError: (e) => errors.push(e),
      run: async () => {
        runs++;
        if (runs === 1) throw new Error('boom');
      },
    });
    await until(() => errors.length === 1, 'the error');
    replace(file, 'x');
    await until(() => runs === 2, 'the next run');
    await w.close();
    assert.equal((errors[0] as Error).message, 'boom');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

void test('untilStopped resolves with the signal, or on abort, and leaves no listener behind', async () => {
  const before = process.listenerCount('SIGHUP');
  const stopped = untilStopped(['SIGHUP']);
  assert.equal(process.listenerCount('SIGHUP'), before + 1);
  process.kill(process.pid, 'SIGHUP');
  assert.equal(await stopped, 'SIGHUP');
  assert.equal(process.listenerCount('SIGHUP'), before);
  const usr2 = process.listenerCount('SIGUSR2');
  const ac = new AbortController();
  const aborted = untilStopped(['SIGUSR2'], ac.signal);
  ac.abort();
  assert.equal(await aborted, 'abort');
  assert.equal(process.listenerCount('SIGUSR2'), usr2);
});
