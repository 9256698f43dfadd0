// Atomic JSON output and schema-checked input: a reader never sees a half-written file, and a file
// that does not match its contract gives an error naming the file and the field.
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeSync, appendFileSync } from 'node:fs';
import { promises as fsp } from 'node:fs';
import { dirname, basename, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { z } from 'zod';

/** Writes text to a temp file beside `path`, fsyncs it, and renames it over `path`. */
export function writeFileAtomic(path: string, text: string | Buffer): void {
  const dir = dirname(path);
  mkdirSync(dir, { recursive: true });
  const tmp = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  const fd = openSync(tmp, 'w');
  try {
    writeSync(fd, typeof text === 'string' ? Buffer.from(text) : text);
    fsyncSync(fd);
  } catch (err) {
    closeSync(fd);
    rmSync(tmp, { force: true });
    throw err;
  }
  closeSync(fd);
  try {
    renameSync(tmp, path);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
  try {
    const dfd = openSync(dir, 'r');
    fsyncSync(dfd);
    closeSync(dfd);
  } catch {
    // Directory fsync is not supported everywhere; the rename is still atomic.
  }
}

/**
 * writeFileAtomic with the write, fsync, rename and directory fsync done in the thread pool, so that a
 * large file does not stall the caller's thread. Same guarantees; concurrent calls for one path must be
 * serialised by the caller (the last rename wins).
 */
export async function writeFileAtomicAsync(path: string, text: string | Buffer): Promise<void> {
  const dir = dirname(path);
  await fsp.mkdir(dir, { recursive: true });
  const tmp = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  const fh = await fsp.open(tmp, 'w');
  try {
    await fh.writeFile(text);
    await fh.sync();
  } catch (err) {
    await fh.close().catch(() => {});
    await fsp.rm(tmp, { force: true });
    throw err;
  }
  await fh.close();
  try {
    await fsp.rename(tmp, path);
  } catch (err) {
    await fsp.rm(tmp, { force: true });
    throw err;
  }
  try {
    const dh = await fsp.open(dir, 'r');
    await dh.sync().finally(() => dh.close());
  } catch {
    // Directory fsync is not supported everywhere; the rename is still atomic.
  }
}

export function writeJsonAtomic<T>(path: string, value: T, schema?: z.ZodType<T>): void {
  const checked = schema ? schema.parse(value) : value;
  writeFileAtomic(path, JSON.stringify(checked, null, 2) + '\n');
}

export class ContractError extends Error {}

/** Reads and parses a JSON file; null when it does not exist, ContractError when it is not JSON. */
export function readJsonText(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new ContractError(`${path} is not valid JSON: ${(err as Error).message}`);
  }
}

/** Reads and validates a JSON file; null when it does not exist. */
export function readJsonFile<S extends z.ZodType>(path: string, schema: S): z.infer<S> | null {
  const data = readJsonText(path);
  if (data === null) return null;
  const result = schema.safeParse(data);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new ContractError(`${path} does not match its schema at ${issue?.path.join('.') || '(root)'}: ${issue?.message}`);
  }
  return result.data;
}

/** Appends one JSON object as a line (the audit log's format), validated first. */
export function appendJsonLine<T>(path: string, value: T, schema?: z.ZodType<T>): void {
  const checked = schema ? schema.parse(value) : value;
  mkdirSync(dirname(path), { recursive: true });
  appendFileSync(path, JSON.stringify(checked) + '\n');
}

/** Reads a JSON-lines file, skipping (and counting) lines that do not parse or validate. */
export function readJsonLines<S extends z.ZodType>(path: string, schema: S): { records: z.infer<S>[]; rejected: number } {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { records: [], rejected: 0 };
    throw err;
  }
  const records: z.infer<S>[] = [];
  let rejected = 0;
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    try {
      const r = schema.safeParse(JSON.parse(line));
      if (r.success) records.push(r.data);
      else rejected++;
    } catch {
      rejected++;
    }
  }
  return { records, rejected };
}
