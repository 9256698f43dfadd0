// orchestrator/pipeline-metrics.ts: run-monitoring's endpoint merges its children's series, asked over the
// IPC channel (real child processes answering through lib/metrics-server.ts); a child that does not answer
// is left out (and counted) instead of blocking the scrape; remediations are counted from the audit log.
import assert from 'node:assert/strict';
import { fork, type ChildProcess } from 'node:child_process';
import { appendFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, test } from 'node:test';
import { initMetrics, M, resetMetricsForTests } from '../../lib/metrics.ts';
import { PipelineMetrics } from '../../orchestrator/pipeline-metrics.ts';

const LIB = resolve('lib');
const kids: ChildProcess[] = [];

/** A child process that names itself `component`, counts `rows` and answers metrics requests (or never does). */
function child(dir: string, component: string, rows: number, answers = true): Promise<ChildProcess> {
  const file = join(dir, `${component}.mts`);
  writeFileSync(
    file,
    answers
      ? `import { M } from '${LIB}/metrics.ts';
import { startMetrics } from '${LIB}/metrics-server.ts';
await startMetrics('${component}', {});
M.rowsRead().inc(${rows});
process.send!('ready');
setInterval(() => {}, 1000);
`
      : `process.send!('ready');
setInterval(() => {}, 1000);
`,
  );
  const c = fork(file, [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  kids.push(c);
  return new Promise((res, rej) => {
    c.once('message', () => res(c));
    c.once('exit', (code) => rej(new Error(`child ${component} exited (${code})`)));
  });
}

afterEach(() => {
  for (const k of kids.splice(0)) k.kill('SIGKILL');
  resetMetricsForTests();
});

void test("run-monitoring's endpoint merges the children's series by component, without waiting for a hung child", async () => {
  const dir = mkdtempSync(join(tmpdir(), 'podsentinel-metrics-'));
  initMetrics('run-monitoring');
  M.childUp().set({ child: 'a' }, 1);
  const [a, b, hung] = await Promise.all([child(dir, 'agent-a', 5), child(dir, 'agent-b', 7), child(dir, 'hung', 0, false)]);
  const metrics = new PipelineMetrics({
    children: () => [
      { name: 'agent-a', process: a },
      { name: 'agent-b', process: b },
      { name: 'hung', process: hung },
      { name: 'not-running', process: null },
    ],
    timeoutMs: 1500,
  });
  const text = await metrics.render();
  assert.match(text, /^podsentinel_rows_read_total\{component="agent-a"\} 5$/m);
  assert.match(text, /^podsentinel_rows_read_total\{component="agent-b"\} 7$/m);
  assert.match(text, /^podsentinel_child_up\{child="a",component="run-monitoring"\} 1$/m);
  // One HELP/TYPE per family, every process's series under it; the children's process metrics stay apart
  // (process_start_time_seconds would be dropped by prom-client's default 'omit' aggregation).
  assert.equal(text.match(/^# TYPE podsentinel_rows_read_total counter$/gm)?.length, 1);
  for (const c of ['run-monitoring', 'agent-a', 'agent-b'])
    assert.match(text, new RegExp(`^process_start_time_seconds\\{component="${c}"\\}`, 'm'));
  assert.match(text, /^podsentinel_child_scrape_errors_total\{child="hung",component="run-monitoring"\} 1$/m);
  assert.doesNotMatch(text, /child="not-running"/, 'a stopped child is not an error');

  // A child that exits is simply missing from the next scrape.
  b.kill('SIGKILL');
  await new Promise((r) => b.once('exit', r));
  const after = await metrics.render();
  assert.match(after, /component="agent-a"/);
  assert.doesNotMatch(after, /podsentinel_rows_read_total\{component="agent-b"\}/);
});

void test('remediations are counted from the records appended to the audit log, by stage, action and result', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'podsentinel-metrics-'));
  const audit = join(dir, 'remediation_history.jsonl');
  const rec = (event: string, action: string, result: string) =>
    JSON.stringify({ ts: new Date().toISOString(), event, analysis_id: 'a1', action, params: {}, user: 'u', result }) + '\n';
  writeFileSync(audit, rec('execution', 'restart_pod', 'ok')); // there before the start: not counted
  initMetrics('run-monitoring');
  const metrics = new PipelineMetrics({ children: () => [], auditFile: audit });
  appendFileSync(
    audit,
    rec('proposal', 'restart_pod', 'proposed') +
      rec('decision', 'restart_pod', 'approved') +
      rec('execution', 'restart_pod', 'ok') +
      rec('execution', 'made_up_action', 'a result that is a whole sentence') +
      'not json\n' +
      rec('verification', 'restart_pod', 'RESOLVED').slice(0, 20), // a line still being written
  );
  const text = await metrics.render();
  assert.match(
    text,
    /^podsentinel_remediations_total\{stage="decision",action="restart_pod",result="approved",component="run-monitoring"\} 1$/m,
  );
  assert.match(
    text,
    /^podsentinel_remediations_total\{stage="execution",action="restart_pod",result="ok",component="run-monitoring"\} 1$/m,
  );
  assert.match(text, /^podsentinel_remediations_total\{stage="execution",action="other",result="other",component="run-monitoring"\} 1$/m);
  assert.doesNotMatch(text, /stage="proposal"/);
  appendFileSync(audit, rec('verification', 'restart_pod', 'RESOLVED').slice(20));
  assert.match(
    await metrics.render(),
    /^podsentinel_remediations_total\{stage="verification",action="restart_pod",result="RESOLVED",component="run-monitoring"\} 1$/m,
  );
});
