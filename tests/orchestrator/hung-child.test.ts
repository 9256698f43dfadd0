// Regression test: a child that is alive but stuck (its heartbeat stops) is killed and restarted by the
// supervisor, not merely shown as stale.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Supervisor } from '../../orchestrator/supervisor.ts';
import { pidAlive } from '../../orchestrator/lock.ts';
import { hungAfterMs } from '../../orchestrator/child-specs.ts';

/** How many times a child script recorded its start in `file`. */
const starts = (file: string): number => (existsSync(file) ? readFileSync(file, 'utf8').length : 0);

async function until<T>(what: string, fn: () => T | undefined | null | false, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

void test('a child whose heartbeat stops (busy loop, deaf to SIGTERM) is SIGKILLed and restarted with backoff', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'defects-sup-'));
  const hb = join(dir, '.heartbeat-stuck.json');
  const script = join(dir, 'stuck.mjs');
  // Beats 5 times, 100 ms apart, then spins forever on the event loop's thread.
  writeFileSync(
    script,
    `import { appendFileSync, writeFileSync } from 'node:fs';
appendFileSync(${JSON.stringify(join(dir, 'starts'))}, 'x');
process.on('SIGTERM', () => {});
let n = 0;
const t = setInterval(() => {
  writeFileSync(${JSON.stringify(hb)}, JSON.stringify({ name: 'anomaly-detection-agent', pid: process.pid, time: new Date().toISOString(), state: 'running', open: 0, analysed_total: 0, llm_calls: 0, llm_failures: 0 }));
  if (++n === 5) { clearInterval(t); for (;;) {} }
}, 100);
`,
  );
  const sup = new Supervisor({ initialBackoffMs: 50, maxBackoffMs: 200, hungCheckMs: 100 });
  const hung: Array<[string, number]> = [];
  const exits: Array<string | null> = [];
  const restarts: number[] = [];
  sup.on('hung', (name, ageMs) => hung.push([name, ageMs]));
  sup.on('exit', (_n, _c, signal) => exits.push(signal));
  sup.on('restart', (_n, delay) => restarts.push(delay));
  sup.add({ name: 'stuck', script, args: [], output: { logFile: join(dir, 'stuck.log') }, heartbeat: { file: hb, hungAfterMs: 1500 } });
  try {
    const first = await until('the first start', () => sup.get('stuck')?.pid);
    await until(
      'the hung child to be killed and started again',
      () => starts(join(dir, 'starts')) >= 2 && sup.get('stuck')?.state === 'running',
    );
    assert.equal(pidAlive(first), false, 'the stuck process is gone');
    assert.equal(hung.length >= 1, true);
    assert.equal(hung[0]![0], 'stuck');
    assert.ok(hung[0]![1] > 1500, `killed only past the limit (heartbeat age ${hung[0]![1]} ms)`);
    assert.equal(exits[0], 'SIGKILL');
    assert.ok(restarts.length >= 1, 'restarted through the usual backoff');
    assert.equal(sup.get('stuck')!.restarts >= 1, true);
  } finally {
    await sup.stop('SIGTERM', 500);
    rmSync(dir, { recursive: true, force: true });
  }
});

void test('a child that never writes its heartbeat counts as hung once the limit has passed since its start', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'defects-sup-'));
  const script = join(dir, 'silent.mjs');
  writeFileSync(
    script,
    `import { appendFileSync } from 'node:fs';\nappendFileSync(${JSON.stringify(join(dir, 'starts'))}, 'x');\nsetInterval(() => {}, 1000);\n`,
  );
  // A heartbeat left by an earlier run must not count for the new child.
  const hb = join(dir, '.heartbeat-silent.json');
  writeFileSync(
    hb,
    JSON.stringify({
      name: 'anomaly-detection-agent',
      pid: 1,
      time: new Date(Date.now() - 3_600_000).toISOString(),
      state: 'running',
      open: 0,
      analysed_total: 0,
      llm_calls: 0,
      llm_failures: 0,
    }),
  );
  const sup = new Supervisor({ initialBackoffMs: 50, maxBackoffMs: 200, hungCheckMs: 100 });
  const hung: string[] = [];
  sup.on('hung', (name) => hung.push(name));
  sup.add({ name: 'silent', script, args: [], output: { logFile: join(dir, 'silent.log') }, heartbeat: { file: hb, hungAfterMs: 1500 } });
  try {
    await until('a restart', () => starts(join(dir, 'starts')) >= 2);
    assert.deepEqual(hung.slice(0, 1), ['silent']);
  } finally {
    await sup.stop('SIGTERM', 500);
    rmSync(dir, { recursive: true, force: true });
  }
});

void test('the default limit: max(60 s, 6 intervals)', () => {
  assert.equal(hungAfterMs(5), 60_000);
  assert.equal(hungAfterMs(30), 180_000);
});

void test('a heartbeat that does not parse counts as none: the child is not killed before the limit', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'defects-sup-'));
  const hb = join(dir, '.heartbeat-odd.json');
  const script = join(dir, 'odd.mjs');
  writeFileSync(
    script,
    `import { appendFileSync, writeFileSync } from 'node:fs';\nappendFileSync(${JSON.stringify(join(dir, 'starts'))}, 'x');\nsetInterval(() => writeFileSync(${JSON.stringify(hb)}, '{"time":"' + new Date().toISOString() + '"}'), 100);\n`,
  );
  const sup = new Supervisor({ initialBackoffMs: 50, maxBackoffMs: 200, hungCheckMs: 100 });
  const hung: number[] = [];
  sup.on('hung', (_n, ageMs) => hung.push(ageMs));
  sup.add({ name: 'odd', script, args: [], output: { logFile: join(dir, 'odd.log') }, heartbeat: { file: hb, hungAfterMs: 1500 } });
  try {
    await until('a restart', () => starts(join(dir, 'starts')) >= 2);
    assert.ok(hung[0]! > 1500, `killed after the limit, not at once (${hung[0]} ms)`);
  } finally {
    await sup.stop('SIGTERM', 500);
    rmSync(dir, { recursive: true, force: true });
  }
});
