// --mask-names: replaces the pod, namespace, node and workload names with neutral tokens before anything
// is sent to the LLM, and puts them back in its reply. Matches whole names only (a name is not masked
// inside a longer name), longest first, so a ReplicaSet name never eats part of its pod's name.
import { podNode, type PodContext } from './context-types.ts';

const NAME_CHAR = '[a-z0-9-]';

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function replacer(pairs: Array<[string, string]>): (text: string) => string {
  const sorted = pairs.filter(([from]) => from !== '').sort((a, b) => b[0].length - a[0].length);
  if (sorted.length === 0) return (t) => t;
  const map = new Map(sorted);
  const re = new RegExp(`(?<!${NAME_CHAR})(${sorted.map(([f]) => escapeRe(f)).join('|')})(?!${NAME_CHAR})`, 'g');
  return (text) => text.replace(re, (m) => map.get(m) ?? m);
}

/** Applies `f` to every string inside a JSON-like value. */
export function mapStrings<T>(value: T, f: (s: string) => string): T {
  if (typeof value === 'string') return f(value) as T;
  if (Array.isArray(value)) return value.map((v) => mapStrings(v, f)) as T;
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, mapStrings(v, f)])) as T;
  }
  return value;
}

export class NameMasker {
  readonly mask: (text: string) => string;
  readonly unmask: (text: string) => string;
  /** real name → token */
  readonly tokens: Map<string, string>;

  constructor(ctx: PodContext) {
    this.tokens = new Map();
    const add = (name: string | undefined, kind: string) => {
      if (!name || this.tokens.has(name)) return;
      const n = [...this.tokens.values()].filter((t) => t.startsWith(`masked-${kind}-`)).length + 1;
      this.tokens.set(name, `masked-${kind}-${n}`);
    };
    add(ctx.insight.pod, 'pod');
    add(ctx.insight.namespace, 'namespace');
    add(podNode(ctx), 'node');
    for (const link of ctx.ownerChain) add(link.name, 'workload');
    add(ctx.insight.workload, 'workload');
    const pairs = [...this.tokens.entries()];
    this.mask = replacer(pairs);
    this.unmask = replacer(pairs.map(([a, b]) => [b, a]));
  }
}
