// A real Chromium for the dashboard tests (playwright-core drives the system browser; nothing is downloaded).
// A missing browser is a failure with the fix in the message, never a skip.
import { existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const RESULTS_DIR = resolve('test-results');

export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH))
    throw new Error(
      `Chromium not found at ${CHROMIUM_PATH}: the dashboard test needs a real browser. ` +
        'Install it (apt-get install chromium) or point CHROMIUM_PATH at one.',
    );
  // CI runs as root, where Chromium's sandbox cannot start.
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: ['--no-sandbox'] });
}

/** Errors the page raised or logged: a clean page has none. */
export function collectPageErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`console: ${m.text()}`);
  });
  return errors;
}

export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const path = join(RESULTS_DIR, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}

/**
 * Polls an expression in the page until it is truthy. (page.waitForFunction compiles its predicate inside
 * the page, which the dashboard's Content-Security-Policy rightly forbids; evaluate() is not affected.)
 */
export async function pageUntil<T>(page: Page, expression: string, what: string, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await page.evaluate<T>(expression);
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${Math.round(timeoutMs / 1000)} s waiting in the page for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
