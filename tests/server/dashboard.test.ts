// The dashboard plugin on its own Fastify instance: the page and its two assets, built from web/ by
// esbuild at registration, with a Content-Security-Policy that admits only the server's own origin.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify from 'fastify';
import { dashboardRoutes } from '../../server/dashboard.ts';

void test('dashboard: / links the bundled script and style sheet, served with a same-origin CSP; no external URL', async () => {
  const app = Fastify();
  await app.register(dashboardRoutes);
  try {
    const page = await app.inject({ method: 'GET', url: '/' });
    assert.equal(page.statusCode, 200);
    assert.match(page.headers['content-type'] as string, /^text\/html/);
    assert.match(page.headers['content-security-policy'] as string, /default-src 'self'; script-src 'self'/);
    assert.match(page.body, /<script type="module" src="\/assets\/main\.js">/);
    assert.match(page.body, /href="\/assets\/main\.css"/);

    const js = await app.inject({ method: 'GET', url: '/assets/main.js' });
    assert.equal(js.statusCode, 200);
    assert.match(js.headers['content-type'] as string, /^text\/javascript/);
    assert.ok(js.body.includes('/api/events'), 'the bundle holds the dashboard code');
    assert.doesNotMatch(
      js.body,
      /https?:\/\/(?!127\.0\.0\.1|localhost)[a-z0-9.-]+\.[a-z]{2,}\/[\w/.-]*\.(js|css|woff2?)\b/i,
      'no external asset',
    );

    const css = await app.inject({ method: 'GET', url: '/assets/main.css' });
    assert.equal(css.statusCode, 200);
    assert.ok(css.body.includes('.uplot'), "uPlot's style sheet is bundled in");
  } finally {
    await app.close();
  }
});

void test('dashboard: an unknown asset is a problem+json 404, and no path reaches outside the bundle', async () => {
  const app = Fastify();
  await app.register(dashboardRoutes);
  try {
    for (const url of ['/assets/nope.js', '/assets/..%2Fpackage.json', '/assets/main.js.map']) {
      const r = await app.inject({ method: 'GET', url });
      assert.equal(r.statusCode, 404, url);
      assert.match(r.headers['content-type'] as string, /^application\/problem\+json/);
      assert.equal(r.json().status, 404);
    }
  } finally {
    await app.close();
  }
});

void test('dashboard: devBuildDir receives the files that are served', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'podsentinel-web-'));
  const app = Fastify();
  await app.register(dashboardRoutes, { devBuildDir: dir });
  try {
    assert.deepEqual(readdirSync(dir).sort(), ['main.css', 'main.js']);
  } finally {
    await app.close();
  }
});
