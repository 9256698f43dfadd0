// The notification agent against a real Alertmanager (Debian's prometheus-alertmanager, started here on a
// free loopback port with gossip off): an open episode is an active alert with our labels and
// annotations; once the anomaly resolves the alert is no longer active.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  agentArgs,
  AgentProcess,
  Alertmanager,
  anomalousPod,
  leakAnalysis,
  normalPod,
  PipelineDir,
  until,
} from '../../helpers/notify-support.ts';

void test('an open episode is an active PodAnomaly alert in Alertmanager; resolved, it is gone', async () => {
  const am = await Alertmanager.start();
  const p = new PipelineDir();
  const agent = new AgentProcess(agentArgs(p, ['--alertmanager-url', am.url, '--alertmanager-resend', '1']));
  try {
    p.writeInsights([anomalousPod('payments-1'), anomalousPod('payments-2')]);
    await until(async () => (await am.alerts()).length === 2, 'two active alerts', 60_000);
    // The analysis comes later: it fills the annotations; the labels (the alert's identity) stay.
    p.writeAnalyses([leakAnalysis('payments-1')]);
    await until(async () => (await am.alerts()).every((a) => a.annotations.root_cause), 'the analysis in the annotations');
    const alerts = (await am.alerts()).sort((a, b) => a.labels.pod!.localeCompare(b.labels.pod!));
    assert.deepEqual(
      alerts.map((a) => a.labels),
      ['payments-1', 'payments-2'].map((pod) => ({
        alertname: 'PodAnomaly',
        cluster: 'test-cluster',
        namespace: 'shop',
        workload: 'Deployment/payments',
        pod,
        anomaly_type: 'oom_risk',
        severity: 'medium',
      })),
    );
    const a = alerts[0]!;
    assert.equal(a.status.state, 'active');
    assert.match(a.annotations.summary!, /oom_risk in shop\/Deployment\/payments: 2 pods anomalous/);
    assert.equal(a.annotations.root_cause, 'Memory grows steadily towards the limit (leak).');
    assert.equal(a.annotations.recommended_action, 'restart_pod(namespace=shop, pod=payments-1)');
    assert.equal(a.annotations.forecast, 'memory reaches its limit in ~6 min');
    assert.equal(a.annotations.analysis_severity, 'high', 'the analysis severity beside the label fixed at open');

    // One pod recovers: its alert ends, the other stays.
    p.writeInsights([normalPod('payments-1'), anomalousPod('payments-2')]);
    await until(async () => (await am.alerts()).length === 1, 'one active alert left');
    assert.equal((await am.alerts())[0]!.labels.pod, 'payments-2');

    p.writeInsights([normalPod('payments-1'), normalPod('payments-2')]);
    await until(async () => (await am.alerts()).length === 0, 'no active alert');
    const all = await am.alerts(false);
    assert.ok(
      all.every((x) => x.status.state !== 'active'),
      JSON.stringify(all),
    );
    assert.equal(await agent.stop(), 0);
  } finally {
    await agent.stop();
    await am.stop();
  }
});

void test('Alertmanager down at first: the alert arrives once it is up, and is re-sent while open', async () => {
  const am = await Alertmanager.start();
  const url = am.url;
  await am.stop();
  const p = new PipelineDir();
  const agent = new AgentProcess(agentArgs(p, ['--alertmanager-url', url, '--alertmanager-resend', '1']));
  let again: Alertmanager | null = null;
  try {
    p.writeInsights([anomalousPod('payments-1')]);
    await until(() => agent.output().includes('Alertmanager unreachable'), 'a failed attempt', 60_000);
    again = await Alertmanager.startAt(url);
    await until(async () => (await again!.alerts()).length === 1, 'the alert after Alertmanager came up', 60_000);
    // A fresh Alertmanager (empty storage) on the same port learns of the open alert from the re-sends.
    await again.stop();
    again = await Alertmanager.startAt(url);
    await until(async () => (await again!.alerts()).length === 1, 'the alert re-sent to a fresh Alertmanager', 60_000);
  } finally {
    await agent.stop();
    await again?.stop();
  }
});
