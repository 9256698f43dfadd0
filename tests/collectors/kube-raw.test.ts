// The raw GET client of the hot reads, against a local HTTP server: a body streamed to a consumer arrives
// whole and in order, an error status rejects with the API's code and body (the consumer sees nothing of
// it), and a consumer that fails ends the request at once instead of reading the rest.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApiException, KubeConfig } from '@kubernetes/client-node';
import { KubeRawClient } from '../../collectors/kube-raw.ts';

async function serve(handler: Parameters<typeof createServer>[1]): Promise<{ server: Server; client: KubeRawClient }> {
  const server = createServer(handler);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'c', server: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, skipTLSVerify: true }],
    users: [{ name: 'u' }],
    contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
    currentContext: 'x',
  });
  return { server, client: new KubeRawClient(kc) };
}

async function stop(s: { server: Server; client: KubeRawClient }): Promise<void> {
  s.client.close();
  s.server.closeAllConnections();
  await new Promise((r) => s.server.close(r));
}

// 3 MB in pieces written over several event-loop turns: the client sees many chunks
const BODY = Buffer.from(Array.from({ length: 60_000 }, (_, i) => `line ${i} ${'x'.repeat(40)}\n`).join(''));

void test('getChunks hands the body over in order, in many chunks that add up to it; getBytes returns it whole', async () => {
  const s = await serve((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain' });
    let at = 0;
    const next = () => {
      if (at >= BODY.length) return res.end();
      res.write(BODY.subarray(at, (at += 100_000)));
      setImmediate(next);
    };
    next();
  });
  try {
    const chunks: Buffer[] = [];
    await s.client.getChunks('/metrics', 'text/plain', (c) => chunks.push(Buffer.from(c)));
    assert.ok(chunks.length > 3, `${chunks.length} chunks`);
    assert.ok(Buffer.concat(chunks).equals(BODY));
    assert.ok((await s.client.getBytes('/metrics', 'text/plain')).equals(BODY));
  } finally {
    await stop(s);
  }
});

void test('an error status rejects with its code and body; the consumer sees none of it', async () => {
  const s = await serve((_req, res) => {
    res.writeHead(403, { 'content-type': 'application/json' }).end('{"kind":"Status","message":"forbidden: nodes/proxy"}');
  });
  try {
    let called = 0;
    await assert.rejects(
      s.client.getChunks('/api/v1/nodes/n/proxy/metrics/cadvisor', 'text/plain', () => called++),
      (err: unknown) => err instanceof ApiException && err.code === 403 && String(err.body).includes('forbidden: nodes/proxy'),
    );
    assert.equal(called, 0);
  } finally {
    await stop(s);
  }
});

void test('a consumer that throws ends the request: its error comes back and the rest is not read', async () => {
  let closed: () => void = () => {};
  const serverSawClose = new Promise<void>((r) => (closed = r));
  const s = await serve((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.on('close', () => closed());
    // a body that would never end on its own
    const timer = setInterval(() => res.write(BODY.subarray(0, 50_000)), 5);
    res.on('close', () => clearInterval(timer));
  });
  try {
    let seen = 0;
    await assert.rejects(
      s.client.getChunks('/metrics', 'text/plain', () => {
        if (++seen === 2) throw new Error('scanner gave up');
      }),
      /scanner gave up/,
    );
    await serverSawClose; // the connection was dropped, not read to the end
    assert.equal(seen, 2, 'no chunk after the failure');
  } finally {
    await stop(s);
  }
});

void test('getJson parses a JSON body and names a body that is not JSON', async () => {
  const s = await serve((req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' }).end(req.url === '/ok' ? '{"items":[1,2]}' : '<html>');
  });
  try {
    assert.deepEqual(await s.client.getJson('/ok'), { items: [1, 2] });
    await assert.rejects(s.client.getJson('/html'), /GET \/html answered with a body that is not JSON/);
  } finally {
    await stop(s);
  }
});
