// The dashboard: a Fastify plugin serving `/` and `/assets/*`. The page (web/, Preact + uPlot) is bundled
// with esbuild in memory when the plugin is registered (~0.1 s) and served from there: nothing built is
// committed, nothing is fetched from the network, and the page needs no external asset.
import { mkdirSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import type { FastifyInstance } from 'fastify';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const ENTRY = join(ROOT, 'web', 'main.tsx');

export interface DashboardOptions {
  /** Also write the bundle here (it is served from memory either way). */
  devBuildDir?: string;
}

export interface DashboardBundle {
  /** Where the files were also written, if anywhere. */
  dir: string | null;
  /** File name → contents (main.js, main.css). */
  files: Map<string, Buffer>;
  buildMs: number;
  bytes: number;
}

const CONTENT_TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
};

// Only the page's own origin: no CDN, no inline script. Styles set through the DOM (uPlot, Preact) are allowed by 'self'.
const CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'";

const INDEX_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>podsentinel</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/assets/main.css">
</head>
<body>
<div id="app"></div>
<script type="module" src="/assets/main.js"></script>
</body>
</html>
`;

/**
 * Bundles web/ (minified, ES2022, no source maps) in memory: parallel servers never race on a shared output
 * directory. With `devBuildDir` the files are also written there, to inspect what is served.
 */
export async function buildDashboard(devBuildDir?: string): Promise<DashboardBundle> {
  const started = performance.now();
  const result = await build({
    entryPoints: { main: ENTRY },
    outdir: devBuildDir ?? join(ROOT, '.web-build'),
    write: false,
    bundle: true,
    minify: true,
    format: 'esm',
    target: 'es2022',
    jsx: 'automatic',
    jsxImportSource: 'preact',
    legalComments: 'none',
    logLevel: 'silent',
    absWorkingDir: ROOT,
  });
  const buildMs = performance.now() - started;
  const files = new Map<string, Buffer>();
  for (const f of result.outputFiles) files.set(basename(f.path), Buffer.from(f.contents));
  if (devBuildDir) {
    mkdirSync(devBuildDir, { recursive: true });
    for (const [name, body] of files) writeFileSync(join(devBuildDir, name), body);
  }
  const bytes = [...files.values()].reduce((n, b) => n + b.length, 0);
  return { dir: devBuildDir ?? null, files, buildMs, bytes };
}

/** One build per process: the sources do not change while it runs, and tests build many app instances. */
let shared: Promise<DashboardBundle> | null = null;

/** Registers `/` and `/assets/*`; the bundle is built at the first registration in the process. */
export async function dashboardRoutes(app: FastifyInstance, opts: DashboardOptions = {}): Promise<void> {
  const bundle = await (opts.devBuildDir
    ? buildDashboard(opts.devBuildDir)
    : (shared ??= buildDashboard().catch((err: unknown) => {
        shared = null;
        throw err;
      })));
  app.log.info({ dir: bundle.dir, build_ms: Math.round(bundle.buildMs), kib: Math.round(bundle.bytes / 1024) }, 'dashboard built');
  const security = { 'content-security-policy': CSP, 'x-content-type-options': 'nosniff', 'referrer-policy': 'no-referrer' };
  app.get('/', async (_req, reply) =>
    reply
      .headers({ ...security, 'cache-control': 'no-cache' })
      .type('text/html; charset=utf-8')
      .send(INDEX_HTML),
  );
  app.get<{ Params: { file: string } }>('/assets/:file', async (req, reply) => {
    const body = bundle.files.get(req.params.file);
    const ext = req.params.file.slice(req.params.file.lastIndexOf('.'));
    if (!body || !CONTENT_TYPES[ext]) {
      return reply
        .code(404)
        .type('application/problem+json')
        .send({ type: 'about:blank', title: 'Not Found', status: 404, detail: 'no such asset' });
    }
    return reply
      .headers({ ...security, 'cache-control': 'no-cache' })
      .type(CONTENT_TYPES[ext])
      .send(body);
  });
}
