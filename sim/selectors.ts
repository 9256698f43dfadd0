// Label and field selectors as the API server parses them (the common subset): `a=b`, `a==b`, `a!=b`,
// `a`, `!a`, `a in (x,y)`, `a notin (x,y)` for labels; `path=value`, `path!=value` for fields.
import { ApiError } from './errors.ts';

export type Matcher<T> = (item: T) => boolean;

function splitTop(s: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of s) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      out.push(cur);
      cur = '';
    } else cur += ch;
  }
  if (cur.trim()) out.push(cur);
  return out.map((x) => x.trim()).filter(Boolean);
}

export function labelMatcher(selector: string | undefined): Matcher<Record<string, string>> {
  if (!selector || !selector.trim()) return () => true;
  const tests: Matcher<Record<string, string>>[] = [];
  for (const term of splitTop(selector)) {
    let m: RegExpExecArray | null;
    if ((m = /^([\w./-]+)\s+(in|notin)\s+\(([^)]*)\)$/.exec(term))) {
      const [, key, op, list] = m as unknown as [string, string, string, string];
      const values = new Set(list.split(',').map((v) => v.trim()));
      tests.push(op === 'in' ? (l) => key in l && values.has(l[key]!) : (l) => !(key in l) || !values.has(l[key]!));
    } else if ((m = /^([\w./-]+)\s*(==|=|!=)\s*([\w./-]*)$/.exec(term))) {
      const [, key, op, value] = m as unknown as [string, string, string, string];
      tests.push(op === '!=' ? (l) => l[key] !== value : (l) => l[key] === value);
    } else if ((m = /^!([\w./-]+)$/.exec(term))) {
      const key = m[1]!;
      tests.push((l) => !(key in l));
    } else if ((m = /^([\w./-]+)$/.exec(term))) {
      const key = m[1]!;
      tests.push((l) => key in l);
    } else {
      throw new ApiError(400, 'BadRequest', `unable to parse requirement: invalid label selector "${selector}"`);
    }
  }
  return (l) => tests.every((t) => t(l));
}

function getPath(obj: unknown, path: string): string | undefined {
  let cur: unknown = obj;
  for (const part of path.split('.')) {
    if (typeof cur !== 'object' || cur === null) return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur === undefined || cur === null ? undefined : String(cur);
}

/** A field selector over the rendered object; `allowed` lists the fields this resource supports. */
export function fieldMatcher(selector: string | undefined, allowed: string[]): Matcher<unknown> {
  if (!selector || !selector.trim()) return () => true;
  const tests: Matcher<unknown>[] = [];
  for (const term of splitTop(selector)) {
    const m = /^([\w.]+)\s*(==|=|!=)\s*(.*)$/.exec(term);
    if (!m) throw new ApiError(400, 'BadRequest', `invalid field selector "${selector}"`);
    const [, field, op, value] = m as unknown as [string, string, string, string];
    if (!allowed.includes(field)) {
      throw new ApiError(400, 'BadRequest', `field label not supported: ${field}`);
    }
    tests.push(op === '!=' ? (o) => (getPath(o, field) ?? '') !== value : (o) => (getPath(o, field) ?? '') === value);
  }
  return (o) => tests.every((t) => t(o));
}
