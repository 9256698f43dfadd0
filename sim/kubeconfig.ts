// The kubeconfig the simulator writes: one cluster (server URL + CA data), one user (bearer token),
// one context; YAML as kubectl writes it, readable by kubectl and @kubernetes/client-node alike.
import { writeFileAtomic } from '../lib/atomic-file.ts';

export function kubeconfigYaml(server: string, caPem: string, token: string, namespace = 'default'): string {
  const ca = Buffer.from(caPem).toString('base64');
  return [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    '- name: podsentinel-sim',
    '  cluster:',
    `    server: ${server}`,
    `    certificate-authority-data: ${ca}`,
    'users:',
    '- name: podsentinel-sim-admin',
    '  user:',
    `    token: ${token}`,
    'contexts:',
    '- name: podsentinel-sim',
    '  context:',
    '    cluster: podsentinel-sim',
    '    user: podsentinel-sim-admin',
    `    namespace: ${namespace}`,
    'current-context: podsentinel-sim',
    'preferences: {}',
    '',
  ].join('\n');
}

export function writeKubeconfig(path: string, server: string, caPem: string, token: string): void {
  writeFileAtomic(path, kubeconfigYaml(server, caPem, token));
}
