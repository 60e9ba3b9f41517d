import { PROTOCOL_VERSION, type EnrollRequest, type HostFacts } from '@aiscout/protocol';
import type { CollectorClient } from '../transport/http.js';
import { TransportError } from '../transport/http.js';
import { loadEnrollment, loadOrCreateKey, saveEnrollment, secretFingerprint, type AgentKey, type Enrollment } from './identity.js';

export type IdentityState =
  | { state: 'enrolled'; enrollment: Enrollment; key: AgentKey }
  /** Revoked by the collector; stays so until a different enrollment secret is configured. */
  | { state: 'revoked'; enrollment: Enrollment }
  /** Enrollment failed: `retryable` for network and collector trouble, false for a refused secret. */
  | { state: 'unenrolled'; reason: string; retryable: boolean };

export interface IdentitySettings {
  stateDir: string;
  collectorUrl: string;
  secret: string;
  agentVersion: string;
  host: HostFacts;
}

/**
 * Enrollment rules: enroll on first start (new Ed25519 key), keep the agent id afterwards, enroll
 * again when the collector URL changes or on request (`force`). A revoked agent sends nothing and
 * enrolls again — with a fresh key — only when a new secret is configured.
 */
export async function ensureEnrolled(client: CollectorClient, s: IdentitySettings, options: { force?: boolean } = {}): Promise<IdentityState> {
  const saved = await loadEnrollment(s.stateDir);
  const fingerprint = secretFingerprint(s.secret);
  if (saved?.revoked && saved.secret_fingerprint === fingerprint && !options.force) return { state: 'revoked', enrollment: saved };
  if (saved && !saved.revoked && saved.collector_url === s.collectorUrl && !options.force) {
    return { state: 'enrolled', enrollment: saved, key: await loadOrCreateKey(s.stateDir) };
  }
  const key = await loadOrCreateKey(s.stateDir, { rotate: saved?.revoked === true });
  const request: EnrollRequest = {
    protocol_version: PROTOCOL_VERSION,
    enrollment_secret: s.secret,
    public_key: key.publicKey,
    agent_version: s.agentVersion,
    host: s.host,
  };
  let res;
  try {
    res = await client.post('/v1/enroll', Buffer.from(JSON.stringify(request)), { 'content-type': 'application/json' });
  } catch (err) {
    const code = err instanceof TransportError ? err.code : 'ERROR';
    return { state: 'unenrolled', reason: `collector unreachable (${code}): ${(err as Error).message}`, retryable: true };
  }
  let body: { agent_id?: unknown; last_seq?: unknown; code?: unknown } = {};
  try {
    body = JSON.parse(res.body) as typeof body;
  } catch {
    // reported below
  }
  if (res.status !== 200 || typeof body.agent_id !== 'string' || !Number.isSafeInteger(body.last_seq)) {
    const code = typeof body.code === 'string' ? body.code : `HTTP ${res.status}`;
    return { state: 'unenrolled', reason: `enrollment refused: ${code}`, retryable: code !== 'ENROLLMENT_SECRET_INVALID' && code !== 'PUBLIC_KEY_INVALID' };
  }
  const enrollment: Enrollment = {
    agent_id: body.agent_id,
    collector_url: s.collectorUrl,
    enrolled_at: new Date().toISOString(),
    secret_fingerprint: fingerprint,
    last_seq: body.last_seq as number,
    revoked: false,
    revoked_at: null,
  };
  await saveEnrollment(s.stateDir, enrollment);
  return { state: 'enrolled', enrollment, key };
}

/** Remembers the collector's revocation, so a restart does not start sending again. */
export async function markRevoked(stateDir: string, enrollment: Enrollment): Promise<Enrollment> {
  const revoked = { ...enrollment, revoked: true, revoked_at: new Date().toISOString() };
  await saveEnrollment(stateDir, revoked);
  return revoked;
}
