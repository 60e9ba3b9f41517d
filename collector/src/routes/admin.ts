import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import Type, { type Static } from 'typebox';
import { ErrorResponse } from '@aiscout/protocol';
import type { AdminToken } from '../config.js';
import { ApiError } from '../errors.js';

const errors = { '4xx': ErrorResponse, '5xx': ErrorResponse };
const Uuid = Type.String({ pattern: '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' });
const Name = Type.String({ minLength: 1, maxLength: 256 });
const Since = Type.String({ maxLength: 40, pattern: '^[0-9]{4}-[0-9]{2}-[0-9]{2}([T ][0-9:.]+(Z|[+-][0-9:]+)?)?$' });
const Limit = Type.Integer({ minimum: 1, maximum: 10_000 });

const AgentRow = Type.Object({
  agent_id: Type.String(), hostname: Type.String(), os: Type.String(), os_version: Type.String(), arch: Type.String(),
  serial: Type.String(), team: Type.String(), agent_version: Type.String(), enrolled_at: Type.String(), enrolled_with: Type.String(),
  revoked: Type.Integer(), revoked_at: Type.Union([Type.String(), Type.Null()]), revoked_reason: Type.String(),
  last_seen: Type.Union([Type.String(), Type.Null()]), last_seq: Type.Integer(), batches: Type.Integer(), events: Type.Integer(),
});
const InventoryRow = Type.Object({
  team: Type.String(), user: Type.String(), host: Type.String(), tool: Type.String(), evidence_kind: Type.String(),
  first_seen: Type.String(), last_seen: Type.String(), sightings: Type.Integer(), evidence_sample: Type.String(),
});
const AuditRow = Type.Object({
  id: Type.String(), at: Type.String(), actor: Type.String(), action: Type.String(), target: Type.String(),
  outcome: Type.String(), detail: Type.String(), remote_ip: Type.String(), collector: Type.String(),
});
const ReloadResponse = Type.Object({
  ok: Type.Boolean(),
  policy_diff: Type.Array(Type.String()),
  directory_diff: Type.Array(Type.String()),
  warnings: Type.Array(Type.String()),
});

function digest(s: string): Buffer {
  return createHash('sha256').update(s, 'utf8').digest();
}

/** Constant-time check of a bearer token against every configured token (no early exit). */
export function matchToken(tokens: AdminToken[], header: string | undefined): AdminToken | null {
  const m = /^Bearer\s+(\S+)$/i.exec(header ?? '');
  const c = digest(m?.[1] ?? '');
  let found: AdminToken | null = null;
  for (const t of tokens) if (timingSafeEqual(digest(t.token), c) && m) found = t;
  return found;
}

declare module 'fastify' {
  interface FastifyRequest {
    adminId: string | null;
  }
}

/** Admin API: bearer tokens from the config; every action, and every failed authentication, is audited. */
export async function adminApi(app: FastifyInstance): Promise<void> {
  const ctx = app.collector;
  app.decorateRequest('adminId', null);
  app.addHook('onRequest', async (request: FastifyRequest) => {
    const token = matchToken(ctx.config.adminTokens, request.headers.authorization);
    if (!token) {
      await ctx.audit
        .append({ actor: 'anonymous', action: 'admin.auth_failed', target: request.routeOptions.url ?? request.url.slice(0, 200), outcome: 'denied', detail: { method: request.method }, remoteIp: request.ip })
        .catch(() => request.log.warn('could not audit a failed admin authentication: store unavailable'));
      throw new ApiError('ADMIN_UNAUTHORIZED');
    }
    request.adminId = `admin:${token.id}`;
    if (!ctx.ready) throw new ApiError('STORE_UNAVAILABLE');
  });

  app.get<{ Querystring: { revoked?: boolean; limit?: number } }>(
    '/v1/admin/agents',
    { schema: { querystring: Type.Object({ revoked: Type.Optional(Type.Boolean()), limit: Type.Optional(Limit) }), response: { 200: Type.Object({ agents: Type.Array(AgentRow) }), ...errors } } },
    async (request) => ({ agents: (await ctx.agents.list(request.query)).map((a) => ({ ...a, last_seq: Number(a.last_seq), batches: Number(a.batches), events: Number(a.events) })) }),
  );

  const RevokeBody = Type.Object({ reason: Type.String({ minLength: 1, maxLength: 512 }) }, { additionalProperties: false });
  app.post<{ Params: { id: string }; Body: Static<typeof RevokeBody> }>(
    '/v1/admin/agents/:id/revoke',
    { schema: { params: Type.Object({ id: Uuid }), body: RevokeBody, response: { 200: Type.Object({ agent_id: Type.String(), revoked: Type.Boolean() }), ...errors } } },
    async (request) => {
      const record = await ctx.agents.revoke(request.params.id, request.body.reason);
      await ctx.audit.append({
        actor: request.adminId!, action: 'agent.revoke', target: request.params.id, outcome: record ? 'ok' : 'rejected',
        detail: { reason: request.body.reason, found: record !== null }, remoteIp: request.ip,
      });
      if (!record) throw new ApiError('NOT_FOUND');
      return { agent_id: record.agent_id, revoked: true };
    },
  );

  const InventoryQuery = Type.Object({ team: Type.Optional(Name), tool: Type.Optional(Name), since: Type.Optional(Since), limit: Type.Optional(Limit) });
  app.get<{ Querystring: Static<typeof InventoryQuery> }>(
    '/v1/admin/inventory',
    { schema: { querystring: InventoryQuery, response: { 200: Type.Object({ rows: Type.Array(InventoryRow) }), ...errors } } },
    async (request) => {
      const q = request.query;
      const where: string[] = [];
      const params: Record<string, unknown> = { limit: q.limit ?? 1000 };
      if (q.team !== undefined) { where.push('team = {team:String}'); params.team = q.team; }
      if (q.tool !== undefined) { where.push('tool = {tool:String}'); params.tool = q.tool; }
      const having = q.since !== undefined ? 'HAVING seen_last >= parseDateTime64BestEffort({since:String}, 3)' : '';
      if (q.since !== undefined) params.since = q.since;
      const rows = await ctx.store.query<Static<typeof InventoryRow>>(
        `SELECT team, user, host, tool, evidence_kind, toString(seen_first) AS first_seen, toString(seen_last) AS last_seen,
           toUInt64(total) AS sightings, sample AS evidence_sample
         FROM (
           SELECT team, user, host, tool, evidence_kind, min(first_seen) AS seen_first, max(last_seen) AS seen_last,
             sum(sightings) AS total, any(evidence_sample) AS sample
           FROM inventory ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
           GROUP BY team, user, host, tool, evidence_kind ${having}
         )
         ORDER BY team, tool, user, host, evidence_kind LIMIT {limit:UInt32}`,
        params,
      );
      return { rows: rows.map((r) => ({ ...r, sightings: Number(r.sightings) })) };
    },
  );

  app.post(
    '/v1/admin/reload',
    // No body: the files named in the config are read again.
    { schema: { response: { 200: ReloadResponse, ...errors } } },
    async (request) => reload(app, request.adminId!, request.ip),
  );

  const AuditQuery = Type.Object({ since: Type.Optional(Since), until: Type.Optional(Since), action: Type.Optional(Name), limit: Type.Optional(Limit) });
  app.get<{ Querystring: Static<typeof AuditQuery> }>(
    '/v1/admin/audit',
    { schema: { querystring: AuditQuery, response: { 200: Type.Object({ entries: Type.Array(AuditRow) }), ...errors } } },
    async (request) => ({ entries: await ctx.audit.query(request.query) }),
  );
}

/** Reloads policy and directory (admin endpoint and SIGHUP); throws RELOAD_REJECTED with the issues. */
export async function reload(app: FastifyInstance, actor: string, remoteIp: string): Promise<Static<typeof ReloadResponse>> {
  const result = await app.collector.reference.reload(actor, remoteIp);
  const lines = result.issues.map((i) => `${i.code} ${i.file}:${i.line ?? '-'} ${i.message}`);
  if (!result.ok) throw new ApiError('RELOAD_REJECTED', lines);
  return { ok: true, policy_diff: result.policyDiff, directory_diff: result.directoryDiff, warnings: lines };
}
