// Large checkpoint state, spilled beside the checkpoint. One JSON document of the whole per-pod state stops
// working past V8's string limit (2^29−24 characters, ≈ 512 MiB: about 115,000 pods at 4.5 KB each), so
// every collection larger than `spillLimit.entries` goes to a sidecar file, one entry per line, written in
// chunks and fsynced before the checkpoint that names it is renamed into place; the checkpoint keeps a
// skeleton with markers. Small states (tests, small clusters) stay inline, exactly as before.
// This is the version-1 checkpoint format: the agent now writes binary state files (state-file.ts) and
// only reads this one, to migrate a checkpoint written by an older agent.
import { closeSync, fsyncSync, openSync, readdirSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { readdir, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { checkpointStatePrefix, checkpointStateFileName } from '../../lib/pipeline-files.ts';

/** Collections with more entries than this are spilled (tests lower it). */
export const spillLimit = { entries: 10_000 };

interface Marker {
  $spill: number;
  kind: 'object' | 'array';
}
/** What the checkpoint holds when something was spilled. */
interface Spilled {
  $spill_file: string;
  skeleton: unknown;
}

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && !ArrayBuffer.isView(v);

class ChunkWriter {
  private buf = '';
  private readonly fd: number;
  constructor(fd: number) {
    this.fd = fd;
  }
  line(s: string): void {
    this.buf += s + '\n';
    if (this.buf.length > 4 << 20) this.flush();
  }
  flush(): void {
    if (this.buf) writeSync(this.fd, this.buf);
    this.buf = '';
  }
}

let seq = 0;

/**
 * Returns what to store as the checkpoint's state: `state` itself when it has no large collection, else a
 * skeleton naming a freshly written (and fsynced) sidecar file next to `checkpointPath`.
 */
export function spillState(checkpointPath: string, state: unknown): unknown {
  if (!hasLarge(state)) return state;
  const name = checkpointStateFileName(checkpointPath, process.pid, seq++, 'ndjson');
  const fd = openSync(join(dirname(checkpointPath), name), 'w');
  try {
    const out = new ChunkWriter(fd);
    let next = 0;
    const walk = (v: unknown): unknown => {
      if (Array.isArray(v)) {
        if (v.length <= spillLimit.entries) return v.map(walk);
        const id = next++;
        for (const item of v) out.line(JSON.stringify([id, item === undefined ? null : item]));
        return { $spill: id, kind: 'array' } satisfies Marker;
      }
      if (!isPlainObject(v)) return v;
      const keys = Object.keys(v);
      if (keys.length <= spillLimit.entries) {
        const o: Record<string, unknown> = {};
        for (const k of keys) o[k] = walk(v[k]);
        return o;
      }
      const id = next++;
      for (const k of keys) if (v[k] !== undefined) out.line(JSON.stringify([id, k, v[k]]));
      return { $spill: id, kind: 'object' } satisfies Marker;
    };
    const skeleton = walk(state);
    out.flush();
    fsyncSync(fd);
    return { $spill_file: name, skeleton } satisfies Spilled;
  } finally {
    closeSync(fd);
  }
}

function hasLarge(v: unknown): boolean {
  if (Array.isArray(v)) return v.length > spillLimit.entries || v.some(hasLarge);
  if (!isPlainObject(v)) return false;
  const keys = Object.keys(v);
  return keys.length > spillLimit.entries || keys.some((k) => hasLarge(v[k]));
}

/** The state a checkpoint stored: itself, or rebuilt from its sidecar (throws when that is missing or corrupt). */
export function unspillState(checkpointPath: string, stored: unknown): unknown {
  if (!isPlainObject(stored) || typeof stored.$spill_file !== 'string') return stored;
  const file = join(dirname(checkpointPath), basename(stored.$spill_file));
  const buf = readFileSync(file);
  const containers = new Map<number, unknown[] | Record<string, unknown>>();
  const container = (id: number, kind: 'object' | 'array') => {
    let c = containers.get(id);
    if (!c) containers.set(id, (c = kind === 'array' ? [] : {}));
    return c;
  };
  let start = 0;
  for (let nl = buf.indexOf(10, start); nl >= 0; start = nl + 1, nl = buf.indexOf(10, start)) {
    const e = JSON.parse(buf.toString('utf8', start, nl)) as unknown[];
    if (e.length === 2) (container(e[0] as number, 'array') as unknown[]).push(e[1]);
    else if (e.length === 3) (container(e[0] as number, 'object') as Record<string, unknown>)[e[1] as string] = e[2];
    else throw new Error(`${file}: malformed entry`);
  }
  if (start !== buf.length) throw new Error(`${file} is truncated`);
  const rebuild = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(rebuild);
    if (!isPlainObject(v)) return v;
    if (typeof v.$spill === 'number' && (v.kind === 'array' || v.kind === 'object'))
      return containers.get(v.$spill) ?? (v.kind === 'array' ? [] : {});
    const o: Record<string, unknown> = {};
    for (const k of Object.keys(v)) o[k] = rebuild(v[k]);
    return o;
  };
  return rebuild(stored.skeleton);
}

/**
 * Deletes the state files of `checkpointPath` (ndjson sidecars of version 1, binary state files of version 2,
 * and partial ones of a crashed write) other than `keep`: the stored state whose sidecar the checkpoint now
 * names, or the name of its state file.
 */
export function removeOldSpills(checkpointPath: string, stored: unknown): void {
  const keep =
    typeof stored === 'string' ? stored : isPlainObject(stored) && typeof stored.$spill_file === 'string' ? stored.$spill_file : null;
  let names: string[];
  try {
    names = readdirSync(dirname(checkpointPath));
  } catch {
    return;
  }
  for (const n of names) if (isOldStateFile(checkpointPath, n, keep)) rmSync(join(dirname(checkpointPath), n), { force: true });
}

/** Whether `name` (in the checkpoint's directory) is one of its state files other than `keep`. */
function isOldStateFile(checkpointPath: string, name: string, keep: string | null): boolean {
  return name.startsWith(checkpointStatePrefix(checkpointPath)) && (name.endsWith('.ndjson') || name.endsWith('.bin')) && name !== keep;
}

/** removeOldSpills in the thread pool: unlinking a 1 GB state file can take tens of milliseconds. */
export async function removeOldSpillsAsync(checkpointPath: string, keep: string): Promise<void> {
  let names: string[];
  try {
    names = await readdir(dirname(checkpointPath));
  } catch {
    return;
  }
  for (const n of names) if (isOldStateFile(checkpointPath, n, keep)) await rm(join(dirname(checkpointPath), n), { force: true });
}
