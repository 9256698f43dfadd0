// deploy/grafana/podsentinel-dashboard.json queries only series that lib/metrics.ts declares (or the
// Node.js process metrics every process adds), and takes its data source from a variable.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { initMetrics, M, metricsRegistry, resetMetricsForTests } from '../../lib/metrics.ts';

interface Panel {
  type: string;
  title: string;
  datasource?: { uid?: string };
  targets?: Array<{ expr: string }>;
}

void test('the Grafana dashboard uses declared series and a data-source variable', async () => {
  const dash = JSON.parse(readFileSync('deploy/grafana/podsentinel-dashboard.json', 'utf8')) as {
    panels: Panel[];
    templating: { list: Array<{ name: string; type: string; query: unknown }> };
  };
  assert.ok(dash.templating.list.some((v) => v.name === 'datasource' && v.type === 'datasource' && v.query === 'prometheus'));
  try {
    initMetrics('dashboard-test');
    for (const get of Object.values(M)) get();
    const declared = new Set<string>();
    for (const m of await metricsRegistry().getMetricsAsJSON()) {
      declared.add(m.name);
      if (String(m.type) === 'histogram') for (const s of ['_bucket', '_sum', '_count']) declared.add(m.name + s);
    }
    const used = new Set<string>();
    for (const p of dash.panels.filter((p) => p.type !== 'row')) {
      assert.equal(p.datasource?.uid, '${datasource}', `panel "${p.title}" takes the data-source variable`);
      assert.ok(p.targets?.length, `panel "${p.title}" has queries`);
      for (const t of p.targets) for (const name of t.expr.match(/\b(podsentinel|process|nodejs)_[a-z0-9_]+/g) ?? []) used.add(name);
    }
    const unknown = [...used].filter((n) => !declared.has(n));
    assert.deepEqual(unknown, [], 'every series the dashboard queries exists');
    const ours = [...declared].filter((n) => n.startsWith('podsentinel_') && !/_(bucket|sum|count)$/.test(n));
    const unused = ours.filter((n) => ![...used].some((u) => u === n || u.startsWith(`${n}_`)));
    assert.deepEqual(unused.sort(), ['podsentinel_agent_lag_bytes'].sort(), 'the dashboard shows (almost) every series');
  } finally {
    resetMetricsForTests();
  }
});
