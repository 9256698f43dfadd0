// Command-line plumbing shared by every command: yargs with one precedence for configuration,
//   flags  >  environment (PODSENTINEL_<OPTION>, e.g. PODSENTINEL_ALERT_THRESHOLD)  >  config file  >  defaults,
// where the config file is --config FILE or config/podsentinel.json, its "common" section merged with
// the section named after the command. Also: running a module directly (`npx tsx file.ts`).
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import yargs from 'yargs';
import { z } from 'zod';
import { guardedStdio } from './stdio.ts';
import { COMMON_OPTIONS, rejectEmptyNumbers } from './options.ts';
import { UsageError } from './usage-error.ts';

export { UsageError };

export const DEFAULT_CONFIG_FILE = 'config/podsentinel.json';
const ENV_PREFIX = 'PODSENTINEL';

function configFileFrom(argv: string[]): string | undefined {
  const i = argv.findIndex((a) => a === '--config' || a.startsWith('--config='));
  if (i >= 0) return argv[i]!.includes('=') ? argv[i]!.split('=')[1] : argv[i + 1];
  return process.env.PODSENTINEL_CONFIG ?? (existsSync(DEFAULT_CONFIG_FILE) ? DEFAULT_CONFIG_FILE : undefined);
}

/** A config file: an object whose sections ("common", one per command) are objects of option values. */
const ConfigFile = z.record(z.string(), z.record(z.string(), z.unknown()));

/** The merged config-file values for a command ({} when there is no file). */
export function loadConfigSection(command: string, argv: string[] = []): Record<string, unknown> {
  const file = configFileFrom(argv);
  if (!file) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new UsageError(`cannot read config file ${file}: ${(err as Error).message}`);
  }
  const shape = ConfigFile.safeParse(parsed);
  if (!shape.success)
    throw new UsageError(
      `config file ${file} must hold a JSON object of sections ("common", "${command}", ...): ${shape.error.issues[0]?.path.join('.') || 'top level'}: ${shape.error.issues[0]?.message}`,
    );
  const data = shape.data;
  const pick = (k: string) => data[k] ?? {};
  return { ...pick('common'), ...pick(command) };
}

/** A yargs parser with the shared precedence, --config, strict options and --help. */
export function cli(command: string, argv: string[], description: string) {
  const config = loadConfigSection(command, argv);
  const parser = yargs(argv);
  return (
    parser
      .scriptName(command)
      .usage(`$0 [options]\n\n${description}`)
      .env(ENV_PREFIX)
      .config(config)
      .option('config', {
        ...COMMON_OPTIONS.config,
        describe: `JSON config file ("common" and "${command}" sections); default ${DEFAULT_CONFIG_FILE} when present`,
      })
      .option('log-dir', COMMON_OPTIONS['log-dir'])
      .option('log-level', COMMON_OPTIONS['log-level'])
      // A single-valued option given twice takes its last value, as in most CLIs (yargs would make it an
      // array that reaches fs calls and number checks); repeatable options (array: true) keep every value.
      .middleware((parsed) => lastValueWins(parsed, (parser as unknown as DeclaredOptions).getOptions().array), true)
      // PODSENTINEL_* variables that are not this command's options belong to another command of the
      // pipeline (run-monitoring's children share one environment) or are secrets read directly
      // (PODSENTINEL_API_TOKEN): they are not unknown arguments here.
      .middleware((parsed) => dropForeignEnv(parsed, (parser as unknown as DeclaredOptions).getOptions().key, argv, process.env), true)
      // Before the command's own checks: an empty number would otherwise reach them as 0. yargs passes its
      // parser options (the declared number options and their aliases) as the second argument.
      .check((parsed, declared) => {
        rejectEmptyNumbers(declared as never, { argv, env: process.env, envPrefix: ENV_PREFIX, config, parsed });
        return true;
      })
      .epilogue('Precedence: command-line flags > environment variables (PODSENTINEL_<OPTION_NAME>) > config file > defaults.')
      .strictOptions()
      .help()
      .alias('h', 'help')
      .version(false)
      .wrap(Math.min(110, process.stdout.columns || 100))
      .exitProcess(false)
      .fail((msg, err) => {
        throw err ?? new UsageError(msg);
      })
  );
}

/** yargs keeps its declared options at run time but leaves getOptions() out of its types. */
interface DeclaredOptions {
  getOptions(): { array: string[]; key: Record<string, unknown> };
}

const camel = (key: string) => key.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

/** Collapses repeated values of options not declared `array` to the last one (in place). */
export function lastValueWins(parsed: Record<string, unknown>, arrayOptions: readonly string[]): void {
  const arrays = new Set(arrayOptions.flatMap((k) => [k, camel(k)]));
  for (const [key, value] of Object.entries(parsed)) {
    if (key !== '_' && Array.isArray(value) && !arrays.has(key)) parsed[key] = value.at(-1);
  }
}

/** Removes keys that come only from PODSENTINEL_* variables naming no declared option (see cli()). */
export function dropForeignEnv(
  parsed: Record<string, unknown>,
  declared: Record<string, unknown>,
  argv: readonly string[],
  env: NodeJS.ProcessEnv,
): void {
  const known = new Set(Object.keys(declared).flatMap((k) => [k, camel(k)]));
  const onCommandLine = new Set(argv.filter((a) => a.startsWith('--')).map((a) => a.slice(2).split('=')[0]!.replace(/^no-/, '')));
  for (const name of Object.keys(env)) {
    if (!name.startsWith(`${ENV_PREFIX}_`)) continue;
    const kebab = name
      .slice(ENV_PREFIX.length + 1)
      .toLowerCase()
      .replace(/_/g, '-');
    if (known.has(kebab) || onCommandLine.has(kebab)) continue;
    delete parsed[kebab];
    delete parsed[camel(kebab)];
  }
}

/** True when `moduleUrl` is the file node was started with (`npx tsx file.ts`). */
export function isMain(moduleUrl: string): boolean {
  const entry = process.argv[1];
  if (!entry) return false;
  try {
    return resolve(entry) === fileURLToPath(moduleUrl) || resolve(entry) === fileURLToPath(moduleUrl).replace(/\.ts$/, '');
  } catch {
    return false;
  }
}

/**
 * Runs a command's main with the shared error handling: errors print as one clear line (usage errors
 * also show the hint) and set the exit code (2 for usage, 1 otherwise).
 */
export async function runMain(main: (argv: string[]) => Promise<number | void>, argv: string[]): Promise<void> {
  // A closed pipe or terminal on stdout/stderr is never a crash; commands that care ask guardedStdio().
  const { err: stderr } = guardedStdio();
  try {
    const code = await main(argv);
    if (typeof code === 'number') process.exitCode = code;
  } catch (err) {
    stderr.write(`error: ${(err as Error)?.message ?? String(err)}\n`);
    if (err instanceof UsageError) stderr.write('Run with --help for usage.\n');
    process.exitCode = err instanceof UsageError ? 2 : 1;
  }
}

/** Runs a command's main when its file is executed directly (`npx tsx file.ts`). */
export function runIfMain(moduleUrl: string, main: (argv: string[]) => Promise<number | void>): void {
  if (isMain(moduleUrl)) void runMain(main, process.argv.slice(2));
}

/** yargs with exitProcess(false) returns after --help; commands check this and return 0. */
export function helpShown(argv: string[]): boolean {
  return argv.includes('--help') || argv.includes('-h');
}
