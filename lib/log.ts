// Structured logs: JSON lines to logs/<component>.log, and a short human line on stderr.
// Values of secret environment variables are redacted from every message and field.
import { appendFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';

export type Level = 'debug' | 'info' | 'warn' | 'error';
const ORDER: Record<Level, number> = { debug: 10, info: 20, warn: 30, error: 40 };
const SECRET_ENV = ['NVIDIA_API_KEY', 'OPENAI_API_KEY', 'LLM_API_KEY', 'PODSENTINEL_API_TOKEN'];

export interface LoggerOptions {
  /** Directory for the JSON log file; undefined disables the file. */
  dir?: string | undefined;
  level?: Level;
  /** Console output: 'pretty' (default), 'json', or 'none'. */
  console?: 'pretty' | 'json' | 'none';
}

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  child(component: string): Logger;
  readonly component: string;
}

function secrets(): string[] {
  return SECRET_ENV.map((k) => process.env[k]).filter((v): v is string => !!v && v.length >= 4);
}

export function redact(text: string): string {
  let out = text;
  for (const s of secrets()) out = out.split(s).join('[REDACTED]');
  return out;
}

function errorFields(fields: Record<string, unknown> | undefined): Record<string, unknown> | undefined {
  if (!fields) return fields;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(fields)) out[k] = v instanceof Error ? { message: v.message, name: v.name } : v;
  return out;
}

export function createLogger(component: string, opts: LoggerOptions = {}): Logger {
  const min = ORDER[opts.level ?? (process.env.PODSENTINEL_LOG_LEVEL as Level | undefined) ?? 'info'] ?? ORDER.info;
  const consoleMode = opts.console ?? 'pretty';
  let file: string | undefined;
  if (opts.dir) {
    try {
      mkdirSync(opts.dir, { recursive: true });
      file = join(opts.dir, `${component.split('/')[0]}.log`);
    } catch {
      file = undefined;
    }
  }
  const write = (level: Level, msg: string, fields?: Record<string, unknown>) => {
    if (ORDER[level] < min) return;
    const record = { time: new Date().toISOString(), level, component, msg, ...errorFields(fields) };
    const json = redact(JSON.stringify(record));
    if (file) {
      try {
        appendFileSync(file, json + '\n');
      } catch {
        file = undefined; // a full or read-only disk must not stop the agent
      }
    }
    if (consoleMode === 'json') process.stderr.write(json + '\n');
    else if (consoleMode === 'pretty') {
      const extra = fields && Object.keys(fields).length ? ' ' + redact(JSON.stringify(errorFields(fields))) : '';
      process.stderr.write(`${record.time} ${level.toUpperCase().padEnd(5)} [${component}] ${redact(msg)}${extra}\n`);
    }
  };
  return {
    component,
    debug: (m, f) => write('debug', m, f),
    info: (m, f) => write('info', m, f),
    warn: (m, f) => write('warn', m, f),
    error: (m, f) => write('error', m, f),
    child: (sub) => createLogger(`${component}/${sub}`, opts),
  };
}

/** A logger that records into an array: for tests that assert on logged reasons. */
export function memoryLogger(
  component = 'test',
): Logger & { records: Array<{ level: Level; msg: string; fields?: Record<string, unknown> }> } {
  const records: Array<{ level: Level; msg: string; fields?: Record<string, unknown> }> = [];
  const make = (c: string): Logger => ({
    component: c,
    debug: (msg, fields) => records.push({ level: 'debug', msg, ...(fields ? { fields } : {}) }),
    info: (msg, fields) => records.push({ level: 'info', msg, ...(fields ? { fields } : {}) }),
    warn: (msg, fields) => records.push({ level: 'warn', msg, ...(fields ? { fields } : {}) }),
    error: (msg, fields) => records.push({ level: 'error', msg, ...(fields ? { fields } : {}) }),
    child: (sub) => make(`${c}/${sub}`),
  });
  return Object.assign(make(component), { records });
}
