// The three patch formats the API server accepts for built-in types: JSON merge patch (RFC 7386),
// strategic merge patch (lists of named things merged by key), and JSON patch (RFC 6902).
import { ApiError } from './errors.ts';

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type Obj = { [k: string]: Json };

export const PATCH_TYPES = {
  merge: 'application/merge-patch+json',
  strategic: 'application/strategic-merge-patch+json',
  json: 'application/json-patch+json',
  apply: 'application/apply-patch+yaml',
} as const;

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function clone<T>(v: T): T {
  return structuredClone(v);
}

/** RFC 7386: objects merge recursively, null deletes, everything else (arrays too) replaces. */
export function mergePatch(target: Json, patch: Json): Json {
  if (!isObj(patch)) return clone(patch);
  const out: Obj = isObj(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k] ?? null, v);
  }
  return out;
}

// Merge keys of the lists that Kubernetes' strategic merge patch merges by key (the ones a pod
// template and a node have); other lists are replaced.
const MERGE_KEYS: Record<string, string> = {
  containers: 'name',
  initContainers: 'name',
  ephemeralContainers: 'name',
  env: 'name',
  volumes: 'name',
  volumeMounts: 'mountPath',
  ports: 'containerPort',
  imagePullSecrets: 'name',
  conditions: 'type',
  tolerations: 'key',
  hostAliases: 'ip',
  topologySpreadConstraints: 'topologyKey',
};

function strategicList(field: string, target: Json[], patch: Json[]): Json[] {
  const key = MERGE_KEYS[field];
  if (!key || !patch.every(isObj)) return clone(patch).filter((v) => !(isObj(v) && v.$patch !== undefined));
  const replace = patch.find((p) => isObj(p) && p.$patch === 'replace');
  if (replace) return clone(patch.filter((p) => !(isObj(p) && p.$patch === 'replace')));
  const out = target.map((t) => clone(t));
  for (const item of patch as Obj[]) {
    const id = item[key];
    const idx = out.findIndex((t) => isObj(t) && t[key] === id);
    if (item.$patch === 'delete') {
      if (idx >= 0) out.splice(idx, 1);
      continue;
    }
    if (idx >= 0) out[idx] = strategicMerge(out[idx]!, item);
    else out.push(strategicMerge({}, item));
  }
  return out;
}

/** Strategic merge patch: as merge patch, but keyed lists merge element-wise; `$` directives honoured or dropped. */
export function strategicMerge(target: Json, patch: Json): Json {
  if (!isObj(patch)) return clone(patch);
  if (patch.$patch === 'replace') {
    const { $patch: _drop, ...rest } = patch;
    return clone(rest);
  }
  const out: Obj = isObj(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (k.startsWith('$')) continue; // $setElementOrder/..., $retainKeys, $deleteFromPrimitiveList
    if (v === null) delete out[k];
    else if (Array.isArray(v)) out[k] = strategicList(k, Array.isArray(out[k]) ? (out[k] as Json[]) : [], v);
    else out[k] = strategicMerge(out[k] ?? null, v);
  }
  return out;
}

function pointer(path: string): string[] {
  if (path === '') return [];
  if (!path.startsWith('/')) throw new ApiError(422, 'Invalid', `invalid JSON pointer "${path}"`);
  return path
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function getAt(doc: Json, parts: string[]): Json | undefined {
  let cur: Json | undefined = doc;
  for (const p of parts) {
    if (Array.isArray(cur)) cur = cur[Number(p)];
    else if (isObj(cur)) cur = cur[p];
    else return undefined;
  }
  return cur;
}

function parentOf(doc: Json, parts: string[], op: string): { parent: Obj | Json[]; key: string } {
  const parent = getAt(doc, parts.slice(0, -1));
  if (!isObj(parent) && !Array.isArray(parent)) throw new ApiError(422, 'Invalid', `${op}: path /${parts.join('/')} has no parent`);
  return { parent, key: parts[parts.length - 1]! };
}

/** RFC 6902 operations: add, remove, replace, move, copy, test. */
export function jsonPatch(target: Json, ops: unknown): Json {
  if (!Array.isArray(ops)) throw new ApiError(400, 'BadRequest', 'a JSON patch must be an array of operations');
  let doc = clone(target);
  for (const raw of ops) {
    if (!isObj(raw) || typeof raw.op !== 'string' || typeof raw.path !== 'string') {
      throw new ApiError(400, 'BadRequest', 'each JSON patch operation needs "op" and "path"');
    }
    const op = raw.op;
    const parts = pointer(raw.path);
    const value = raw.value === undefined ? undefined : clone(raw.value);
    if (op === 'test') {
      if (JSON.stringify(getAt(doc, parts)) !== JSON.stringify(value)) throw new ApiError(422, 'Invalid', `test failed at ${raw.path}`);
      continue;
    }
    let moved: Json | undefined = value;
    if (op === 'move' || op === 'copy') {
      const from = pointer(String(raw.from ?? ''));
      moved = clone(getAt(doc, from));
      if (moved === undefined) throw new ApiError(422, 'Invalid', `${op}: nothing at ${String(raw.from)}`);
      if (op === 'move') doc = removeAt(doc, from);
    }
    if (op === 'remove') {
      doc = removeAt(doc, parts);
    } else if (op === 'add' || op === 'replace' || op === 'move' || op === 'copy') {
      if (moved === undefined) throw new ApiError(422, 'Invalid', `${op} at ${raw.path} needs a value`);
      if (parts.length === 0) {
        doc = moved;
        continue;
      }
      const { parent, key } = parentOf(doc, parts, op);
      if (Array.isArray(parent)) {
        const idx = key === '-' ? parent.length : Number(key);
        if (!Number.isInteger(idx) || idx < 0 || idx > parent.length) throw new ApiError(422, 'Invalid', `${op}: bad index at ${raw.path}`);
        if (op === 'replace') {
          if (idx >= parent.length) throw new ApiError(422, 'Invalid', `replace: nothing at ${raw.path}`);
          parent[idx] = moved;
        } else parent.splice(idx, 0, moved);
      } else {
        if (op === 'replace' && !(key in parent)) throw new ApiError(422, 'Invalid', `replace: nothing at ${raw.path}`);
        parent[key] = moved;
      }
    } else {
      throw new ApiError(400, 'BadRequest', `unknown JSON patch op "${op}"`);
    }
  }
  return doc;
}

function removeAt(doc: Json, parts: string[]): Json {
  const { parent, key } = parentOf(doc, parts, 'remove');
  if (Array.isArray(parent)) {
    const idx = Number(key);
    if (!(idx >= 0 && idx < parent.length)) throw new ApiError(422, 'Invalid', `remove: nothing at /${parts.join('/')}`);
    parent.splice(idx, 1);
  } else {
    if (!(key in parent)) throw new ApiError(422, 'Invalid', `remove: nothing at /${parts.join('/')}`);
    delete parent[key];
  }
  return doc;
}

/** Applies a patch body of the given content type; 415 for types the simulator does not support. */
export function applyPatch(contentType: string | undefined, target: Json, body: unknown): Json {
  const type = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  if (type === PATCH_TYPES.json) return jsonPatch(target, body);
  if (!isObj(body)) throw new ApiError(400, 'BadRequest', 'a merge patch body must be a JSON object');
  if (type === PATCH_TYPES.merge) return mergePatch(target, body as Json);
  if (type === PATCH_TYPES.strategic) return strategicMerge(target, body as Json);
  throw new ApiError(
    415,
    'UnsupportedMediaType',
    `the body of the request was in an unknown format - accepted media types include: ${PATCH_TYPES.json}, ${PATCH_TYPES.merge}, ${PATCH_TYPES.strategic}`,
  );
}
