// API discovery documents (legacy, non-aggregated form): enough for kubectl and client libraries to
// find pods, nodes, events, namespaces, deployments and statefulsets (+scale), daemonsets, replicasets, PDBs,
// leases and metrics.k8s.io.

interface Resource {
  name: string;
  singularName: string;
  namespaced: boolean;
  kind: string;
  verbs: string[];
  shortNames?: string[];
  categories?: string[];
  group?: string;
  version?: string;
}

const R = (
  name: string,
  singularName: string,
  namespaced: boolean,
  kind: string,
  verbs: string[],
  extra: Partial<Resource> = {},
): Resource => ({
  name,
  singularName,
  namespaced,
  kind,
  verbs,
  ...extra,
});

export const GROUPS: Record<string, Resource[]> = {
  v1: [
    R('events', '', true, 'Event', ['get', 'list'], { shortNames: ['ev'] }),
    R('namespaces', '', false, 'Namespace', ['get', 'list'], { shortNames: ['ns'] }),
    R('nodes', '', false, 'Node', ['get', 'list', 'patch'], { shortNames: ['no'] }),
    R('nodes/proxy', '', false, 'NodeProxyOptions', ['get']),
    R('pods', '', true, 'Pod', ['delete', 'get', 'list'], { shortNames: ['po'], categories: ['all'] }),
    R('pods/eviction', '', true, 'Eviction', ['create'], { group: 'policy', version: 'v1' }),
    R('pods/log', '', true, 'Pod', ['get']),
  ],
  'apps/v1': [
    R('deployments', '', true, 'Deployment', ['get', 'list', 'patch', 'update'], { shortNames: ['deploy'], categories: ['all'] }),
    R('deployments/scale', '', true, 'Scale', ['get', 'patch', 'update'], { group: 'autoscaling', version: 'v1' }),
    R('replicasets', '', true, 'ReplicaSet', ['get', 'list'], { shortNames: ['rs'], categories: ['all'] }),
    R('statefulsets', '', true, 'StatefulSet', ['get', 'list', 'patch', 'update'], { shortNames: ['sts'], categories: ['all'] }),
    R('statefulsets/scale', '', true, 'Scale', ['get', 'patch', 'update'], { group: 'autoscaling', version: 'v1' }),
    R('daemonsets', '', true, 'DaemonSet', ['get', 'list', 'patch', 'update'], { shortNames: ['ds'], categories: ['all'] }),
  ],
  'policy/v1': [R('poddisruptionbudgets', '', true, 'PodDisruptionBudget', ['get', 'list'], { shortNames: ['pdb'] })],
  'coordination.k8s.io/v1': [R('leases', '', true, 'Lease', ['create', 'delete', 'get', 'list', 'patch', 'update'])],
  'metrics.k8s.io/v1beta1': [R('nodes', '', false, 'NodeMetrics', ['get', 'list']), R('pods', '', true, 'PodMetrics', ['get', 'list'])],
};

export function apiVersions(serverAddress: string): Record<string, unknown> {
  return { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }] };
}

function group(name: string, version: string): Record<string, unknown> {
  const gv = { groupVersion: `${name}/${version}`, version };
  return { name, versions: [gv], preferredVersion: gv };
}

export function apiGroupList(): Record<string, unknown> {
  return {
    kind: 'APIGroupList',
    apiVersion: 'v1',
    groups: [group('apps', 'v1'), group('policy', 'v1'), group('coordination.k8s.io', 'v1'), group('metrics.k8s.io', 'v1beta1')],
  };
}

export function apiGroup(name: string): Record<string, unknown> | undefined {
  const version = { apps: 'v1', policy: 'v1', 'coordination.k8s.io': 'v1', 'metrics.k8s.io': 'v1beta1' }[name];
  if (!version) return undefined;
  return { kind: 'APIGroup', apiVersion: 'v1', ...group(name, version) };
}

export function resourceList(groupVersion: string): Record<string, unknown> | undefined {
  const resources = GROUPS[groupVersion];
  if (!resources) return undefined;
  return {
    kind: 'APIResourceList',
    apiVersion: 'v1',
    groupVersion,
    resources: resources.map((r) => ({ ...r, storageVersionHash: '' })),
  };
}

export function versionInfo(): Record<string, unknown> {
  return {
    major: '1',
    minor: '31',
    gitVersion: 'v1.31.0-podsentinel-sim',
    gitCommit: '0000000000000000000000000000000000000000',
    gitTreeState: 'clean',
    buildDate: '2026-11-01T00:00:00Z',
    goVersion: 'go1.22.0',
    compiler: 'gc',
    platform: 'linux/amd64',
  };
}
