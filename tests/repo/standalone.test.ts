// The repository stands alone and installs quietly: no tracked file reaches outside the checkout, every
// dependency with an install script is reviewed in package.json's allowScripts, and npm prints no
// warnings when it runs the project's commands on the system Node (which may be older than our Node 24).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';

const ROOT = join(import.meta.dirname, '..', '..');

function trackedTextFiles(): string[] {
  const out = execFileSync('git', ['ls-files', '-z'], { cwd: ROOT, encoding: 'utf8' });
  return out
    .split('\0')
    .filter((f) => /\.(ts|mjs|js|md|json|sh)$/.test(f) || f === '.npmrc')
    .filter((f) => !f.startsWith('.ci/') && !f.startsWith('bench/nab/corpus/') && f !== 'package-lock.json');
}

void test('no tracked file reads, links or cites anything beside the checkout, or an issue number', () => {
  const outside = /\.\.\/shared|\bshared\/(design|benchmarks|fixtures)\b/;
  const issueRef = /\bissues? ?#?\d+\b/i;
  const offenders: string[] = [];
  for (const file of trackedTextFiles()) {
    if (file === 'tests/repo/standalone.test.ts') continue; // the patterns above
    const lines = readFileSync(join(ROOT, file), 'utf8').split('\n');
    lines.forEach((line, i) => {
      if (outside.test(line) || issueRef.test(line)) offenders.push(`${file}:${i + 1}: ${line.trim().slice(0, 120)}`);
    });
  }
  assert.deepEqual(offenders, []);
});

const PackageJson = z.object({ allowScripts: z.record(z.string(), z.boolean()) });
const Lock = z.object({ packages: z.record(z.string(), z.object({ hasInstallScript: z.boolean().optional() })) });

void test('every locked package with an install script has a reviewed allowScripts entry', () => {
  const { allowScripts } = PackageJson.parse(JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')));
  const lock = Lock.parse(JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')));
  const withScripts = Object.entries(lock.packages)
    .filter(([path, p]) => path !== '' && p.hasInstallScript)
    .map(([path]) => path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length));
  assert.ok(withScripts.includes('node'), 'the node devDependency (our Node 24) installs through its preinstall script');
  assert.deepEqual(
    withScripts.filter((name) => !(name in allowScripts)),
    [],
  );
  assert.equal(allowScripts.node, true);
});

void test('npm runs a bin and a script without a warning, whatever Node runs npm', () => {
  // Under `npm test` these point at the npm that runs us and the Node that runs it (the system Node).
  const npmCli = process.env.npm_execpath;
  const npmNode = process.env.npm_node_execpath;
  assert.ok(npmCli && npmNode, 'run this test through `npm test`, which sets npm_execpath and npm_node_execpath');
  // --loglevel=warn undoes .npmrc's quiet level: what the package metadata itself provokes must be clean.
  for (const args of [
    ['exec', '--offline', '--loglevel=warn', '--', 'run-monitoring', '--help'],
    ['run', '--loglevel=warn', 'typecheck', '--', '--version'],
  ]) {
    const r: SpawnSyncReturns<string> = spawnSync(npmNode, [npmCli, ...args], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
    assert.equal(r.status, 0, `npm ${args.join(' ')}: ${r.stderr}`);
    assert.doesNotMatch(r.stderr, /npm warn|EBADENGINE|install-scripts/i, `npm ${args.join(' ')} printed: ${r.stderr}`);
  }
});
