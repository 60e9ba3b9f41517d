import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { PROTOCOL_VERSION, generateAgentKeyPair, uuidv7 } from '@aiscout/protocol';
import {
  ENROLL_SECRET, HOST, RETIRED_SECRET, admin, buildApp, count, encodeBatch, enroll, makeBatch, sampleEvents, sendBatch, sendRaw,
  tempDir, testConfig, type TestAgent,
} from './helpers.js';

const dir = tempDir();
let app: FastifyInstance;

beforeAll(async () => {
  app = await buildApp(testConfig(dir.path, { limits: { bodyBytes: 128 * 1024, inflatedBytes: 1024 * 1024, eventsPerBatch: 500, futureSkewSeconds: 3600 } }));
});
afterAll(async () => {
  await app?.close();
  dir.cleanup();
});

const rowsOf = (batchId: string) => count(app, 'SELECT count() AS n FROM events WHERE batch_id = {b:UUID}', { b: batchId });
const totalRows = () => count(app, 'SELECT count() AS n FROM events');

function enrollBody(overrides: Record<string, unknown> = {}) {
  return { protocol_version: PROTOCOL_VERSION, enrollment_secret: ENROLL_SECRET, public_key: generateAgentKeyPair().publicKey, agent_version: '0.1.0', host: HOST, ...overrides };
}

describe('enrollment', () => {
  it('gives a new host an agent id and last_seq 0, and records it', async () => {
    const agent = await enroll(app, { ...HOST, hostname: 'enroll-1', serial: 'SER-1' });
    expect(agent.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(agent.seq).toBe(0);
    const res = await app.inject({ method: 'GET', url: '/v1/admin/agents', headers: admin });
    expect(res.json().agents.some((a: { agent_id: string; hostname: string }) => a.agent_id === agent.id && a.hostname === 'enroll-1')).toBe(true);
  });

  it('answers the same id to a retried enrollment (same key) and to a reinstalled agent on the same host (new key), resuming its sequence', async () => {
    const host = { ...HOST, hostname: 'enroll-2', serial: 'SER-2' };
    const first = await enroll(app, host);
    expect((await sendBatch(app, first, makeBatch(first, sampleEvents(2)))).statusCode).toBe(200);
    const again = await enroll(app, host, first.keys);
    expect(again.id).toBe(first.id);
    const reinstalled = await enroll(app, host);
    expect(reinstalled.id).toBe(first.id);
    expect(reinstalled.seq).toBe(1);
    // The old key no longer signs for this agent.
    expect((await sendBatch(app, first, makeBatch(first, sampleEvents(1)))).json().code).toBe('SIGNATURE_INVALID');
    expect((await sendBatch(app, reinstalled, makeBatch(reinstalled, sampleEvents(1)))).statusCode).toBe(200);
  });

  it('refuses unknown and retired secrets, bad keys and bad bodies, changing nothing', async () => {
    const before = await count(app, 'SELECT count() AS n FROM agents');
    const cases: Array<[Record<string, unknown>, number, string]> = [
      [enrollBody({ enrollment_secret: 'not-the-secret-at-all' }), 401, 'ENROLLMENT_SECRET_INVALID'],
      [enrollBody({ enrollment_secret: RETIRED_SECRET }), 401, 'ENROLLMENT_SECRET_INVALID'],
      [enrollBody({ public_key: Buffer.alloc(44, 1).toString('base64') }), 400, 'PUBLIC_KEY_INVALID'],
      [enrollBody({ host: { ...HOST, hostname: 'x'.repeat(300) } }), 400, 'BAD_REQUEST'],
      [enrollBody({ extra: 1 }), 400, 'BAD_REQUEST'],
    ];
    for (const [payload, status, code] of cases) {
      const res = await app.inject({ method: 'POST', url: '/v1/enroll', payload });
      expect([res.statusCode, res.json().code]).toEqual([status, code]);
    }
    const poisoned = await app.inject({
      method: 'POST', url: '/v1/enroll', headers: { 'content-type': 'application/json' },
      payload: `{"__proto__":{"admin":true},${JSON.stringify(enrollBody()).slice(1)}`,
    });
    expect([poisoned.statusCode, poisoned.json().code]).toEqual([400, 'MALFORMED_BODY']);
    expect(await count(app, 'SELECT count() AS n FROM agents')).toBe(before);
  });
});

describe('batches', () => {
  let agent: TestAgent;
  beforeAll(async () => {
    agent = await enroll(app, { ...HOST, hostname: 'batches-host', serial: 'SER-B' });
  });

  it('stores JSON, NDJSON and gzip bodies, answering only once the rows are there', async () => {
    for (const opts of [{}, { ndjson: true }, { gzip: true }, { gzip: true, ndjson: true }]) {
      const batch = makeBatch(agent, sampleEvents(12));
      const res = await sendBatch(app, agent, batch, opts);
      expect(res.statusCode, `${JSON.stringify(opts)} ${res.body}`).toBe(200);
      expect(res.json()).toEqual({ batch_id: batch.batch_id, accepted: 12, duplicate: false });
      expect(await rowsOf(batch.batch_id)).toBe(12);
    }
  });

  it('rejects a tampered body, a signature by another key, a missing signature, unknown agents', async () => {
    const before = await totalRows();
    const batch = makeBatch(agent, sampleEvents(3));
    const body = encodeBatch(batch);
    const tampered = Buffer.from(body.toString().replace('"count":2', '"count":9'));
    expect((await sendRaw(app, agent, tampered, { signOver: body })).json().code).toBe('SIGNATURE_INVALID');
    const stranger = { ...agent, keys: generateAgentKeyPair() };
    expect((await sendRaw(app, stranger, body)).json().code).toBe('SIGNATURE_INVALID');
    expect((await sendRaw(app, agent, body, { headers: { 'x-aiscout-signature': '' } })).json().code).toBe('SIGNATURE_MISSING');
    const unknown = await sendRaw(app, { ...agent, id: '00000000-0000-4000-8000-000000000000' }, body);
    expect([unknown.statusCode, unknown.json().code]).toEqual([401, 'AGENT_UNKNOWN']);
    expect((await sendRaw(app, { ...agent, id: 'not-a-uuid' }, body)).json().code).toBe('AGENT_UNKNOWN');
    // A gzip body is signed as sent: a signature over the inflated bytes does not verify.
    const gz = gzipSync(body);
    expect((await sendRaw(app, agent, gz, { gzip: true, signOver: body })).json().code).toBe('SIGNATURE_INVALID');
    expect(await totalRows()).toBe(before);
  });

  it('answers a resent batch with duplicate: true and stores nothing twice, rollups included', async () => {
    const batch = makeBatch(agent, sampleEvents(8, 'dup-user'));
    expect((await sendBatch(app, agent, batch)).json().duplicate).toBe(false);
    const usage = () => count(app, "SELECT sum(tokens_in) AS n FROM usage_daily WHERE user = 'dup-user'");
    const tokensBefore = await usage();
    const again = await sendBatch(app, agent, batch, { gzip: true });
    expect([again.statusCode, again.json().duplicate, again.json().accepted]).toEqual([200, true, 8]);
    expect(await rowsOf(batch.batch_id)).toBe(8);
    expect(await usage()).toBe(tokensBefore);
  });

  it('collapses the same events stored twice under another batch (two collectors) with ReplacingMergeTree', async () => {
    const events = sampleEvents(6, 'twice-user');
    const first = makeBatch(agent, events);
    expect((await sendBatch(app, agent, first)).statusCode).toBe(200);
    // The same events re-sent as a new batch: the backstop when deduplication before the insert missed.
    const second = makeBatch(agent, events.map((e) => ({ ...e })));
    expect((await sendBatch(app, agent, second)).statusCode).toBe(200);
    expect(await count(app, "SELECT count() AS n FROM events WHERE user = 'twice-user'")).toBe(12);
    expect(await count(app, "SELECT count() AS n FROM events FINAL WHERE user = 'twice-user'")).toBe(6);
  });

  it('rejects a replayed sequence number with another batch id', async () => {
    const first = makeBatch(agent, sampleEvents(2));
    expect((await sendBatch(app, agent, first)).statusCode).toBe(200);
    const replay = makeBatch(agent, sampleEvents(2), first.seq);
    const res = await sendBatch(app, agent, replay);
    expect([res.statusCode, res.json().code]).toEqual([409, 'REPLAY']);
    expect(await rowsOf(replay.batch_id)).toBe(0);
  });

  it('rejects oversized bodies, gzip bombs, too many events, malformed and invalid bodies with coded 4xx', async () => {
    const before = await totalRows();
    const big = makeBatch(agent, sampleEvents(400));
    const bigRes = await sendBatch(app, agent, big);
    expect([bigRes.statusCode, bigRes.json().code]).toEqual([413, 'BODY_TOO_LARGE']);
    const bomb = gzipSync(Buffer.alloc(8 * 1024 * 1024, 0x20));
    const bombRes = await sendRaw(app, agent, bomb, { gzip: true });
    expect([bombRes.statusCode, bombRes.json().code]).toEqual([413, 'INFLATED_TOO_LARGE']);
    const many = makeBatch(agent, sampleEvents(501));
    const manyRes = await sendBatch(app, agent, many, { gzip: true });
    expect([manyRes.statusCode, manyRes.json().code]).toEqual([413, 'TOO_MANY_EVENTS']);
    const cases: Array<[Buffer, Record<string, unknown>, string]> = [
      [Buffer.from('{"not json'), {}, 'MALFORMED_BODY'],
      [Buffer.from('{"__proto__":{"x":1}}'), {}, 'MALFORMED_BODY'],
      [Buffer.from('[1,2,3]'), {}, 'SCHEMA_INVALID'],
      [Buffer.from('not gzip at all'), { gzip: true }, 'BAD_GZIP'],
      [Buffer.from('{"a":1}\n{"b":2}\n'), { ndjson: true }, 'SCHEMA_INVALID'],
      [Buffer.from('\n\n'), { ndjson: true }, 'MALFORMED_BODY'],
    ];
    for (const [body, opts, code] of cases) {
      const res = await sendRaw(app, agent, body, opts);
      expect(res.json().code, body.toString().slice(0, 30)).toBe(code);
      expect(res.statusCode).toBeGreaterThanOrEqual(400);
      expect(res.statusCode).toBeLessThan(500);
    }
    const wrongType = await sendRaw(app, agent, Buffer.from('{}'), { headers: { 'content-type': 'text/plain' } });
    expect([wrongType.statusCode, wrongType.json().code]).toEqual([415, 'UNSUPPORTED_MEDIA_TYPE']);
    const badEncoding = await sendRaw(app, agent, Buffer.from('{}'), { headers: { 'content-encoding': 'br' } });
    expect(badEncoding.json().code).toBe('UNSUPPORTED_ENCODING');
    expect(await totalRows()).toBe(before);
  });

  it('rejects a batch with one bad event entirely: no partial write', async () => {
    const events = sampleEvents(5);
    (events[3] as { count: number }).count = -1;
    const batch = makeBatch(agent, events);
    const res = await sendBatch(app, agent, batch);
    expect([res.statusCode, res.json().code]).toEqual([400, 'SCHEMA_INVALID']);
    expect(res.json().detail.join(' ')).toContain('/events/3');
    const future = sampleEvents(2);
    future[1]!.window_end = new Date(Date.now() + 10 * 86_400_000).toISOString();
    expect((await sendBatch(app, agent, makeBatch(agent, future))).json().code).toBe('EVENT_TIME_OUT_OF_RANGE');
    const ancient = sampleEvents(1);
    ancient[0]!.window_start = '1999-01-01T00:00:00Z';
    expect((await sendBatch(app, agent, makeBatch(agent, ancient))).json().code).toBe('EVENT_TIME_OUT_OF_RANGE');
    const twins = sampleEvents(2);
    twins[1]!.id = twins[0]!.id;
    expect((await sendBatch(app, agent, makeBatch(agent, twins))).json().code).toBe('DUPLICATE_EVENT_ID');
    const other = makeBatch(agent, sampleEvents(1));
    other.agent_id = '11111111-1111-4111-8111-111111111111';
    expect((await sendBatch(app, agent, other)).json().code).toBe('AGENT_MISMATCH');
    expect(await rowsOf(batch.batch_id)).toBe(0);
  });

  it('stores hostile field values byte for byte and never as SQL', async () => {
    const hostile = [
      "robert'); DROP TABLE events;--",
      'tab\there\nnew\\line\r\u0000nul',
      '\u202Eevil\u200B 😀 ünïcødé',
      '{{user}} ${x} %s \\N',
    ];
    const events = sampleEvents(hostile.length);
    events.forEach((e, i) => {
      e.user = hostile[i]!;
      e.evidence = { ...e.evidence, value: hostile[(i + 1) % hostile.length]! };
      e.candidates = [e.tool!, "a'b"].filter((c) => /^[a-z0-9][a-z0-9.-]{0,63}$/.test(c));
    });
    const batch = makeBatch(agent, events);
    expect((await sendBatch(app, agent, batch, { gzip: true })).statusCode).toBe(200);
    const rows = await app.collector.store.query<{ user: string; evidence_value: string }>(
      'SELECT user, evidence_value FROM events WHERE batch_id = {b:UUID} ORDER BY event_id', { b: batch.batch_id },
    );
    expect(rows.map((r) => r.user).sort()).toEqual([...hostile].sort());
    expect(rows.map((r) => r.evidence_value).sort()).toEqual([...hostile].sort());
    expect(await count(app, "SELECT count() AS n FROM system.tables WHERE name = 'events' AND database = currentDatabase()")).toBe(1);
  });

  it('refuses batches from a revoked agent', async () => {
    const victim = await enroll(app, { ...HOST, hostname: 'to-revoke', serial: 'SER-R' });
    expect((await sendBatch(app, victim, makeBatch(victim, sampleEvents(1)))).statusCode).toBe(200);
    const revoke = await app.inject({ method: 'POST', url: `/v1/admin/agents/${victim.id}/revoke`, headers: admin, payload: { reason: 'laptop stolen' } });
    expect(revoke.statusCode).toBe(200);
    const batch = makeBatch(victim, sampleEvents(1));
    const res = await sendBatch(app, victim, batch);
    expect([res.statusCode, res.json().code]).toEqual([403, 'AGENT_REVOKED']);
    expect(await rowsOf(batch.batch_id)).toBe(0);
    // Re-enrolling the host makes a new agent; the revoked id stays revoked.
    const fresh = await enroll(app, victim.host);
    expect(fresh.id).not.toBe(victim.id);
  });

  it('counts accepted batches, events and rejects in /metrics', async () => {
    const res = await app.inject({ method: 'GET', url: '/metrics' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('text/plain');
    expect(res.body).toMatch(/aiscout_events_accepted_total \d+/);
    expect(res.body).toContain('aiscout_rejects_total{code="SIGNATURE_INVALID"}');
    expect(res.body).toContain('aiscout_rejects_total{code="REPLAY"} 1');
    expect(res.body).toMatch(/aiscout_insert_seconds_bucket\{le="\+Inf"\} [1-9]/);
    expect(res.body).toMatch(/aiscout_agents_active [1-9]/);
  });
});

describe('empty batch', () => {
  it('is acknowledged and advances the sequence (heartbeat with nothing to say)', async () => {
    const agent = await enroll(app, { ...HOST, hostname: 'quiet', serial: 'SER-Q' });
    const batch = makeBatch(agent, []);
    expect((await sendBatch(app, agent, batch)).json()).toEqual({ batch_id: batch.batch_id, accepted: 0, duplicate: false });
    const replay = makeBatch(agent, [], batch.seq);
    replay.batch_id = uuidv7();
    expect((await sendBatch(app, agent, replay)).json().code).toBe('REPLAY');
  });
});
