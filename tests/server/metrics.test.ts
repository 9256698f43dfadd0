// podsentinel-server's requests on /metrics: counted by method, route pattern (never the pod in the path:
// the label stays bounded at any cluster size) and status class.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { renderMetrics } from '../../lib/metrics.ts';
import { dataDir, startServer } from '../helpers/server-fixtures.ts';

let srv: Awaited<ReturnType<typeof startServer>>;
before(async () => {
  srv = await startServer(dataDir());
});
after(async () => {
  await srv.close();
});

void test('requests are counted by route pattern and status class', async () => {
  for (const pod of ['a-1', 'b-2', 'c-3']) await srv.app.inject({ method: 'GET', url: `/api/pods/shop/${pod}` });
  await srv.app.inject({ method: 'GET', url: '/api/health' });
  const text = await renderMetrics();
  assert.match(
    text,
    /podsentinel_http_requests_total\{[^}]*method="GET"[^}]*route="\/api\/pods\/:namespace\/:pod"[^}]*status="4xx"[^}]*\} 3/,
  );
  assert.match(text, /podsentinel_http_requests_total\{[^}]*route="\/api\/health"[^}]*status="2xx"[^}]*\} 1/);
  assert.doesNotMatch(text, /a-1|b-2|c-3/);
  assert.match(text, /podsentinel_http_request_duration_seconds_count\{[^}]*route="\/api\/health"/);
});
