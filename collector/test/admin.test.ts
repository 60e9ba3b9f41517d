import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { ADMIN_TOKEN, HOST, admin, buildApp, count, enroll, makeBatch, sampleEvents, sendBatch, tempDir, testConfig } from './helpers.js';

const dir = tempDir();
const policyFile = join(dir.path, 'policy.yaml');
const directoryFile = join(dir.path, 'directory.yaml');
let app: FastifyInstance;

const POLICY_V1 = `version: 1
default: unapproved
tools:
  github-copilot:
    state: approved
    reason: Enterprise contract
teams:
  Research:
    tools:
      claude-code: approved
`;
const DIRECTORY_V1 = `version: 1
teams:
  Research:
    managers: [rick@corp.example]
    timezone: America/New_York
    users: [erin]
  Platform:
    managers: [dana@corp.example]
    hosts: [build-01]
`;

beforeAll(async () => {
  writeFileSync(policyFile, POLICY_V1);
  writeFileSync(directoryFile, DIRECTORY_V1);
  app = await buildApp(testConfig(dir.path, { policyFile, directoryFile }));
});
afterAll(async () => {
  await app?.close();
  dir.cleanup();
});

async function audit(action: string) {
  const res = await app.inject({ method: 'GET', url: `/v1/admin/audit?action=${action}`, headers: admin });
  expect(res.statusCode).toBe(200);
  return res.json().entries as Array<{ actor: string; action: string; outcome: string; detail: string; target: string }>;
}

describe('admin authentication', () => {
  it('refuses missing and wrong tokens with 401 and audits each failure', async () => {
    for (const headers of [{}, { authorization: 'Bearer wrong-token-wrong-token-wrong' }, { authorization: ADMIN_TOKEN }, { authorization: `Basic ${ADMIN_TOKEN}` }]) {
      const res = await app.inject({ method: 'GET', url: '/v1/admin/agents', headers });
      expect([res.statusCode, res.json().code]).toEqual([401, 'ADMIN_UNAUTHORIZED']);
    }
    const failures = await audit('admin.auth_failed');
    expect(failures.length).toBe(4);
    expect(failures.every((f) => f.outcome === 'denied')).toBe(true);
  });
});

describe('enrichment from directory and policy', () => {
  it('takes the team from the directory (user, then host), else from the agent, and the policy state per team', async () => {
    const agent = await enroll(app, { ...HOST, hostname: 'build-01', team: 'FromMDM' });
    const events = [...sampleEvents(1, 'erin', 'claude-code'), ...sampleEvents(1, 'zoe', 'claude-code')];
    const batch = makeBatch(agent, events);
    expect((await sendBatch(app, agent, batch)).statusCode).toBe(200);
    const rows = await app.collector.store.query<{ user: string; team: string; team_source: string; policy_state: string }>(
      'SELECT user, team, team_source, policy_state FROM events WHERE batch_id = {b:UUID} ORDER BY user', { b: batch.batch_id },
    );
    expect(rows).toEqual([
      { user: 'erin', team: 'Research', team_source: 'directory', policy_state: 'approved' },
      { user: 'zoe', team: 'Platform', team_source: 'directory', policy_state: 'unapproved' },
    ]);
    const elsewhere = await enroll(app, { ...HOST, hostname: 'unlisted-host', serial: 'U1', team: 'FromMDM' });
    const b2 = makeBatch(elsewhere, sampleEvents(1, 'zoe', 'github-copilot'));
    expect((await sendBatch(app, elsewhere, b2)).statusCode).toBe(200);
    const [row] = await app.collector.store.query<{ team: string; team_source: string; policy_state: string }>(
      'SELECT team, team_source, policy_state FROM events WHERE batch_id = {b:UUID}', { b: b2.batch_id },
    );
    expect(row).toEqual({ team: 'FromMDM', team_source: 'agent', policy_state: 'approved' });
  });
});

describe('reload', () => {
  it('writes policy and directory as a new version, appends the diff to the audit trail', async () => {
    writeFileSync(policyFile, POLICY_V1.replace('claude-code: approved', 'claude-code: tolerated'));
    writeFileSync(directoryFile, DIRECTORY_V1.replace('users: [erin]', 'users: [erin, frank]'));
    const res = await app.inject({ method: 'POST', url: '/v1/admin/reload', headers: admin, payload: {} });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().policy_diff.join('\n')).toContain('approved → tolerated');
    expect(res.json().directory_diff.join('\n')).toContain('frank');
    const policy = await app.collector.store.query<{ tool: string; team: string; state: string }>('SELECT tool, team, state FROM policy_current ORDER BY team, tool');
    expect(policy).toContainEqual({ tool: 'claude-code', team: 'Research', state: 'tolerated' });
    const directory = await app.collector.store.query<{ kind: string; key: string; team: string }>("SELECT kind, key, team FROM directory_current WHERE kind = 'user' ORDER BY key");
    expect(directory.map((d) => d.key)).toEqual(['erin', 'frank']);
    const entries = await audit('policy.reload');
    expect(entries[0]!.actor).toBe('admin:ops');
    expect(entries[0]!.detail).toContain('approved → tolerated');
    expect((await audit('directory.reload'))[0]!.detail).toContain('frank');
  });

  it('rejects a file with errors, reports the issues, and changes nothing', async () => {
    const before = await app.collector.store.query('SELECT tool, team, state FROM policy_current ORDER BY team, tool');
    writeFileSync(policyFile, 'version: 1\ntools: [this is: not valid\n');
    const res = await app.inject({ method: 'POST', url: '/v1/admin/reload', headers: admin });
    expect([res.statusCode, res.json().code]).toEqual([422, 'RELOAD_REJECTED']);
    expect(res.json().detail.length).toBeGreaterThan(0);
    expect(await app.collector.store.query('SELECT tool, team, state FROM policy_current ORDER BY team, tool')).toEqual(before);
    expect(app.collector.reference.decide('claude-code', 'Research', new Date())).toBe('tolerated');
    expect((await audit('reference.reload'))[0]!.outcome).toBe('rejected');
  });
});

describe('agents and inventory', () => {
  it('lists agents, revokes one (audited), and 404s an unknown id', async () => {
    const agent = await enroll(app, { ...HOST, hostname: 'admin-list', serial: 'AL' });
    const list = await app.inject({ method: 'GET', url: '/v1/admin/agents', headers: admin });
    expect(list.json().agents.find((a: { agent_id: string }) => a.agent_id === agent.id)).toMatchObject({ hostname: 'admin-list', revoked: 0 });
    const revoke = await app.inject({ method: 'POST', url: `/v1/admin/agents/${agent.id}/revoke`, headers: admin, payload: { reason: 'decommissioned' } });
    expect(revoke.json()).toEqual({ agent_id: agent.id, revoked: true });
    const revoked = await app.inject({ method: 'GET', url: '/v1/admin/agents?revoked=true', headers: admin });
    expect(revoked.json().agents.map((a: { agent_id: string }) => a.agent_id)).toContain(agent.id);
    const missing = await app.inject({ method: 'POST', url: '/v1/admin/agents/00000000-0000-4000-8000-000000000000/revoke', headers: admin, payload: { reason: 'x' } });
    expect([missing.statusCode, missing.json().code]).toEqual([404, 'NOT_FOUND']);
    const entries = await audit('agent.revoke');
    expect(entries.some((e) => e.target === agent.id && e.outcome === 'ok' && e.actor === 'admin:ops')).toBe(true);
    expect((await audit('agent.enroll')).length).toBeGreaterThan(0);
  });

  it('answers inventory queries by team, tool and since', async () => {
    const res = await app.inject({ method: 'GET', url: '/v1/admin/inventory?team=Research&tool=claude-code', headers: admin });
    expect(res.statusCode, res.body).toBe(200);
    const rows = res.json().rows as Array<{ team: string; user: string; tool: string; sightings: number; evidence_kind: string }>;
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.every((r) => r.team === 'Research' && r.tool === 'claude-code')).toBe(true);
    const future = await app.inject({ method: 'GET', url: '/v1/admin/inventory?since=2999-01-01', headers: admin });
    expect(future.json().rows, future.body).toEqual([]);
    const bad = await app.inject({ method: 'GET', url: "/v1/admin/inventory?since=yesterday'--", headers: admin });
    expect([bad.statusCode, bad.json().code]).toEqual([400, 'BAD_REQUEST']);
  });

  it('keeps the audit trail append-only and retained at least 400 days', async () => {
    const [table] = await app.collector.store.query<{ q: string }>("SELECT create_table_query AS q FROM system.tables WHERE name = 'audit_log' AND database = currentDatabase()");
    const days = Number(/toIntervalDay\((\d+)\)/.exec(table!.q)?.[1]);
    expect(days).toBeGreaterThanOrEqual(400);
    expect((await audit('secrets.change')).length).toBe(1);
    expect(await count(app, "SELECT count() AS n FROM audit_log WHERE action = 'agent.revoke'")).toBeGreaterThan(0);
  });
});
