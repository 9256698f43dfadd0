// RBAC as the API server sees a request: the request attributes (verb, API group, resource, subresource,
// namespace, name, or a non-resource URL) of every request, and an optional authorizer over the rules of
// Roles and ClusterRoles, so tests can prove the shipped manifests grant what the code uses and no more.
// An authorizer denies with 403 and the API server's own Status message.
import { readFileSync } from 'node:fs';
import { loadAllYaml } from '@kubernetes/client-node';
import { z } from 'zod';

export interface RequestAttributes {
  /** get, list, watch, create, update, patch, delete, deletecollection (HEAD is get). */
  verb: string;
  /** Set for /api and /apis resource paths; otherwise `path` is a non-resource URL. */
  resourceRequest: boolean;
  apiGroup: string;
  resource: string;
  subresource: string;
  namespace: string;
  name: string;
  path: string;
}

/** Request attributes of `method path?query`, as the API server's request-info resolver derives them. */
export function requestAttributes(method: string, segs: string[], query: Record<string, string>, path: string): RequestAttributes {
  const base = { resourceRequest: false, apiGroup: '', resource: '', subresource: '', namespace: '', name: '', path };
  const m = method.toUpperCase();
  const watch = query.watch === 'true' || query.watch === '1';
  let rest: string[];
  let apiGroup = '';
  if (segs[0] === 'api' && segs.length >= 3) rest = segs.slice(2);
  else if (segs[0] === 'apis' && segs.length >= 4) {
    apiGroup = segs[1]!;
    rest = segs.slice(3);
  } else return { ...base, verb: m === 'HEAD' ? 'get' : m.toLowerCase() };
  let legacyWatch = false;
  if (rest[0] === 'watch') {
    legacyWatch = true;
    rest = rest.slice(1);
  }
  let namespace = '';
  // namespaces/{ns}/<resource>... is namespaced; namespaces and namespaces/{name} are the namespace itself.
  if (rest[0] === 'namespaces' && rest.length >= 3) {
    namespace = rest[1]!;
    rest = rest.slice(2);
  } else if (rest[0] === 'namespaces' && rest.length === 2) namespace = rest[1]!;
  const [resource = '', name = '', subresource = ''] = rest;
  let verb: string;
  switch (m) {
    case 'GET':
    case 'HEAD':
      verb = legacyWatch || watch ? 'watch' : name ? 'get' : 'list';
      break;
    case 'POST':
      verb = 'create';
      break;
    case 'PUT':
      verb = 'update';
      break;
    case 'PATCH':
      verb = 'patch';
      break;
    case 'DELETE':
      verb = name ? 'delete' : 'deletecollection';
      break;
    default:
      verb = m.toLowerCase();
  }
  return { verb, resourceRequest: true, apiGroup, resource, subresource, namespace, name, path };
}

/** One Kubernetes PolicyRule (rbac.authorization.k8s.io/v1). */
export const PolicyRule = z.object({
  apiGroups: z.array(z.string()).optional(),
  resources: z.array(z.string()).optional(),
  resourceNames: z.array(z.string()).optional(),
  nonResourceURLs: z.array(z.string()).optional(),
  verbs: z.array(z.string()).min(1),
});
export type PolicyRule = z.infer<typeof PolicyRule>;

/** Rules that hold cluster-wide (a ClusterRoleBinding) or in one namespace (a RoleBinding). */
export interface RbacGrant {
  rules: PolicyRule[];
  namespace?: string;
}

const has = (list: string[] | undefined, v: string) => !!list && (list.includes('*') || list.includes(v));

/** Whether one rule allows the request (the semantics of the API server's RBAC authorizer). */
export function ruleAllows(rule: PolicyRule, a: RequestAttributes): boolean {
  if (!has(rule.verbs, a.verb)) return false;
  if (!a.resourceRequest) {
    return (rule.nonResourceURLs ?? []).some((u) => u === '*' || u === a.path || (u.endsWith('*') && a.path.startsWith(u.slice(0, -1))));
  }
  if (!has(rule.apiGroups, a.apiGroup)) return false;
  const combined = a.subresource ? `${a.resource}/${a.subresource}` : a.resource;
  const resources = rule.resources ?? [];
  const resOk =
    resources.includes('*') ||
    resources.includes(combined) ||
    (a.subresource ? resources.includes(`*/${a.subresource}`) : false) ||
    (!a.subresource && resources.includes(`${a.resource}/*`));
  if (!resOk) return false;
  return !rule.resourceNames?.length || rule.resourceNames.includes(a.name);
}

/** Discovery every authenticated user may read (the system:discovery and system:public-info-viewer roles). */
const DISCOVERY: PolicyRule = {
  nonResourceURLs: ['/api', '/api/*', '/apis', '/apis/*', '/version', '/version/', '/healthz', '/livez', '/readyz', '/openapi/*'],
  verbs: ['get'],
};

export function grantsAllow(grants: RbacGrant[], a: RequestAttributes): boolean {
  if (ruleAllows(DISCOVERY, a)) return true;
  return grants.some(
    (g) => (g.namespace === undefined || (a.namespace !== '' && g.namespace === a.namespace)) && g.rules.some((r) => ruleAllows(r, a)),
  );
}

/** The message a real API server gives when RBAC denies the request. */
export function forbiddenMessage(a: RequestAttributes, user: string): string {
  if (!a.resourceRequest) return `forbidden: User "${user}" cannot ${a.verb} path "${a.path}"`;
  const res = a.subresource ? `${a.resource}/${a.subresource}` : a.resource;
  const what = a.name ? `${a.resource} "${a.name}" is forbidden` : `${a.resource} is forbidden`;
  const where = a.namespace ? `in the namespace "${a.namespace}"` : 'at the cluster scope';
  return `${what}: User "${user}" cannot ${a.verb} resource "${res}" in API group "${a.apiGroup}" ${where}`;
}

const RoleDoc = z.object({
  kind: z.enum(['Role', 'ClusterRole']),
  metadata: z.object({ name: z.string(), namespace: z.string().optional() }),
  rules: z.array(PolicyRule).nullish(),
});
const BindingDoc = z.object({
  kind: z.enum(['RoleBinding', 'ClusterRoleBinding']),
  metadata: z.object({ name: z.string(), namespace: z.string().optional() }),
  roleRef: z.object({ kind: z.enum(['Role', 'ClusterRole']), name: z.string() }),
});

/**
 * The grants in a list of Kubernetes objects (e.g. `kubectl kustomize` output): each binding gives its
 * role's rules cluster-wide (ClusterRoleBinding) or in the binding's namespace (RoleBinding). Objects of
 * other kinds are ignored; a binding to a role not in the list is an error.
 */
export function grantsFromObjects(objects: unknown[]): RbacGrant[] {
  const roles = new Map<string, PolicyRule[]>();
  const bindings: z.infer<typeof BindingDoc>[] = [];
  for (const o of objects) {
    const kind = (o as { kind?: unknown })?.kind;
    if (kind === 'Role' || kind === 'ClusterRole') {
      const r = RoleDoc.parse(o);
      roles.set(`${r.kind}/${r.kind === 'Role' ? `${r.metadata.namespace ?? 'default'}/` : ''}${r.metadata.name}`, r.rules ?? []);
    } else if (kind === 'RoleBinding' || kind === 'ClusterRoleBinding') bindings.push(BindingDoc.parse(o));
  }
  return bindings.map((b) => {
    const ns = b.metadata.namespace ?? 'default';
    const key = b.roleRef.kind === 'Role' ? `Role/${ns}/${b.roleRef.name}` : `ClusterRole/${b.roleRef.name}`;
    const rules = roles.get(key);
    if (!rules) throw new Error(`${b.kind} ${b.metadata.name} refers to ${b.roleRef.kind} ${b.roleRef.name}, which is not in the file`);
    return b.kind === 'ClusterRoleBinding' ? { rules } : { rules, namespace: ns };
  });
}

/** Grants from a YAML file of RBAC objects (multi-document). */
export function loadRbacFile(path: string): RbacGrant[] {
  const docs = loadAllYaml(readFileSync(path, 'utf8')).filter(Boolean);
  const items = docs.flatMap((d: { kind?: string; items?: unknown[] }) => (d.kind === 'List' && Array.isArray(d.items) ? d.items : [d]));
  return grantsFromObjects(items);
}
