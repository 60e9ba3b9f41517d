import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { HOST, admin, buildApp, count, enroll, makeBatch, sampleEvents, sendBatch, tempDir, testConfig } from './helpers.js';

const HOST_FOR_REMOTE = { ...HOST, hostname: 'remote' };

const dir = tempDir();
let app: FastifyInstance;

beforeAll(async () => {
  // A slow probe, so the test sees the outage before the monitor repairs it.
  app = await buildApp(testConfig(dir.path), { probeIntervalMs: 1500 });
});
afterAll(async () => {
  await app?.close();
  dir.cleanup();
});

const rowsOf = (batchId: string) => count(app, 'SELECT count() AS n FROM events WHERE batch_id = {b:UUID}', { b: batchId });

async function until(check: () => Promise<boolean>, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('condition not reached');
}

describe('store outage', () => {
  it('answers 503 with Retry-After while the store is down, acks nothing, and recovers without a restart', async () => {
    const agent = await enroll(app);
    const batch = makeBatch(agent, sampleEvents(10));
    await app.collector.store.disconnect();
    const down = await sendBatch(app, agent, batch, { gzip: true });
    expect([down.statusCode, down.json().code]).toEqual([503, 'STORE_UNAVAILABLE']);
    expect(down.headers['retry-after']).toBe('5');
    const ready = await app.inject({ method: 'GET', url: '/readyz' });
    expect(ready.statusCode).toBe(503);
    expect((await app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);

    await until(async () => (await app.inject({ method: 'GET', url: '/readyz' })).statusCode === 200);
    const retried = await sendBatch(app, agent, batch, { gzip: true });
    expect(retried.statusCode, retried.body).toBe(200);
    expect(retried.json().duplicate).toBe(false);
    expect(await rowsOf(batch.batch_id)).toBe(10);
    const metrics = (await app.inject({ method: 'GET', url: '/metrics' })).body;
    expect(metrics).toContain('aiscout_rejects_total{code="STORE_UNAVAILABLE"} 1');
  });

  it('a retry after a timeout (the first insert landed after we gave up) stores nothing twice', async () => {
    const agent = await enroll(app, { hostname: 'slow-host', os: 'linux', os_version: '12', arch: 'x64', serial: 'SLOW', primary_user: 'sam' });
    // One batch first, so the agent's key and sequence are cached: the slow call is the INSERT itself.
    expect((await sendBatch(app, agent, makeBatch(agent, sampleEvents(1, 'warm-user')))).statusCode).toBe(200);
    const batch = makeBatch(agent, sampleEvents(40, 'slow-user'));
    const options = app.collector.store.options;
    const normal = options.timeoutMs;
    options.timeoutMs = 1; // the store is "slow": every call times out
    const slow = await sendBatch(app, agent, batch);
    options.timeoutMs = normal;
    expect([slow.statusCode, slow.json().code]).toEqual([503, 'STORE_UNAVAILABLE']);

    await until(async () => app.collector.store.healthy);
    // The timed-out insert finished in the engine anyway.
    await until(async () => (await rowsOf(batch.batch_id)) === 40);
    const retried = await sendBatch(app, agent, batch);
    expect(retried.statusCode, retried.body).toBe(200);
    expect(retried.json()).toEqual({ batch_id: batch.batch_id, accepted: 40, duplicate: true });
    expect(await rowsOf(batch.batch_id)).toBe(40);
    expect(await count(app, "SELECT sum(events) AS n FROM usage_daily WHERE user = 'slow-user'")).toBe(40);
    // And the sequence moved on: the next batch is accepted, the same one again is a duplicate.
    expect((await sendBatch(app, agent, makeBatch(agent, sampleEvents(1)))).json().duplicate).toBe(false);
    expect((await sendBatch(app, agent, batch)).json().duplicate).toBe(true);
  });
});

describe('ClickHouse server unreachable at start', () => {
  it('starts anyway: healthz 200, readyz 503, the API answers 503 with Retry-After, nothing crashes', async () => {
    const net = await import('node:net');
    // A port that accepts connections and never answers: a hung server.
    const hung = net.createServer(() => undefined);
    await new Promise<void>((r) => hung.listen(0, '127.0.0.1', () => r()));
    const port = (hung.address() as { port: number }).port;
    const config = testConfig(dir.path);
    config.clickhouse = { ...config.clickhouse, url: `http://127.0.0.1:${port}`, timeoutMs: 300 };
    const remote = await buildApp(config, { probeIntervalMs: 200 });
    try {
      expect((await remote.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
      const ready = await remote.inject({ method: 'GET', url: '/readyz' });
      expect([ready.statusCode, ready.json().store]).toEqual([503, 'unreachable']);
      const agent = { id: '9d2f1e0a-1111-4222-8333-944455556666', keys: (await import('@aiscout/protocol')).generateAgentKeyPair(), host: HOST_FOR_REMOTE, seq: 0 };
      const res = await sendBatch(remote, agent, makeBatch(agent, sampleEvents(1)));
      expect([res.statusCode, res.json().code, res.headers['retry-after']]).toEqual([503, 'STORE_UNAVAILABLE', '5']);
      const adminRes = await remote.inject({ method: 'GET', url: '/v1/admin/agents', headers: admin });
      expect(adminRes.statusCode).toBe(503);
    } finally {
      await remote.close();
      hung.close();
    }
  });
});
