import { describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { AGENT_ID_HEADER, SIGNATURE_HEADER, generateAgentKeyPair, privateKeyFromBase64, verifyBody } from '@aiscout/protocol';
import { Spool } from '../src/spool/index.js';
import { classifyBatchAnswer } from '../src/transport/answer.js';
import { Backoff, parseRetryAfter } from '../src/transport/backoff.js';
import { Delivery } from '../src/transport/delivery.js';
import { CollectorClient } from '../src/transport/http.js';
import { Outbox } from '../src/transport/outbox.js';
import { syntheticEvent } from './helpers/agent.js';

const BATCH = '0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b';
const answer = (status: number, body: unknown, headers: http.IncomingHttpHeaders = {}) => ({ status, headers, body: JSON.stringify(body) });

describe('collector answers', () => {
  it('classifies by status and error code only', () => {
    expect(classifyBatchAnswer(answer(200, { batch_id: BATCH, accepted: 3, duplicate: true }), BATCH)).toEqual({ kind: 'acked', duplicate: true });
    expect(classifyBatchAnswer(answer(200, { batch_id: 'other' }), BATCH).kind).toBe('retry');
    expect(classifyBatchAnswer(answer(503, { code: 'STORE_UNAVAILABLE', message: 'x' }, { 'retry-after': '5' }), BATCH)).toMatchObject({ kind: 'retry', retryAfterMs: 5000 });
    expect(classifyBatchAnswer(answer(403, { code: 'AGENT_REVOKED', message: 'x' }), BATCH)).toEqual({ kind: 'revoked' });
    expect(classifyBatchAnswer(answer(401, { code: 'AGENT_UNKNOWN', message: 'x' }), BATCH).kind).toBe('reenroll');
    expect(classifyBatchAnswer(answer(409, { code: 'REPLAY', message: 'x', detail: ['seq 4 <= last stored 17'] }), BATCH)).toEqual({ kind: 'replay', lastStored: 17 });
    expect(classifyBatchAnswer(answer(413, { code: 'BODY_TOO_LARGE', message: 'x' }), BATCH).kind).toBe('too-large');
    expect(classifyBatchAnswer(answer(400, { code: 'SCHEMA_INVALID', message: 'x', detail: ['/events/0/user: bad'] }), BATCH)).toMatchObject({ kind: 'poison', reason: 'SCHEMA_INVALID: /events/0/user: bad' });
    // A proxy's 404 page or a 401 without our codes is not the batch's fault.
    expect(classifyBatchAnswer({ status: 404, headers: {}, body: '<html>' }, BATCH).kind).toBe('retry');
  });

  it('reads Retry-After as seconds or an HTTP date', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(parseRetryAfter('120', now)).toBe(120_000);
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfter('Wed, 31 Dec 2025 00:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('soon', now)).toBeNull();
    expect(parseRetryAfter(undefined, now)).toBeNull();
  });

  it('backs off exponentially with full jitter, capped, with Retry-After as a floor', () => {
    const top = new Backoff(1000, 300_000, () => 0.999999);
    expect([1, 2, 3, 4].map(() => top.next())).toEqual([999, 1999, 3999, 7999]);
    for (let i = 0; i < 20; i++) top.next();
    expect(top.next()).toBe(299_999);
    const low = new Backoff(1000, 300_000, () => 0);
    expect(low.next()).toBe(0);
    expect(low.next(5000)).toBe(5000);
    low.reset();
    expect(low.failures).toBe(0);
  });
});

/** A loopback HTTP server whose answers the test scripts; it records what it received. */
async function scriptedCollector(reply: (body: Buffer, headers: http.IncomingHttpHeaders) => { status: number; body: unknown }) {
  const seen: { batch: { batch_id: string; seq: number; events: { id: string }[] }; headers: http.IncomingHttpHeaders; raw: Buffer }[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      seen.push({ batch: JSON.parse(gunzipSync(raw).toString()), headers: req.headers, raw });
      const r = reply(raw, req.headers);
      res.writeHead(r.status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(r.body));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen, close: () => new Promise<void>((r) => server.close(() => r())) };
}

describe('delivery', () => {
  const host = { hostname: 'h', os: 'linux' as const, os_version: '6', arch: 'x64', serial: null, primary_user: null };
  const envelope = () => ({ agent_version: '0.1.0', catalog_version: 'test', host });

  it('resends an unacknowledged batch after a restart with the same batch id and sequence, signed over the gzip bytes', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'aiscout-transport-'));
    const keys = generateAgentKeyPair();
    const sender = { agentId: '11111111-2222-4333-8444-555555555555', key: privateKeyFromBase64(keys.privateKey), enrolledLastSeq: 7 };
    let mode: 'down' | 'up' = 'down';
    const server = await scriptedCollector((_raw, _h) => (mode === 'down' ? { status: 503, body: { code: 'STORE_UNAVAILABLE', message: 'x' } } : { status: 200, body: { batch_id: server.seen.at(-1)!.batch.batch_id, accepted: 1, duplicate: false } }));
    const client = new CollectorClient(server.url);
    let spool = await Spool.open(path.join(dir, 'spool'));
    await spool.append([1, 2, 3].map((n) => Buffer.from(JSON.stringify(syntheticEvent(n)))));
    let delivery = new Delivery(spool, await Outbox.open(dir), dir, envelope);
    expect((await delivery.sendOnce(client, sender)).kind).toBe('retry');
    const first = server.seen[0]!;
    expect(first.batch.seq).toBe(8);
    expect(first.headers['content-encoding']).toBe('gzip');
    expect(first.headers[AGENT_ID_HEADER]).toBe(sender.agentId);
    expect(verifyBody(keys.publicKey, first.raw, String(first.headers[SIGNATURE_HEADER]))).toBe(true);

    // "Crash": new spool, outbox and delivery objects over the same files; more records arrived meanwhile.
    await spool.close();
    spool = await Spool.open(path.join(dir, 'spool'));
    await spool.append([Buffer.from(JSON.stringify(syntheticEvent(4)))]);
    delivery = new Delivery(spool, await Outbox.open(dir), dir, envelope);
    mode = 'up';
    const out = await delivery.sendOnce(client, sender);
    expect(out).toMatchObject({ kind: 'acked', events: 3, seq: 8, batchId: first.batch.batch_id });
    expect(server.seen[1]!.batch.events.map((e) => e.id)).toEqual(first.batch.events.map((e) => e.id));
    // The next batch gets the next sequence and only the new record.
    expect(await delivery.sendOnce(client, sender)).toMatchObject({ kind: 'acked', events: 1, seq: 9 });
    expect(await delivery.sendOnce(client, sender)).toEqual({ kind: 'idle' });
    expect(spool.stats().records).toBe(0);
    await spool.close();
    client.close();
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('moves its sequence above the collector’s after REPLAY and halves batches the collector finds too large', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'aiscout-transport-'));
    const keys = generateAgentKeyPair();
    const sender = { agentId: '11111111-2222-4333-8444-555555555555', key: privateKeyFromBase64(keys.privateKey), enrolledLastSeq: 0 };
    const server = await scriptedCollector(() => {
      const b = server.seen.at(-1)!.batch;
      if (b.seq <= 40) return { status: 409, body: { code: 'REPLAY', message: 'x', detail: [`seq ${b.seq} <= last stored 40`] } };
      if (b.events.length > 2) return { status: 413, body: { code: 'TOO_MANY_EVENTS', message: 'x' } };
      return { status: 200, body: { batch_id: b.batch_id, accepted: b.events.length, duplicate: false } };
    });
    const client = new CollectorClient(server.url);
    const spool = await Spool.open(path.join(dir, 'spool'));
    await spool.append([1, 2, 3, 4, 5].map((n) => Buffer.from(JSON.stringify(syntheticEvent(n)))));
    const delivery = new Delivery(spool, await Outbox.open(dir), dir, envelope);
    const outcomes: string[] = [];
    for (let i = 0; i < 10; i++) {
      const o = await delivery.sendOnce(client, sender);
      outcomes.push(o.kind);
      if (o.kind === 'idle') break;
    }
    expect(outcomes.slice(0, 2)).toEqual(['again', 'again']);
    expect(outcomes.at(-1)).toBe('idle');
    const accepted = server.seen.filter((x) => x.batch.seq > 40 && x.batch.events.length <= 2);
    // Sequences only go up, every event arrives once, in order.
    const seqs = server.seen.slice(1).map((x) => x.batch.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(new Set(seqs).size).toBe(seqs.length);
    expect(accepted.flatMap((x) => x.batch.events.map((e) => e.id))).toEqual(server.seen[0]!.batch.events.map((e) => e.id));
    expect(spool.stats().records).toBe(0);
    await spool.close();
    client.close();
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });
});
