// The image recipe, run without a container engine: the Dockerfile is parsed, its dependency stage's
// `npm ci` runs from the npm registry in a clean copy of the tracked files (filtered by .dockerignore, as
// `COPY . .` sends them), and every command answers --help through the ENTRYPOINT with production
// dependencies only. Needs registry access (CI has it); slow (one npm ci, a few minutes).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '..', '..');

interface Stage {
  from: string;
  name?: string;
  instructions: Array<{ op: string; args: string }>;
}

/** Dockerfile instructions by stage (comments dropped, continuation lines joined). */
function parseDockerfile(text: string): Stage[] {
  const lines = text
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  const stages: Stage[] = [];
  for (const line of lines) {
    const m = /^(\w+)\s+(.*)$/.exec(line);
    assert.ok(m, `a Dockerfile instruction: ${line}`);
    const op = m[1]!.toUpperCase();
    if (op === 'FROM') {
      const [from, as, name] = m[2]!.split(/\s+/);
      stages.push({ from: from!, ...(as?.toUpperCase() === 'AS' ? { name } : {}), instructions: [] });
    } else {
      assert.ok(stages.length > 0, `${op} before FROM`);
      stages.at(-1)!.instructions.push({ op, args: m[2]!.replace(/\s+/g, ' ') });
    }
  }
  return stages;
}

/** .dockerignore patterns as matchers over repository paths (a matched directory excludes its files). */
function dockerignore(text: string): (path: string) => boolean {
  const res = text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'))
    .map(
      (p) =>
        new RegExp(
          `^${p
            .replace(/^\//, '')
            .replace(/[.+^${}()|[\]\\]/g, '\\$&')
            .replace(/\*/g, '[^/]*')}(/|$)`,
        ),
    );
  return (path) => res.some((re) => re.test(path));
}

void test('Dockerfile: node:24-slim stages, npm ci without dev dependencies, non-root, the bin dispatcher as entrypoint', () => {
  const stages = parseDockerfile(readFileSync(join(ROOT, 'Dockerfile'), 'utf8'));
  assert.ok(stages.length >= 2, 'multi-stage');
  for (const s of stages) assert.equal(s.from, 'node:24-slim');
  const [deps, final] = [stages[0]!, stages.at(-1)!];
  const npmCi = deps.instructions.find((i) => i.op === 'RUN' && /\bnpm ci\b/.test(i.args));
  assert.match(npmCi?.args ?? '', /--omit=dev/);
  assert.ok(!final.instructions.some((i) => i.op === 'RUN' && /\bnpm (ci|install)\b/.test(i.args)), 'no install in the final stage');
  assert.ok(final.instructions.some((i) => i.op === 'COPY' && i.args.startsWith(`--from=${deps.name} /app/node_modules`)));
  const user = final.instructions.filter((i) => i.op === 'USER').at(-1)?.args ?? '';
  assert.match(user, /^[1-9]\d{3,}(:\d+)?$/, 'a numeric non-root uid');
  const env = final.instructions
    .filter((i) => i.op === 'ENV')
    .map((i) => i.args)
    .join(' ');
  assert.match(env, /TMPDIR=\/tmp/, "tsx's cache goes to the writable temp directory");
  assert.deepEqual(JSON.parse(final.instructions.find((i) => i.op === 'ENTRYPOINT')!.args), ['node', 'bin/podsentinel.mjs']);
});

void test(
  'image build steps in a clean copy: npm ci --omit=dev from the registry, then every command --help',
  { timeout: 15 * 60_000 },
  () => {
    const stages = parseDockerfile(readFileSync(join(ROOT, 'Dockerfile'), 'utf8'));
    const deps = stages[0]!;
    const final = stages.at(-1)!;
    const tmp = mkdtempSync(join(tmpdir(), 'podsentinel-image-'));
    try {
      // The tracked files as they are in the working tree (a clean clone plus uncommitted edits).
      const tracked = execFileSync('git', ['ls-files', '-z', '--cached'], { cwd: ROOT, encoding: 'utf8' })
        .split('\0')
        .filter((f) => f && existsSync(join(ROOT, f)));
      const copy = (files: string[], to: string) => {
        for (const f of files) {
          mkdirSync(dirname(join(to, f)), { recursive: true });
          cpSync(join(ROOT, f), join(to, f));
        }
      };

      // Stage 1: the files its COPY names, then its RUN lines, as /bin/sh -c would run them.
      const build = join(tmp, 'deps');
      mkdirSync(build);
      for (const i of deps.instructions) {
        if (i.op === 'COPY') copy(i.args.split(' ').slice(0, -1), build);
        if (i.op === 'RUN') {
          const r = spawnSync('/bin/sh', ['-c', i.args], {
            cwd: build,
            encoding: 'utf8',
            // No npm_* variables of the npm that started this test (its prefix would point npm ci elsewhere).
            env: {
              ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k))),
              npm_config_cache: join(tmp, 'npm-cache'),
              NODE_ENV: 'production',
            },
          });
          const out = `${r.stdout}\n${r.stderr}`;
          if (/ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ETIMEDOUT|ECONNRESET|network/i.test(out) && r.status !== 0)
            assert.fail(`the npm registry is unreachable; this test needs registry access (CI has it):\n${out.slice(-2000)}`);
          assert.equal(r.status, 0, `RUN ${i.args} failed:\n${out.slice(-4000)}`);
        }
      }
      const nm = join(build, 'node_modules');
      assert.ok(existsSync(join(nm, 'tsx')) && existsSync(join(nm, '@kubernetes/client-node')), 'production dependencies installed');
      for (const dev of ['node', 'typescript', 'eslint', 'prettier', 'fast-check', 'playwright-core'])
        assert.ok(!existsSync(join(nm, dev)), `the devDependency ${dev} is not installed`);

      // Final stage: COPY . . (minus .dockerignore), the dependencies from stage 1.
      const app = join(tmp, 'app');
      const ignored = dockerignore(readFileSync(join(ROOT, '.dockerignore'), 'utf8'));
      copy(
        tracked.filter((f) => !ignored(f)),
        app,
      );
      assert.ok(!existsSync(join(app, 'tests')) && existsSync(join(app, 'models/artifacts/default/model.json')));
      renameSync(nm, join(app, 'node_modules'));

      const entry = JSON.parse(final.instructions.find((i) => i.op === 'ENTRYPOINT')!.args) as string[];
      const dispatcher = readFileSync(join(app, entry[1]!), 'utf8');
      const commands = [...dispatcher.matchAll(/^\s+'([a-z-]+)': '[^']+\.ts',$/gm)].map((m) => m[1]!);
      assert.ok(commands.includes('run-monitoring') && commands.length >= 7, commands.join(', '));
      const home = join(tmp, 'home');
      mkdirSync(home);
      for (const command of commands) {
        // `node` of the image is Node 24: the one running this test.
        const r = spawnSync(process.execPath, [...entry.slice(1), command, '--help'], {
          cwd: app,
          encoding: 'utf8',
          env: { PATH: process.env.PATH, NODE_ENV: 'production', TMPDIR: join(tmp, 'tmp'), HOME: home },
          timeout: 120_000,
        });
        assert.equal(r.status, 0, `${command} --help in the image layout: ${String(r.error ?? '')}\n${r.stdout}\n${r.stderr}`);
        assert.match(r.stdout, new RegExp(`^${command} \\[options\\]`, 'm'), `${command} prints its usage`);
      }
    } finally {
      if (!process.env.KEEP_IMAGE_COPY) rmSync(tmp, { recursive: true, force: true });
    }
  },
);
