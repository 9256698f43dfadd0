// Properties of the shared command-line plumbing (lib/cli.ts), through a real command's parser
// (run-monitoring's configFrom): precedence flags > PODSENTINEL_* environment > config file (command
// section over "common") > defaults, and a numeric option given anywhere is either taken exactly as
// written and within its range, or refused with a UsageError (exit 2), never silently turned into
// another value.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { runMain, UsageError } from '../../lib/cli.ts';
import { configFrom } from '../../run-monitoring.ts';

const ENV = 'PODSENTINEL_ALERT_THRESHOLD';
const DEFAULT = 0.7;
let dir = '';
let saved: Record<string, string | undefined> = {};
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'cli-props-'));
  // Only this test's PODSENTINEL_* variables may count.
  saved = Object.fromEntries(
    Object.keys(process.env)
      .filter((k) => k.startsWith('PODSENTINEL_'))
      .map((k) => [k, process.env[k]]),
  );
  for (const k of Object.keys(saved)) delete process.env[k];
});
after(() => {
  delete process.env[ENV];
  Object.assign(process.env, saved);
  rmSync(dir, { recursive: true, force: true });
});

function configFile(data: unknown): string {
  const path = join(dir, `podsentinel-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(path, JSON.stringify(data));
  return path;
}

type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

/** run-monitoring's configuration from these sources; the alert threshold it ends with, or the error. */
function alertThreshold(o: {
  flag?: string | undefined;
  flagForm?: 'space' | 'equals';
  env?: string | undefined;
  config?: Record<string, unknown>;
}): Outcome {
  const argv = ['--config', configFile(o.config ?? {})];
  if (o.flag !== undefined) argv.push(...(o.flagForm === 'equals' ? [`--alert-threshold=${o.flag}`] : ['--alert-threshold', o.flag]));
  if (o.env !== undefined) process.env[ENV] = o.env;
  else delete process.env[ENV];
  try {
    return { ok: true, value: configFrom(argv)!.alertThreshold };
  } catch (error) {
    return { ok: false, error };
  } finally {
    delete process.env[ENV];
  }
}

/** What the option's value must be when `raw` (as written) is accepted: the number it says, within [0, 1]. */
function assertExact(out: Outcome, raw: unknown): void {
  if (!out.ok) {
    assert.ok(out.error instanceof UsageError, `refused with a UsageError, not ${String(out.error)}`);
    const meant = typeof raw === 'number' ? raw : typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : NaN;
    assert.ok(!(meant >= 0 && meant <= 1), `${JSON.stringify(raw)} is a valid threshold but was refused`);
    return;
  }
  assert.equal(typeof out.value, 'number', `${JSON.stringify(raw)} accepted as ${JSON.stringify(out.value)}`);
  const v = out.value as number;
  assert.ok(v >= 0 && v <= 1, `${JSON.stringify(raw)} accepted out of range as ${v}`);
  const expected = typeof raw === 'number' ? raw : typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : NaN;
  assert.ok(Object.is(v, expected) || v === expected, `${JSON.stringify(raw)} accepted as ${v}`);
}

const threshold = fc.double({ min: 0, max: 1, noNaN: true, noDefaultInfinity: true });
/** Text a person might give for a number: numbers of any size and form, near-numbers and junk (none blank). */
const numberText = fc
  .oneof(
    threshold.map(String),
    fc.double().map(String),
    fc.integer().map(String),
    fc.constantFrom(
      '0x1',
      '1e-1',
      '.5',
      ' 0.5',
      '0.5 ',
      'Infinity',
      '-0',
      '+0.5',
      '0b1',
      '0o1',
      '1_0',
      '½',
      '0,5',
      '1.',
      'NaN',
      'true',
      '0.5abc',
    ),
    fc.string({ maxLength: 8 }),
  )
  .filter((s) => s.trim() !== '' && !s.includes('\0'));

void test('property: flags > PODSENTINEL_* environment > config file (command section over "common") > defaults', () => {
  fc.assert(
    fc.property(
      fc.option(threshold, { nil: undefined }),
      fc.option(threshold, { nil: undefined }),
      fc.option(threshold, { nil: undefined }),
      fc.option(threshold, { nil: undefined }),
      (flag, env, section, common) => {
        const config: Record<string, unknown> = {};
        if (section !== undefined) config['run-monitoring'] = { 'alert-threshold': section };
        if (common !== undefined) config.common = { 'alert-threshold': common };
        const out = alertThreshold({
          flag: flag === undefined ? undefined : String(flag),
          env: env === undefined ? undefined : String(env),
          config,
        });
        assert.ok(out.ok);
        assert.equal(out.value, flag ?? env ?? section ?? common ?? DEFAULT);
      },
    ),
    { numRuns: 200 },
  );
});

void test('property: a non-blank number given as a flag or in the environment is taken as written within its range, or refused with a UsageError', () => {
  fc.assert(
    fc.property(numberText, fc.constantFrom<'space' | 'equals'>('space', 'equals'), fc.boolean(), (raw, flagForm, viaEnv) => {
      fc.pre(viaEnv || flagForm === 'equals' || raw !== '-'); // "--alert-threshold -": a flag without its value, below
      assertExact(viaEnv ? alertThreshold({ env: raw }) : alertThreshold({ flag: raw, flagForm }), raw);
    }),
    { numRuns: 400 },
  );
});

void test('property: a number or non-blank text in the config file is taken as written within its range, or refused with a UsageError', () => {
  fc.assert(
    fc.property(fc.oneof(fc.double({ noNaN: true, noDefaultInfinity: true }), threshold, numberText), (raw) => {
      assertExact(alertThreshold({ config: { 'run-monitoring': { 'alert-threshold': raw } } }), raw);
    }),
    { numRuns: 300 },
  );
});

void test('a refused value exits with code 2 (runMain), an accepted one with 0', async () => {
  const code = async (argv: string[]) => {
    const before = process.exitCode;
    await runMain(
      async (a) => {
        configFrom(a);
        return 0;
      },
      ['--config', configFile({}), ...argv],
    );
    const c = process.exitCode;
    process.exitCode = before;
    return c;
  };
  assert.equal(await code(['--alert-threshold', '1.5']), 2);
  assert.equal(await code(['--alert-threshold', 'abc']), 2);
  assert.equal(await code(['--alert-threshold', '0.5']), 0);
});

/** run-monitoring's alert threshold from these arguments (and an empty config file). */
function fromArgs(argv: string[]): Outcome {
  try {
    return { ok: true, value: configFrom(['--config', configFile({}), ...argv])!.alertThreshold };
  } catch (error) {
    return { ok: false, error };
  }
}

const refused = (cases: Array<[string, Outcome]>) => {
  const accepted = cases
    .filter(([, out]) => out.ok)
    .map(([label, out]) => `${label} → ${JSON.stringify((out as { value: unknown }).value)}`);
  assert.deepEqual(accepted, [], 'each of these must be a UsageError');
  for (const [, out] of cases) assert.ok(!out.ok && out.error instanceof UsageError);
};

// Blank values (refused since lib/options.ts) and non-numeric config values (true, false, null, an array)
// that yargs turns into numbers or passes through without a word.
void test('blank or non-numeric values are refused, not read as 0, 1 or an array', () => {
  refused([
    ['flag ""', alertThreshold({ flag: '' })],
    ['flag " "', alertThreshold({ flag: ' ' })],
    ['env ""', alertThreshold({ env: '' })],
    ...([true, false, null, '', [0.5]] as unknown[]).map((v): [string, Outcome] => [
      `config ${JSON.stringify(v)}`,
      alertThreshold({ config: { 'run-monitoring': { 'alert-threshold': v } } }),
    ]),
  ]);
});

// A number option followed by "-" or by another flag is left undefined by yargs, so the default is used
// without a word.
void test('a numeric flag without its value is refused, not read as the default', () => {
  refused([
    ['--alert-threshold (last)', fromArgs(['--alert-threshold'])],
    ['--alert-threshold -', fromArgs(['--alert-threshold', '-'])],
    ['--alert-threshold --no-llm', fromArgs(['--alert-threshold', '--no-llm'])],
  ]);
});
