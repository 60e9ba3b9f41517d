import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { PROTOCOL_VERSION, generateAgentKeyPair } from '@aiscout/protocol';
import { ADMIN_TOKEN, ENROLL_SECRET, buildApp, enroll, makeBatch, sampleEvents, sendBatch, sendRaw, tempDir, testConfig } from './helpers.js';

const USER_MARKER = 'user-MARKER-91ab3c';
const HOST_MARKER = 'host-MARKER-44de77';
const dir = tempDir();
const lines: string[] = [];
let app: FastifyInstance;

beforeAll(async () => {
  const policyFile = join(dir.path, 'policy.yaml');
  writeFileSync(policyFile, 'version: 1\ndefault: unapproved\n');
  app = await buildApp(testConfig(dir.path, { logLevel: 'trace', policyFile }), { logStream: { write: (l: string) => void lines.push(l) } });
});
afterAll(async () => {
  await app?.close();
  dir.cleanup();
});

describe('logs', () => {
  it('never contain the enrollment secret, admin tokens, user names or host names, even on error paths', async () => {
    const host = { hostname: HOST_MARKER, os: 'linux' as const, os_version: '12', arch: 'x64', serial: null, primary_user: USER_MARKER };
    const agent = await enroll(app, host);
    const events = sampleEvents(3, USER_MARKER);
    await sendBatch(app, agent, makeBatch(agent, events));
    // Error paths: bad secret, schema errors carrying the markers, tampered signature, bad admin token, store outage.
    await app.inject({ method: 'POST', url: '/v1/enroll', payload: { protocol_version: PROTOCOL_VERSION, enrollment_secret: `${ENROLL_SECRET}x`, public_key: generateAgentKeyPair().publicKey, agent_version: '1', host } });
    await app.inject({ method: 'POST', url: '/v1/enroll', payload: { protocol_version: PROTOCOL_VERSION, enrollment_secret: ENROLL_SECRET, public_key: 'x', agent_version: '1', host: { ...host, extra: USER_MARKER } } });
    await app.inject({ method: 'POST', url: '/v1/enroll', headers: { 'content-type': 'application/json' }, payload: `{"enrollment_secret":"${ENROLL_SECRET}","user":"${USER_MARKER}"` });
    const bad = makeBatch(agent, sampleEvents(1, USER_MARKER));
    (bad.events[0] as { count: number }).count = -5;
    await sendBatch(app, agent, bad);
    await sendRaw(app, agent, Buffer.from(JSON.stringify(makeBatch(agent, events))), { signOver: Buffer.from(USER_MARKER) });
    await app.inject({ method: 'GET', url: '/v1/admin/agents', headers: { authorization: `Bearer ${ADMIN_TOKEN}x` } });
    await app.inject({ method: 'GET', url: `/v1/admin/agents?x=${USER_MARKER}`, headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    await app.inject({ method: 'GET', url: `/nope/${USER_MARKER}` });
    await app.collector.store.disconnect();
    await sendBatch(app, agent, makeBatch(agent, sampleEvents(2, USER_MARKER)));
    await app.inject({ method: 'GET', url: '/v1/admin/agents', headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    await app.inject({ method: 'POST', url: '/v1/enroll', payload: { protocol_version: PROTOCOL_VERSION, enrollment_secret: ENROLL_SECRET, public_key: generateAgentKeyPair().publicKey, agent_version: '1', host } });

    const all = lines.join('');
    expect(lines.length).toBeGreaterThan(5);
    expect(all).toContain('STORE_UNAVAILABLE');
    for (const marker of [ENROLL_SECRET, ADMIN_TOKEN, USER_MARKER, HOST_MARKER]) expect(all, marker).not.toContain(marker);
  });
});
