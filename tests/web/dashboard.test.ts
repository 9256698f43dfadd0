// The dashboard in a real browser on the memory-leak demo: run-monitoring --demo (no terminal, so the
// browser is the only approver) starts podsentinel-server and prints the dashboard URL with its token.
// The page shows the leaking pod highlighted, draws its charts, approves a restart through the confirmation
// dialog, and shows the verification result when run-remediation records it. Screenshots go to test-results/.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { readJsonLines } from '../../lib/atomic-file.ts';
import { AuditRecord } from '../../lib/schemas.ts';
import { MonitorSession } from '../helpers/e2e-support.ts';
import { collectPageErrors, launchChromium, pageUntil, screenshot } from './browser.ts';

const SPEED = process.env.E2E_SPEED ?? '5';
/** The workload the memory-leak scenario makes leak (sim/scenarios/memory-leak.json). */
const LEAKING = 'monitoring/log-aggregator';
const RESTART = /^(restart_pod|rollout_restart)$/;
const DETECT_TIMEOUT_MS = 150_000;
const VERIFY_TIMEOUT_MS = 150_000;

const audit = (s: MonitorSession) => readJsonLines(join(s.dataDir, 'remediation_history.jsonl'), AuditRecord).records;

// In-page code is passed as source text: the tests compile without the DOM library.
/** Every canvas uPlot drew in the pod view, with its size. */
const canvasSizes = (page: Page) =>
  page.evaluate<Array<{ w: number; h: number }>>(
    `[...document.querySelectorAll('.chart canvas')].map((c) => ({ w: c.width, h: c.height }))`,
  );

/** Records, in the page, the milliseconds from each audit record's timestamp to its `remediation` event. */
const watchEventLatency = (page: Page) =>
  page.evaluate(`window.latencies = [];
    new EventSource('/api/events').addEventListener('remediation', (ev) => window.latencies.push(Date.now() - Date.parse(JSON.parse(ev.data).ts)));`);

async function untilHealthy(s: MonitorSession, base: string): Promise<void> {
  let healthy = false;
  await s.until(
    `${base}api/health to answer`,
    () => {
      fetch(`${base}api/health`).then(
        (r) => (healthy ||= r.ok),
        () => {},
      );
      return healthy;
    },
    60_000,
  );
}

void test(
  'dashboard: the leaking pod is highlighted, its charts draw, Approve restarts it and the verification shows',
  { timeout: 420_000 },
  async (t) => {
    const browser = await launchChromium();
    const s = MonitorSession.start(
      ['--demo', '--scenario', 'memory-leak', '--speed', SPEED, '--seed', '7', '--no-llm', '--verify-delay', '20'],
      {
        tty: false,
      },
    );
    try {
      const [, base, token] = await s.waitFor(/(http:\/\/[\w.:[\]-]+\/)#token=([\w.~%-]+)/, 'the dashboard URL on the output', 90_000);
      // The URL is printed when the server child starts; it answers once its bundle is built and it listens.
      await untilHealthy(s, base!);
      const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      const errors = collectPageErrors(page);
      await page.goto(`${base}#token=${token}`);
      await pageUntil(page, `!location.hash.includes('token=')`, 'the token to leave the address bar', 10_000);
      assert.equal(await page.evaluate(`sessionStorage.getItem('podsentinel.token')`), token, 'the token is kept for this tab');

      // Cluster view: the leaking pod, highlighted.
      const leaking = page.locator(`a.pod.anomalous[data-pod^="${LEAKING}"]`).first();
      await leaking.waitFor({ timeout: DETECT_TIMEOUT_MS });
      await screenshot(page, 'dashboard-cluster');

      // Pod view: five charts with a drawn canvas each.
      await leaking.click();
      await page.locator('[data-testid="verdict"].anomalous').waitFor({ timeout: 30_000 });
      await pageUntil(page, `document.querySelectorAll('.chart canvas').length >= 5`, 'five charts', 30_000);
      const sizes = await canvasSizes(page);
      assert.ok(
        sizes.every((c) => c.w > 0 && c.h > 0),
        `every chart canvas has a size: ${JSON.stringify(sizes)}`,
      );
      const podShot = await screenshot(page, 'dashboard-pod');
      if (process.env.UPDATE_DOCS_SCREENSHOT === '1') {
        mkdirSync('docs/images', { recursive: true });
        copyFileSync(podShot, 'docs/images/dashboard.png');
      }

      // Anomaly view: approve the restart of the leaking pod, through the confirmation dialog.
      await page.getByRole('link', { name: /Open the analysis/ }).click({ timeout: DETECT_TIMEOUT_MS });
      const proposal = page
        .locator('.proposal')
        .filter({ has: page.locator('.proposal-head b', { hasText: RESTART }) })
        .first();
      const approve = proposal.getByRole('button', { name: 'Approve' });
      // Pending: run-remediation has validated it and run its dry run (without a terminal it waits for a decision).
      await proposal.locator('[data-step="Dry run"]').waitFor({ timeout: 90_000 });
      await approve.waitFor({ timeout: 10_000 });
      const action = (await proposal.locator('.proposal-head b').textContent())!.trim();
      await watchEventLatency(page);
      await approve.click();
      const dialog = page.locator('dialog.confirm');
      await dialog.waitFor();
      assert.match((await dialog.textContent()) ?? '', new RegExp(action));
      await dialog.getByRole('button', { name: 'Approve' }).click();
      await page.locator('.notice', { hasText: 'queued' }).waitFor({ timeout: 10_000 });

      // The verification result arrives through the event stream.
      const verification = proposal.locator('[data-step="Verification"]');
      await verification.waitFor({ timeout: VERIFY_TIMEOUT_MS });
      await screenshot(page, 'dashboard-anomaly');
      assert.match((await verification.textContent()) ?? '', /RESOLVED/, 'the restart resolved the leak');

      const records = audit(s).filter((r) => r.action === action && String(r.params.namespace) === 'monitoring');
      const decision = records.find((r) => r.event === 'decision');
      assert.equal(decision?.via, 'web', 'the decision came from the browser');
      assert.equal(decision?.result, 'approved');
      assert.ok(
        records.some((r) => r.event === 'execution' && r.result === 'ok'),
        'the restart was executed',
      );

      const latencies = await page.evaluate<number[]>(`window.latencies`);
      t.diagnostic(`audit record → page latency (ms): ${latencies.join(', ')}`);
      assert.deepEqual(errors, [], 'the page logged no error');
      assert.equal(await s.stop(), 0);
    } catch (err) {
      for (const page of browser.contexts().flatMap((c) => c.pages())) await screenshot(page, 'dashboard-failure').catch(() => {});
      throw err;
    } finally {
      await browser.close();
      s.forceKill();
    }
  },
);
