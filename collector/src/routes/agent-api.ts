import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import {
  AGENT_ID_HEADER, Batch, BatchAck, EnrollRequest, EnrollResponse, ErrorResponse, publicKeyFromBase64, SIGNATURE_HEADER,
  type EnrollRequest as EnrollRequestT,
} from '@aiscout/protocol';
import type { EnrollmentSecret } from '../config.js';
import { ApiError } from '../errors.js';
import { BatchIngestor } from '../ingest.js';

const errors = { '4xx': ErrorResponse, '5xx': ErrorResponse };

function digest(s: string): Buffer {
  return createHash('sha256').update(s, 'utf8').digest();
}

/** Constant-time match against every configured secret (no early exit), retired ones included. */
export function matchSecret(secrets: EnrollmentSecret[], candidate: string): EnrollmentSecret | null {
  const c = digest(candidate);
  let found: EnrollmentSecret | null = null;
  for (const s of secrets) if (timingSafeEqual(digest(s.secret), c)) found = s;
  return found;
}

/** The routes agents call: enrollment (shared secret) and batches (per-agent signature). */
export async function agentApi(app: FastifyInstance): Promise<void> {
  const ctx = app.collector;

  app.post<{ Body: EnrollRequestT }>(
    '/v1/enroll',
    { schema: { body: EnrollRequest, response: { 200: EnrollResponse, ...errors } } },
    async (request) => {
      if (!ctx.ready) throw new ApiError('STORE_UNAVAILABLE');
      const req = request.body;
      const secret = matchSecret(ctx.config.enrollmentSecrets, req.enrollment_secret);
      if (!secret || secret.retired) {
        ctx.metrics.enrollments.inc({ outcome: 'denied' });
        await ctx.audit.append({
          actor: secret ? `secret:${secret.id}` : 'anonymous', action: 'agent.enroll', target: req.host.hostname,
          outcome: 'denied', detail: { reason: secret ? 'secret retired' : 'unknown secret' }, remoteIp: request.ip,
        });
        throw new ApiError('ENROLLMENT_SECRET_INVALID');
      }
      try {
        publicKeyFromBase64(req.public_key);
      } catch {
        throw new ApiError('PUBLIC_KEY_INVALID');
      }
      const result = await ctx.agents.enroll(req, secret.id);
      ctx.metrics.enrollments.inc({ outcome: result.outcome });
      await ctx.audit.append({
        actor: `secret:${secret.id}`, action: 'agent.enroll', target: result.agentId, outcome: 'ok',
        detail: { outcome: result.outcome, hostname: req.host.hostname, os: req.host.os, agent_version: req.agent_version }, remoteIp: request.ip,
      });
      return { agent_id: result.agentId, last_seq: result.lastSeq };
    },
  );

  await app.register(batchesRoute);
}

/** Own scope: the body parsers keep the raw bytes, because the signature covers the bytes as sent. */
async function batchesRoute(app: FastifyInstance): Promise<void> {
  const ctx = app.collector;
  const defaultParser = app.getDefaultJsonParser('error', 'error');
  const parseJson = (text: string): unknown => {
    let out: unknown;
    let failure: Error | null = null;
    defaultParser({} as FastifyRequest, text, (err, value) => {
      failure = err;
      out = value;
    });
    if (failure) throw failure;
    return out;
  };
  const ingestor = new BatchIngestor(ctx.store, ctx.agents, ctx.reference, ctx.metrics, ctx.config.limits, ctx.config.retentionDays, ctx.config.collectorId, parseJson);

  app.removeAllContentTypeParsers();
  app.addContentTypeParser(
    ['application/json', 'application/x-ndjson'],
    { parseAs: 'buffer', bodyLimit: ctx.config.limits.bodyBytes },
    (_request, body, done) => done(null, body),
  );

  app.post<{ Body: Buffer }>(
    '/v1/batches',
    {
      schema: {
        // Declared for documentation; checked by validateBatch after the signature (see ingest.ts).
        body: Batch,
        headers: {
          type: 'object',
          properties: { [SIGNATURE_HEADER]: { type: 'string', maxLength: 200 }, [AGENT_ID_HEADER]: { type: 'string', maxLength: 64 } },
        },
        response: { 200: BatchAck, ...errors },
      },
      // Body and headers are checked in ingest.ts, after the signature: nothing unauthenticated is parsed.
      validatorCompiler: () => () => true,
    },
    async (request) => {
      if (!ctx.ready || !ctx.store.healthy) throw new ApiError('STORE_UNAVAILABLE');
      const header = (name: string): string | undefined => {
        const v = request.headers[name];
        return Array.isArray(v) ? v[0] : v;
      };
      return ingestor.ingest({
        raw: request.body,
        ndjson: (request.headers['content-type'] ?? '').startsWith('application/x-ndjson'),
        contentEncoding: header('content-encoding'),
        agentHeader: header(AGENT_ID_HEADER),
        signatureHeader: header(SIGNATURE_HEADER),
      });
    },
  );
}
