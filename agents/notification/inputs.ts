// The agent's inputs: the insights and analysis files (re-read only when their identity changed) and the
// audit log, read on from the offset kept in the state (from the start again if it was truncated).
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import type { z } from 'zod';
import { readJsonFile } from '../../lib/atomic-file.ts';
import { fileIdentity } from '../../lib/file-watch.ts';
import { AuditRecord } from '../../lib/schemas.ts';

export class CachedJsonFile<S extends z.ZodType> {
  private identity = '';
  private value: z.infer<S> | null = null;

  readonly path: string;
  private readonly schema: S;

  constructor(path: string, schema: S) {
    this.path = path;
    this.schema = schema;
  }

  /** The file's content (null while absent); throws when it exists but breaks its contract. */
  read(): { value: z.infer<S> | null; changed: boolean } {
    const id = fileIdentity(this.path);
    if (id === this.identity) return { value: this.value, changed: false };
    this.value = id === 'missing' ? null : readJsonFile(this.path, this.schema);
    this.identity = id;
    return { value: this.value, changed: true };
  }
}

const MAX_READ = 4 * 1024 * 1024;

/** Complete lines appended since `offset`; records that do not parse are counted, not returned. */
export function readAuditFrom(path: string, offset: number): { records: AuditRecord[]; offset: number; rejected: number } {
  let size: number;
  try {
    size = statSync(path).size;
  } catch {
    return { records: [], offset: 0, rejected: 0 };
  }
  if (size < offset) offset = 0; // truncated or replaced
  if (size === offset) return { records: [], offset, rejected: 0 };
  const len = Math.min(size - offset, MAX_READ);
  const buf = Buffer.alloc(len);
  const fd = openSync(path, 'r');
  try {
    readSync(fd, buf, 0, len, offset);
  } finally {
    closeSync(fd);
  }
  const end = buf.lastIndexOf(0x0a);
  if (end < 0) return { records: [], offset, rejected: 0 };
  const records: AuditRecord[] = [];
  let rejected = 0;
  for (const line of buf.subarray(0, end).toString('utf8').split('\n')) {
    if (!line.trim()) continue;
    try {
      const r = AuditRecord.safeParse(JSON.parse(line));
      if (r.success) records.push(r.data);
      else rejected++;
    } catch {
      rejected++;
    }
  }
  return { records, offset: offset + end + 1, rejected };
}
