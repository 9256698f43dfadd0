// Golden digests of the simulator: every scenario, a fixed seed and start time, run for a fixed number
// of ticks, hashed (SHA-256) at the three places its output leaves it: the pod_metrics.csv rows built
// from SimCluster.truth(), the CSV the real K8sCollector writes over the HTTPS API, and the raw API
// responses (lists, tables, single objects, metrics, logs, writes, a watch, the Prometheus page).
// Every scenario goes through the truth path; the HTTPS paths use demo and a scenario with every
// workload kind.
// The digests were recorded from the simulator before it was split into modules: any change here is a
// change of behaviour, not of layout.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { K8sCollector } from '../../collectors/k8s-collector.ts';
import { loadKubeConfig } from '../../lib/kube.ts';
import { memoryLogger } from '../../lib/log.ts';
import { formatHeader, formatRows, METRIC_COLUMNS, MetricsCsvWriter } from '../../lib/metrics-csv.ts';
import { rowsFromTruth } from '../../bench/sim-data/rows.ts';
import { SimCluster, startSim, type SimHandle } from '../../sim/index.ts';
import { loadScenario, scaleScenario, scenarioNames } from '../../sim/scenario.ts';

const SEED = 7;
const START = '2026-01-05T00:00:00Z';
const TRUTH_TICKS = 320; // past the first OOM kills, the churn at ticks 40/60/200/300 and the demo's tick-160 fault
const HTTP_TICKS = 15;

const tmp = mkdtempSync(join(tmpdir(), 'podsentinel-golden-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

const sha = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');

/** Every workload kind, a PDB, pod- and deployment-scope faults on each kind, and churn on each kind. */
function mixedScenario(): string {
  const w = (name: string, replicas: number, kind: string, extra: Record<string, unknown> = {}) => ({
    kind,
    namespace: 'data',
    name,
    replicas,
    image: `registry.example.com/data/${name}:1.0.0`,
    profile: name === 'db' ? 'db' : name === 'api' ? 'java' : 'web',
    cpu: { baseCores: 0.2, limitCores: 1 },
    memory: { baseMiB: 200, limitMiB: 512, gcSawtoothMiB: 40 },
    ...extra,
  });
  const file = join(tmp, 'mixed.json');
  writeFileSync(
    file,
    JSON.stringify({
      name: 'mixed',
      nodes: [{ name: 'node-a' }, { name: 'node-b' }, { name: 'node-c', cpuCores: 4, memoryGiB: 16 }],
      workloads: [
        w('web', 3, 'Deployment', { pdb: { minAvailable: '50%' } }),
        w('api', 2, 'Deployment', { pdb: { maxUnavailable: 1 } }),
        w('db', 3, 'StatefulSet', { pdb: { minAvailable: 2 } }),
        w('agent', 0, 'DaemonSet'),
      ],
      faults: [
        { kind: 'memory_leak', namespace: 'data', deployment: 'db', replica: 1, startTick: 3, oomAfterTicks: 8 },
        { kind: 'crash_loop', namespace: 'data', deployment: 'agent', scope: 'deployment', startTick: 4, endTick: 60 },
        { kind: 'cpu_exhaustion', namespace: 'data', deployment: 'web', scope: 'deployment', startTick: 6 },
        { kind: 'network_drops', namespace: 'data', deployment: 'api', startTick: 2, endTick: 90 },
        { kind: 'io_pressure', namespace: 'data', deployment: 'db', replica: 0, startTick: 20 },
        { kind: 'cpu_creep', namespace: 'data', deployment: 'api', replica: 1, startTick: 5 },
      ],
      churn: [
        { tick: 30, every: 100, namespace: 'data', deployment: 'db', action: 'rollout' },
        { tick: 45, namespace: 'data', deployment: 'web', action: 'scale', replicas: 5 },
        { tick: 70, namespace: 'data', deployment: 'agent', action: 'rollout' },
        { tick: 80, namespace: 'data', deployment: 'db', action: 'scale', replicas: 2 },
        { tick: 110, every: 150, namespace: 'data', deployment: 'web', action: 'rollout' },
      ],
    }),
  );
  return file;
}

/** The recorded digests (see the header comment). */
const EXPECTED: Record<string, string> = {
  // The two discovery roots list coordination.k8s.io since the simulator serves Leases (re-recorded then).
  'api t12 GET /': '3bdc72bb3cc400fcdfa8c4e5ad7fac5163b01f1be7cdc0306bed48c25fc0606a',
  'api t12 GET /api': 'ad0012d918d5378611fc3392474051b608ada7d51c492800c5fd54a3051fc6f6',
  'api t12 GET /api/v1': 'd2cfc67ef76f3cfef860db02f6b4755fe46648ab95077c9658381e871ad48f56',
  'api t12 GET /api/v1/events': '1fc50e6fa2f6306dffad9fffa772a60c2f80aa552d2e06b3fc26604a0ae574f3',
  'api t12 GET /api/v1/namespaces': '5ad755220aca35f6b390c4ed19e7365b648e3dbf42828dbb9f74a515432476d3',
  'api t12 GET /api/v1/namespaces/data': '6a953c8ec6057357e51ac26c1fd07d16ceeebdfa49305ea50b2d092dc2abc9ca',
  'api t12 GET /api/v1/namespaces/data/events?fieldSelector=type%3DWarning':
    '1fc50e6fa2f6306dffad9fffa772a60c2f80aa552d2e06b3fc26604a0ae574f3',
  'api t12 GET /api/v1/namespaces/data/pods/agent-fgt47/log?previous=true&limitBytes=400':
    '147370ab040b03048931978a76b7d30d4752e1c2a8122a362146f656e06de861',
  'api t12 GET /api/v1/namespaces/data/pods/db-0/log?previous=true': 'beee3a3e6cac4eef33e81de6f67c8db3799f41f339f91cda9b5743ae3708e7fc',
  'api t12 GET /api/v1/namespaces/data/pods/db-0/log?tailLines=15&timestamps=true':
    '9760862c9db5556c5dddfd1bc4714bb57b8dcbe7ca89b0bc38b01c88b62766bd',
  'api t12 GET /api/v1/namespaces/data/pods/db-0/status': 'c31a4098699c7130476666736fb941d3fec65f974c094b6829b17e57455e7def',
  'api t12 GET /api/v1/namespaces/data/pods/nope': '00d0c21b9dd48718dc9e32225afa418513dbc1bf5d0c04f0777263adb7b145c6',
  'api t12 GET /api/v1/namespaces/data/pods/web-d7d4kkcpv2-9xww8': 'ac9fa90a676d2afe5d13d86c720c4d088071281a05dd3597f3f4ab13148fba9d',
  'api t12 GET /api/v1/namespaces/data/pods?labelSelector=app%20in%20(db,web)':
    'e60accdb70830482f4d917382f74b5e542d534daf065af462e732e743393691e',
  'api t12 GET /api/v1/nodes': 'dd86a32ede3efeaa47877bea0f6b8e88f56c8ba787e57ae71cd06a88a4b428e6',
  'api t12 GET /api/v1/nodes/node-a': '83cec91756a9d8bb969c3a1354bae44f3f16a365a1c40bca80638025d16d33f4',
  'api t12 GET /api/v1/nodes/node-b/proxy/metrics/cadvisor': '0b601597c66d65034ada1a32b45fa9f422d5296542a10c26846491595c5ed894',
  'api t12 GET /api/v1/pods': 'fcf5e234d291ac87ef3328c13651bb092984278e6ba02babf45e4395967e4adf',
  'api t12 GET /api/v1/pods?fieldSelector=spec.nodeName%3Dnode-b,status.phase%3DRunning':
    '22405dc087576caeb9e82d177fd6016ee86f71e9b7ea779297f2c2e4066b0cc8',
  'api t12 GET /api/v1/pods?limit=4&continue=eyJ2IjoibWV0YS5rOHMuaW8vdjEiLCJydiI6IjEwODMiLCJrIjoiZGF0YVx1MDAwMGFwaS02bjU2anFnOWN4LWNjdHFmIn0':
    'b46249909399e1e62efccc31fc6c7aa8fb7a3c24505d046b1b2a8b25516d6391',
  'api t12 GET /api/v1/pods?limit=4': '3542d1d206028a21f4909211d8e31899f3c9b378c4fcaf4a1b1a24e1d0aa205d',
  'api t12 GET /apis': 'a76db39bfec42bab83cd15ca01b2de8f3e1497bdfe556221deda4e0538902906',
  'api t12 GET /apis/apps': '2d036b4e977dc451cf6c6d74bcfa8532f3b87de2eb9c4d34f799c40b50ddcbf7',
  'api t12 GET /apis/apps/v1': '23409a36d4041d0d231bedfdb7f9539b93398f9a5c8acbd33a053a5c9e3d68fe',
  'api t12 GET /apis/apps/v1/daemonsets': 'f1fbc3595448b0b6a07f53c75c2479114fa04824e1b598aade5e3b4d9a6def80',
  'api t12 GET /apis/apps/v1/deployments': '1b93724702fce590ae6e09831de2ff07813143857c108ad41fbc4a13ff86e838',
  'api t12 GET /apis/apps/v1/namespaces/data/daemonsets/agent': '06271205e0ebfa206027f99d2a9dc9e32231b4a38f04efbadc368128beefbcf8',
  'api t12 GET /apis/apps/v1/namespaces/data/daemonsets/agent/scale': 'f455feb41ff17eefb292b6e8a036f90efa473d01199826bcdbd877d2b5d8d9a3',
  'api t12 GET /apis/apps/v1/namespaces/data/deployments/web': '870fd4bedaf197ac011f829689214401fa183e4f8b73069de2dc44a20492545d',
  'api t12 GET /apis/apps/v1/namespaces/data/deployments/web/scale': 'e1ee32d000f91e5ce85b3ae160fdba854180d19fe76372efdba65d5e115d8ebe',
  'api t12 GET /apis/apps/v1/namespaces/data/deployments/web/status': '870fd4bedaf197ac011f829689214401fa183e4f8b73069de2dc44a20492545d',
  'api t12 GET /apis/apps/v1/namespaces/data/statefulsets/db': '2cf9127c7c9125f0f02edb46ded03f526a461e2138de84b5693b8ac1f8388de8',
  'api t12 GET /apis/apps/v1/namespaces/data/statefulsets/db/scale': 'bd11a1c43e51b66f589dfb92a18c3f1e0096a46b5c2803a56bdbbea14cb939fd',
  'api t12 GET /apis/apps/v1/replicasets': '88b4b4252cf3204805da5b73ee104a482a2700dde9c2cd3c47676d1659fe9d4c',
  'api t12 GET /apis/apps/v1/statefulsets': '6704db6e9f93936dfeab15550589eb1d8990ad321f9b1dd8c611cd5290987ddc',
  'api t12 GET /apis/metrics.k8s.io/v1beta1': '535a634377f59be3f1431a2ef90a6f8672c3ac620039a41892fe53d231277c59',
  'api t12 GET /apis/metrics.k8s.io/v1beta1/namespaces/data/pods/web-d7d4kkcpv2-9xww8':
    'd63fdc1738335f3f2440b894835f435ae0e428c6911802c81b30e46de88ab524',
  'api t12 GET /apis/metrics.k8s.io/v1beta1/namespaces/data/pods?labelSelector=app%3Dweb':
    'd404bfabdc2bb486bdca8d6390c3547f2c0b2df651dbae3f45918663f6ac765b',
  'api t12 GET /apis/metrics.k8s.io/v1beta1/nodes': '50126a3aa31080d51fe3b39333b72941d05db5e02c73754be889b12c8bc5c72e',
  'api t12 GET /apis/metrics.k8s.io/v1beta1/nodes/node-c': 'd81b1c329d89f2b5dbafb6e2e35175bdaf928dd5044cf82bc402a2452d7c9a48',
  'api t12 GET /apis/metrics.k8s.io/v1beta1/pods': 'aa2b339a04df624b806ce46d3ce4571ff200cfcfd353b750bae1f7ed72a4adfd',
  'api t12 GET /apis/policy/v1': '37d227548f1b7f4a432a04aac5f19afcbaab51e6a83ecd444c10ef59d879d760',
  'api t12 GET /apis/policy/v1/namespaces/data/poddisruptionbudgets/db': '60e714610271bf122842843e4e16fb0964d521df12c209d5b599f6b647a71907',
  'api t12 GET /apis/policy/v1/poddisruptionbudgets': '6881a138230acb249e780e6a8e37c7437b51bf84b53cef9792a5ad63bc5bf71d',
  'api t12 GET /healthz': '398123dc6b95a9228cbf1b0d35f1bd3189d09a9e390c6fe16c3a4a21fa921466',
  'api t12 GET /openapi/v2': '0899288063caea86efefd63ce482e2ce69ab7a5c1c714fd50142de28ec7f94e4',
  'api t12 GET /version': '976b46004a6e43e417cde4a49f57c219841d1309f851c825547efed8966a888a',
  'api t12 table GET /api/v1/events': '195392bf9442e45663cb67665a4c42411d462a169708e6dd930ef92b0e24579e',
  'api t12 table GET /api/v1/namespaces': '081a28ae42ed4861e60689512d09d3d12f345bcfc7a44355f73d687c8e459ede',
  'api t12 table GET /api/v1/nodes': 'fd6a06027475a4d7a9f5290828afe59ff085ba65bcc1623b00ffe942af7c808b',
  'api t12 table GET /api/v1/pods': '70c3f18a12404d4d5c05919fb4c7a07a8619a21283be7ec9389565e581323684',
  'api t12 table GET /apis/apps/v1/daemonsets': 'b27b09a03d2f6d5d6c9ffdda803eec5c740dce397ec2c8229b7d5f6b8eaeae12',
  'api t12 table GET /apis/apps/v1/deployments': 'f86feed17bae1459b264231b52fde609fd12b91609023a77d88eef3bfb878467',
  'api t12 table GET /apis/apps/v1/replicasets': '86e2b9bbf39dd84ca0e341df793d5d72c4ef4b763a5236a71bb4df3de4e7639b',
  'api t12 table GET /apis/apps/v1/statefulsets': '8c8de9fecc0e3038f6ae943baaa36aafb2105f25fe369fe14a17137c38eedfca',
  'api t12 table GET /apis/policy/v1/poddisruptionbudgets': '26dc581319a5b644630c059d75787251c233d22a42afa0303e59ef947b675fbb',
  'api t18 GET /': '3bdc72bb3cc400fcdfa8c4e5ad7fac5163b01f1be7cdc0306bed48c25fc0606a',
  'api t18 GET /api': 'ad0012d918d5378611fc3392474051b608ada7d51c492800c5fd54a3051fc6f6',
  'api t18 GET /api/v1': 'd2cfc67ef76f3cfef860db02f6b4755fe46648ab95077c9658381e871ad48f56',
  'api t18 GET /api/v1/events': '875b243fd631dd452c010218879abbc48b00b77c7df4d0f1758bcb3f6e76dfd5',
  'api t18 GET /api/v1/namespaces': '2cae96fd940d74fa8380ca9afe646986bde3652502b08609ea6245141d49f628',
  'api t18 GET /api/v1/namespaces/data': '6a953c8ec6057357e51ac26c1fd07d16ceeebdfa49305ea50b2d092dc2abc9ca',
  'api t18 GET /api/v1/namespaces/data/events?fieldSelector=type%3DWarning':
    '7c9f4af5eec1acbdc742c460996a4b1f729c6697378a1ca9d1d895d43e90c03f',
  'api t18 GET /api/v1/namespaces/data/pods/agent-fgt47/log?previous=true&limitBytes=400':
    'ab61f5db9ebf2864361befbe596a20704a68026ab7d0928db53c2da80f116d98',
  'api t18 GET /api/v1/namespaces/data/pods/db-0/log?previous=true': 'b69bb50c71c5ce6c3ccf8c120b2a3b820875d0ad22dd9cc6b03e139282be9c03',
  'api t18 GET /api/v1/namespaces/data/pods/db-0/log?tailLines=15&timestamps=true':
    'd30d5160f9bf644e49f6ff25708af8d60a4be022bdd9fa0cf180e5bdaa8b65ed',
  'api t18 GET /api/v1/namespaces/data/pods/db-0/status': '1cf985cf89180500f2a5e5ba76dcd6ebd743fdfde5bf0d3022cd025772dcb800',
  'api t18 GET /api/v1/namespaces/data/pods/nope': '00d0c21b9dd48718dc9e32225afa418513dbc1bf5d0c04f0777263adb7b145c6',
  'api t18 GET /api/v1/namespaces/data/pods/web-d7d4kkcpv2-9xww8': '57ee2794974ea92d0987550aa8427ae1d02fca81f82ae7a10f03aae3e4c28357',
  'api t18 GET /api/v1/namespaces/data/pods?labelSelector=app%20in%20(db,web)':
    'f08ba3ba823ee77b047a6b384042cd498c8a29d59d306a3778d6d0be8736fd57',
  'api t18 GET /api/v1/nodes': '3bb3457df2adadaf04bb61a4221f1687b5556c8ecd9f0d9b230d53d63fc9c431',
  'api t18 GET /api/v1/nodes/node-a': '3f83f484ebdd6d925035e1873692bba946430c57cdd4074a2bc0aa968cb5c688',
  'api t18 GET /api/v1/nodes/node-b/proxy/metrics/cadvisor': '00209f921a68e77d5b44f166af6796641346c1e3e0e24d6bc90fa1f22b3191ec',
  'api t18 GET /api/v1/pods': 'a32835d64c3bbab188c2e2df36ec95ffc815b0d9eceeb4dd73aa2c85b04a195b',
  'api t18 GET /api/v1/pods?fieldSelector=spec.nodeName%3Dnode-b,status.phase%3DRunning':
    '7fdd3a178135be76cac9ee424c0535f22633d43aaa5e20861f8a8f57b4ee4ded',
  'api t18 GET /api/v1/pods?limit=4&continue=eyJ2IjoibWV0YS5rOHMuaW8vdjEiLCJydiI6IjExODUiLCJrIjoiZGF0YVx1MDAwMGFwaS10aHNzbWNrOWhmLXJkMnNuIn0':
    '61eba1176b01bbe3845ca418140aaf8e5cb8eacd747bf8d94c28b44dc42ac5ff',
  'api t18 GET /api/v1/pods?limit=4': '7e791cf5a20575daf3485e30380cc31f67d906f3953ce2d0d5d772a506ae9f7d',
  'api t18 GET /apis': 'a76db39bfec42bab83cd15ca01b2de8f3e1497bdfe556221deda4e0538902906',
  'api t18 GET /apis/apps': '2d036b4e977dc451cf6c6d74bcfa8532f3b87de2eb9c4d34f799c40b50ddcbf7',
  'api t18 GET /apis/apps/v1': '23409a36d4041d0d231bedfdb7f9539b93398f9a5c8acbd33a053a5c9e3d68fe',
  'api t18 GET /apis/apps/v1/daemonsets': '609f17d64638efe09210f3c6d29fb5e471089051363a4bfa6b18af43232943fd',
  'api t18 GET /apis/apps/v1/deployments': 'c258aaeeb651e2e2fb12fb0776c9121a05a18daa559cac5215d675df6b340fcb',
  'api t18 GET /apis/apps/v1/namespaces/data/daemonsets/agent': '73f7c32dc8fc5932853efb44da935c8e4c0aeacdbdcdf6770c883aad5f5be79a',
  'api t18 GET /apis/apps/v1/namespaces/data/daemonsets/agent/scale': 'f455feb41ff17eefb292b6e8a036f90efa473d01199826bcdbd877d2b5d8d9a3',
  'api t18 GET /apis/apps/v1/namespaces/data/deployments/web': '3e03fa6f5a698816c37e4856f0360f1f8135f214c1dd42298c9f6e21c0738a21',
  'api t18 GET /apis/apps/v1/namespaces/data/deployments/web/scale': 'a7bfcb28c006b7743fb2c8983c37b9e97c1776b4c791b2e5aa6432459b74773a',
  'api t18 GET /apis/apps/v1/namespaces/data/deployments/web/status': '3e03fa6f5a698816c37e4856f0360f1f8135f214c1dd42298c9f6e21c0738a21',
  'api t18 GET /apis/apps/v1/namespaces/data/statefulsets/db': '051e2362282537b899117d7cd5fc92de188b3526119474ceb363360f61a99d17',
  'api t18 GET /apis/apps/v1/namespaces/data/statefulsets/db/scale': '6a169f5be99f71af0040d55889db2cf63f55c93bdf3d9f11f95468a64cdbf234',
  'api t18 GET /apis/apps/v1/replicasets': '58025636ee04e8f84d77b6e79425ee16415334df9256275386e6a858684bcd75',
  'api t18 GET /apis/apps/v1/statefulsets': 'd27c2553e79b6ca0eb4a2266eb1610949099501e1758211badf4225d4479ba12',
  'api t18 GET /apis/metrics.k8s.io/v1beta1': '535a634377f59be3f1431a2ef90a6f8672c3ac620039a41892fe53d231277c59',
  'api t18 GET /apis/metrics.k8s.io/v1beta1/namespaces/data/pods/web-d7d4kkcpv2-9xww8':
    '52c6a0faca33b8be1bd5aa4ef55431aa23a878239833ae2172cf4a3fd84487f3',
  'api t18 GET /apis/metrics.k8s.io/v1beta1/namespaces/data/pods?labelSelector=app%3Dweb':
    'f1b2fe93dfbd52bfb65e3024532f8a129f53aeaf7a8adf2818cd1037e1b1d484',
  'api t18 GET /apis/metrics.k8s.io/v1beta1/nodes': '9653bb50433902ce2b7bae5c1db0830017840db35556262e3f90c3915c13d041',
  'api t18 GET /apis/metrics.k8s.io/v1beta1/nodes/node-c': '684279dc81d0c8110222fa0919f9cc239ad995e156f6eb2ba59db8f9ff1036bb',
  'api t18 GET /apis/metrics.k8s.io/v1beta1/pods': 'be095f1612c3e2615d1c44bafb02f28551f33d367999df8c7e9b1e80011aae57',
  'api t18 GET /apis/policy/v1': '37d227548f1b7f4a432a04aac5f19afcbaab51e6a83ecd444c10ef59d879d760',
  'api t18 GET /apis/policy/v1/namespaces/data/poddisruptionbudgets/db': '60d5686783de27e50e538ad4cd966879f2c8905c6c6903ae9ce1f9d24d81bc35',
  'api t18 GET /apis/policy/v1/poddisruptionbudgets': '76c06d20cbf64c42c3f4bef992a20d5d483ed2042cc88d97bafeeee65aa5cbf2',
  'api t18 GET /healthz': '398123dc6b95a9228cbf1b0d35f1bd3189d09a9e390c6fe16c3a4a21fa921466',
  'api t18 GET /openapi/v2': '0899288063caea86efefd63ce482e2ce69ab7a5c1c714fd50142de28ec7f94e4',
  'api t18 GET /version': '976b46004a6e43e417cde4a49f57c219841d1309f851c825547efed8966a888a',
  'api t18 table GET /api/v1/events': 'c1345cc4056d80d58fdef780c169eddbef8a88dc6c30bdc1ca071a31d8a63927',
  'api t18 table GET /api/v1/namespaces': '1c1185553ed21e078b4228118d4f6a3c93f3130282c06a4895d0ddddf8a1257f',
  'api t18 table GET /api/v1/nodes': 'fb5c2157a77bd42cbf4b4e5e3072785fdac315b3448a2e56f985284d0e091f25',
  'api t18 table GET /api/v1/pods': 'e2ca411fa7cced3c1b851ac5b861718b09e8523d93e220ca7d36fb56be293dd4',
  'api t18 table GET /apis/apps/v1/daemonsets': '123717d826e20b889d6634536778415dd5bebe4583a54c13a43b1ff2d9f5aa56',
  'api t18 table GET /apis/apps/v1/deployments': 'b47e6bbd9a0385e6ea6b5a55a5d106f80b51f125684d5395d583ce0c1eb7c06a',
  'api t18 table GET /apis/apps/v1/replicasets': 'fb53eff49699d8fdf8a75ebf3a355c57ab717200e3ff22ecaceb38cb30e1aee3',
  'api t18 table GET /apis/apps/v1/statefulsets': 'a91ed11d7e4dba89f13f23cdb701955df440960dacee9782fe8c169b12ade046',
  'api t18 table GET /apis/policy/v1/poddisruptionbudgets': 'c8cf120761257ee022feea426fdd503b556ba46bfd75ad51b059be91b7fe4e43',
  'api watch GET /api/v1/namespaces/data/pods?watch=true&timeoutSeconds=1':
    '44b666bb43affefe957be892cbea39e92270de866dfac8947f8683bcd5ee0c03',
  'api write DELETE /api/v1/namespaces/data/pods/web-d7d4kkcpv2-9xww8': '84cbac8e956e478e1916cbdeb38d8d6f772ed0511b3ea2d98289704534d605ec',
  'api write DELETE /api/v1/namespaces/data/pods/web-d7d4kkcpv2-9xww8?dryRun=All':
    '84cbac8e956e478e1916cbdeb38d8d6f772ed0511b3ea2d98289704534d605ec',
  'api write PATCH /api/v1/nodes/node-c': 'd08314abbf0649ecb19908ee060f7a072df2bc45db45f3301900086fd679206e',
  'api write PATCH /apis/apps/v1/namespaces/data/daemonsets/agent': 'ca7d196812c82666e67fca8eb0c1c7c6ff6673f2cfe75b8b29e0d462df3755ed',
  'api write PATCH /apis/apps/v1/namespaces/data/deployments/api': '3125bfe4644cedf5efa2540b2d55962562f182db222d410aa4b87b51b017f832',
  'api write PATCH /apis/apps/v1/namespaces/data/deployments/web': '91ab706f837bdf9ae842ddb16488be52f4fb96a031cc59f3be1464df671e1264',
  'api write PATCH /apis/apps/v1/namespaces/data/deployments/web/scale': 'a7bfcb28c006b7743fb2c8983c37b9e97c1776b4c791b2e5aa6432459b74773a',
  'api write PATCH /apis/apps/v1/namespaces/data/statefulsets/db': 'ad41dbb5d7fb82a03c76e20997a5ad2cc3bc59400a93b1fdfcee81379676c9cd',
  'api write POST /api/v1/namespaces/data/pods/agent-fgt47/eviction': 'ab61f5db9ebf2864361befbe596a20704a68026ab7d0928db53c2da80f116d98',
  'api write POST /api/v1/namespaces/data/pods/db-0/eviction': '145904e15b8e4c3d0fdd454661251d11e2a69b7834b1a2f2335b83d1c3f15cc3',
  'api write PUT /api/v1/nodes/node-a': 'f6f9f7baef6bea61b78be74bb403c65663b237522255e26c25bbb60515d7b363',
  'api write PUT /apis/apps/v1/namespaces/data/statefulsets/db/scale?dryRun=All':
    '5c9dbacd73af2bc6dccd683dc59696100f18f643a4e8ac36ca7c1fa219ac845d',
  'collector-csv demo': 'f7869a474d83d1cbd1e3fbf5325d2560d307762ef442b216c68ccd34ae41e3d9',
  'collector-csv mixed': '991a4650ab987091ec45c7b4c3e491e2fd91432fc9708e3e8e7ec551a8aa16eb',
  'metrics t12': '9bb1f337ece580a8050f39dd3a07f8ceaef144b100a3e86bdd60d14826d19bf4',
  'metrics t18': '7ea06d676e1bab331ed3c6e597ea64c26a03f7086efeed72d313c8fb381c6ea4',
  'state cpu-creep': 'c95c2f5ed7beb4b17ae2d1bc2790979fded3cd89a24d204fd647f0e0300968ba',
  'state cpu-exhaustion': '874f83f2ccbb5706f7db67ef6cad66f1bf84ba4c1e4f7b707646050f764dabc7',
  'state crash-loop': 'ea9e1dadfa8c062e5d6f69730218772a71506dc8e336ab0d1f049b0de15a957e',
  'state demo': '91421325791abe83f40bebee29b9d74ca9853fc8dc3d49ac6bbbb81cf284b3a3',
  'state healthy': '6ec0d0fb81ce55679a2be0408ff7e3f3243422c6c17a0cefd2ed84f0a000e36e',
  'state healthy@300pods': '25bfb4e08207f831802fee065f9b8b902b96ab295276337a9197a5805979db32',
  'state io-pressure': 'b7962e3b4839df241b1726f4e19ff609960d7fc949c0b558ed02b81a13df5c12',
  'state memory-leak': 'fef878d38d42573a80ed1a95a2f7ce9b317c5d3f14df7e3d080dfb4d149931cc',
  'state mixed': '4d13a83c91e734a8c976f8c9cbca9f3c3accf83212564bac91a91b40e9eee54d',
  'state network-drops': 'ad27f47a81c2959879b81cbf662bb0f9407a526855ba979befd1cb017b6d232f',
  'state storage-fill': '179c26e59276e68c6e13baa81271592e12cdd5e98ae305e06a6a7eebaacc99eb',
  'truth-csv cpu-creep': '1f689d17df039791996fda6913eca4324f34bcf1d8bea9820443b18a668be8f6',
  'truth-csv cpu-exhaustion': '40139ff1a7a6e69047d9c5635aa6263cf066d57b006cf532e5433613dd751d18',
  'truth-csv crash-loop': 'ac7639e97c2394d24864f36ce13d750bd9366b1cc85d39a644ca51d5e0318244',
  'truth-csv demo': 'a09d6d7d070b2db660dc6b91a20cc97e4654e3bce92d8a1f697d7b3847daf34d',
  'truth-csv healthy': 'a3593e14fe1fb8f94eaa5ac5b515e3dd95a8acbc5d27c4563d8f41d5936424a9',
  'truth-csv healthy@300pods': '1b100648d9acb4469848789a70e7c2a9e2de1870fdb27d1e2425ea347cbf25d4',
  'truth-csv io-pressure': 'd7c77dcb93cf1bf92b171fb3ef4b2f84045583cb85c217ee35e080596edd7120',
  'truth-csv memory-leak': '44b0744f0d1d93c350d745e0dc3965dde212a4b6d38dce10e8ac90361049b6d0',
  'truth-csv mixed': '1b09409879a917bd6a380809e13d98756e3e99c542995516cdbf255989778313',
  'truth-csv network-drops': '6c986c8b38ca2f45ee9e04236087b2762c21a4046d598c46f2cd558ca7a67c98',
  'truth-csv storage-fill': 'b4ff1e38dd169440d6f76c695fdeb642b0419de80c74e326164bf7fc25097445',
};

void describe('simulator golden digests', () => {
  let mixed: string;
  const actual: Record<string, string> = {};
  before(() => {
    mixed = mixedScenario();
  });

  void it('lists the built-in scenarios it covers', () => {
    assert.deepEqual(scenarioNames(), [
      'cpu-creep',
      'cpu-exhaustion',
      'crash-loop',
      'demo',
      'healthy',
      'io-pressure',
      'memory-leak',
      'network-drops',
      'storage-fill',
    ]);
  });

  void it('truth rows and cluster state: every scenario, 320 ticks', () => {
    const scenarios = [
      ...scenarioNames().map((n) => ({ key: n, s: loadScenario(n), ticks: TRUTH_TICKS })),
      { key: 'mixed', s: loadScenario(mixed), ticks: TRUTH_TICKS },
      { key: 'healthy@300pods', s: scaleScenario(loadScenario('healthy'), 300), ticks: 60 },
    ];
    for (const { key, s, ticks } of scenarios) {
      const cluster = new SimCluster({ scenario: s, seed: SEED, tickSeconds: 5, startTime: new Date(START) });
      const csv: string[] = [formatHeader(METRIC_COLUMNS)];
      const state = createHash('sha256');
      for (let t = 1; t <= ticks; t++) {
        cluster.tick();
        csv.push(formatRows(rowsFromTruth(cluster), METRIC_COLUMNS));
        if (t % 20 === 0 || t === ticks) {
          state.update(
            JSON.stringify({
              t,
              rv: cluster.resourceVersion,
              pods: cluster.pods(),
              faults: cluster.faults(),
              nodes: cluster.nodes(),
              deployments: cluster.deployments(),
              statefulSets: cluster.statefulSets(),
              daemonSets: cluster.daemonSets(),
              pdbs: cluster.pdbs(),
              events: cluster.events(),
            }),
          );
        }
      }
      actual[`truth-csv ${key}`] = sha(csv.join(''));
      actual[`state ${key}`] = state.digest('hex');
    }
  });

  // Each start makes a CA and two RSA keys, so the HTTPS path runs on the two scenarios that between
  // them hold every workload kind; the truth CSV above covers every scenario.
  void it('collector CSV over the HTTPS API: demo and mixed, 15 ticks', async () => {
    for (const name of ['demo', mixed]) {
      const key = name === mixed ? 'mixed' : name;
      const sim = await startSim({
        scenario: name,
        seed: SEED,
        manualClock: true,
        startTime: START,
        kubeconfigOut: join(tmp, `${key}.kubeconfig`),
      });
      const file = join(tmp, `${key}.csv`);
      const writer = MetricsCsvWriter.open(file);
      const collector = new K8sCollector(loadKubeConfig(sim.kubeconfigPath), { logger: memoryLogger() });
      try {
        for (let t = 1; t <= HTTP_TICKS; t++) {
          sim.tick(1);
          writer.append(await collector.collectOnce());
        }
      } finally {
        writer.close();
        collector.close();
        await sim.close();
      }
      actual[`collector-csv ${key}`] = sha(readFileSync(file));
    }
  });

  void it('API responses: reads, tables, writes, watch and /metrics on the mixed scenario', async () => {
    const sim = await startSim({
      scenario: mixed,
      seed: SEED,
      manualClock: true,
      startTime: START,
      kubeconfigOut: join(tmp, 'api.kubeconfig'),
    });
    try {
      sim.tick(12);
      await apiDigests(sim, actual);
    } finally {
      await sim.close();
    }
  });

  void it('matches the recorded digests', () => {
    assert.deepEqual(actual, EXPECTED);
  });
});

const TABLE = 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json';

function call(
  sim: SimHandle,
  method: string,
  path: string,
  opts: { body?: unknown; contentType?: string; accept?: string } = {},
): Promise<{ status: number; type: string; body: string }> {
  return new Promise((resolve, reject) => {
    const u = new URL(path, sim.apiUrl);
    const payload = opts.body === undefined ? undefined : JSON.stringify(opts.body);
    const req = request(
      {
        host: u.hostname,
        port: u.port,
        path: u.pathname + u.search,
        method,
        ca: sim.caPem,
        headers: {
          Authorization: `Bearer ${sim.token}`,
          ...(opts.accept ? { Accept: opts.accept } : {}),
          ...(payload !== undefined
            ? { 'Content-Type': opts.contentType ?? 'application/json', 'Content-Length': Buffer.byteLength(payload) }
            : {}),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            type: String(res.headers['content-type'] ?? ''),
            body: Buffer.concat(chunks).toString('utf8'),
          }),
        );
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

async function apiDigests(sim: SimHandle, out: Record<string, string>): Promise<void> {
  const put = async (label: string, method: string, path: string, opts: Parameters<typeof call>[3] = {}) => {
    const r = await call(sim, method, path, opts);
    // The listening port is free-chosen: /api names it (serverAddressByClientCIDRs).
    const body = r.body.replaceAll(new URL(sim.apiUrl).host, 'SIM_HOST');
    out[`api ${label} ${method} ${path}`] = sha(`${r.status}\n${r.type}\n${body}`);
    return r;
  };
  const pods = sim.cluster.pods();
  const web = pods.find((p) => p.deployment === 'web')!;
  const db = pods.find((p) => p.deployment === 'db' && p.restarts > 0) ?? pods.find((p) => p.deployment === 'db')!;
  const agent = pods.find((p) => p.deployment === 'agent')!;
  const reads = async (label: string) => {
    for (const path of [
      '/',
      '/version',
      '/healthz',
      '/api',
      '/api/v1',
      '/apis',
      '/apis/apps',
      '/apis/apps/v1',
      '/apis/policy/v1',
      '/apis/metrics.k8s.io/v1beta1',
      '/openapi/v2',
      '/api/v1/pods',
      '/api/v1/namespaces/data/pods?labelSelector=app%20in%20(db,web)',
      '/api/v1/pods?fieldSelector=spec.nodeName%3Dnode-b,status.phase%3DRunning',
      '/api/v1/pods?limit=4',
      `/api/v1/namespaces/data/pods/${web.name}`,
      `/api/v1/namespaces/data/pods/${db.name}/status`,
      `/api/v1/namespaces/data/pods/${db.name}/log?tailLines=15&timestamps=true`,
      `/api/v1/namespaces/data/pods/${db.name}/log?previous=true`,
      `/api/v1/namespaces/data/pods/${agent.name}/log?previous=true&limitBytes=400`,
      '/api/v1/namespaces/data/pods/nope',
      '/api/v1/nodes',
      '/api/v1/nodes/node-a',
      '/api/v1/nodes/node-b/proxy/metrics/cadvisor',
      '/api/v1/namespaces',
      '/api/v1/namespaces/data',
      '/api/v1/events',
      '/api/v1/namespaces/data/events?fieldSelector=type%3DWarning',
      '/apis/apps/v1/deployments',
      '/apis/apps/v1/namespaces/data/deployments/web',
      '/apis/apps/v1/namespaces/data/deployments/web/scale',
      '/apis/apps/v1/namespaces/data/deployments/web/status',
      '/apis/apps/v1/statefulsets',
      '/apis/apps/v1/namespaces/data/statefulsets/db',
      '/apis/apps/v1/namespaces/data/statefulsets/db/scale',
      '/apis/apps/v1/daemonsets',
      '/apis/apps/v1/namespaces/data/daemonsets/agent',
      '/apis/apps/v1/namespaces/data/daemonsets/agent/scale',
      '/apis/apps/v1/replicasets',
      '/apis/policy/v1/poddisruptionbudgets',
      '/apis/policy/v1/namespaces/data/poddisruptionbudgets/db',
      '/apis/metrics.k8s.io/v1beta1/pods',
      '/apis/metrics.k8s.io/v1beta1/namespaces/data/pods?labelSelector=app%3Dweb',
      `/apis/metrics.k8s.io/v1beta1/namespaces/data/pods/${web.name}`,
      '/apis/metrics.k8s.io/v1beta1/nodes',
      '/apis/metrics.k8s.io/v1beta1/nodes/node-c',
    ]) {
      await put(label, 'GET', path);
    }
    for (const path of [
      '/api/v1/pods',
      '/api/v1/nodes',
      '/api/v1/namespaces',
      '/api/v1/events',
      '/apis/apps/v1/deployments',
      '/apis/apps/v1/statefulsets',
      '/apis/apps/v1/daemonsets',
      '/apis/apps/v1/replicasets',
      '/apis/policy/v1/poddisruptionbudgets',
    ]) {
      await put(`${label} table`, 'GET', path, { accept: TABLE });
    }
    const first = JSON.parse((await call(sim, 'GET', '/api/v1/pods?limit=4')).body) as { metadata: { continue: string } };
    await put(label, 'GET', `/api/v1/pods?limit=4&continue=${first.metadata.continue}`);
    const metrics = await fetch(sim.metricsUrl);
    out[`metrics ${label}`] = sha(await metrics.text());
  };
  await reads('t12');
  // Writes: dry runs first, then the real thing; refusals are hashed too.
  await put('write', 'DELETE', `/api/v1/namespaces/data/pods/${web.name}?dryRun=All`);
  await put('write', 'POST', `/api/v1/namespaces/data/pods/${db.name}/eviction`, {
    body: { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: db.name, namespace: 'data' } },
  });
  await put('write', 'PATCH', '/api/v1/nodes/node-c', {
    body: { spec: { unschedulable: true } },
    contentType: 'application/strategic-merge-patch+json',
  });
  await put('write', 'PATCH', '/apis/apps/v1/namespaces/data/deployments/web/scale', {
    body: { spec: { replicas: 4 } },
    contentType: 'application/merge-patch+json',
  });
  await put('write', 'PUT', '/apis/apps/v1/namespaces/data/statefulsets/db/scale?dryRun=All', { body: { spec: { replicas: 5 } } });
  await put('write', 'PATCH', '/apis/apps/v1/namespaces/data/deployments/api', {
    body: [
      { op: 'add', path: '/spec/template/metadata/annotations', value: { 'kubectl.kubernetes.io/restartedAt': '2026-01-05T00:01:00Z' } },
    ],
    contentType: 'application/json-patch+json',
  });
  await put('write', 'PATCH', '/apis/apps/v1/namespaces/data/daemonsets/agent', {
    body: { spec: { template: { spec: { containers: [{ name: 'agent', image: 'registry.example.com/data/agent:1.0.1' }] } } } },
    contentType: 'application/strategic-merge-patch+json',
  });
  await put('write', 'PATCH', '/apis/apps/v1/namespaces/data/statefulsets/db', {
    body: { spec: { template: { spec: { containers: [{ name: 'db', resources: { limits: { memory: '1Gi' } } }] } } } },
    contentType: 'application/strategic-merge-patch+json',
  });
  await put('write', 'PATCH', '/apis/apps/v1/namespaces/data/deployments/web', {
    body: { spec: { replicas: -1 } },
    contentType: 'application/merge-patch+json',
  });
  await put('write', 'DELETE', `/api/v1/namespaces/data/pods/${web.name}`);
  await put('write', 'POST', `/api/v1/namespaces/data/pods/${agent.name}/eviction`, {
    body: { apiVersion: 'policy/v1', kind: 'Eviction' },
  });
  await put('write', 'PUT', '/api/v1/nodes/node-a');
  const watch = await put('watch', 'GET', '/api/v1/namespaces/data/pods?watch=true&timeoutSeconds=1');
  assert.ok(watch.body.includes('"ADDED"'));
  sim.tick(6);
  await reads('t18');
}
