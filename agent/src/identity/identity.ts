import { createHash, createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { generateAgentKeyPair } from '@aiscout/protocol';
import { writeFileAtomic } from '../spool/fs-durable.js';

/** Files of the agent's identity inside the state directory. */
export const KEY_FILE = 'agent.key';
export const IDENTITY_FILE = 'agent.json';

/** What the agent knows about its enrollment; kept in `<state_dir>/agent.json` (mode 0600). */
export interface Enrollment {
  agent_id: string;
  collector_url: string;
  enrolled_at: string;
  /** SHA-256 of the secret it enrolled with: tells whether a NEW secret was configured after revocation. */
  secret_fingerprint: string;
  /** The collector's last stored sequence at enrollment: batches continue above it. */
  last_seq: number;
  revoked: boolean;
  revoked_at: string | null;
}

export interface AgentKey {
  privateKey: KeyObject;
  /** SPKI DER, base64, as EnrollRequest.public_key carries it. */
  publicKey: string;
}

export class IdentityError extends Error {
  override readonly name = 'IdentityError';
}

export function secretFingerprint(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

function keyFromPem(pem: string): AgentKey {
  const privateKey = createPrivateKey({ key: pem, format: 'pem' });
  if (privateKey.asymmetricKeyType !== 'ed25519') throw new IdentityError(`agent key is ${privateKey.asymmetricKeyType ?? 'unknown'}, expected ed25519`);
  const publicKey = createPublicKey(privateKey).export({ format: 'der', type: 'spki' }).toString('base64');
  return { privateKey, publicKey };
}

/**
 * The agent's Ed25519 key: read from `<state_dir>/agent.key` (PKCS#8 PEM, mode 0600), or generated
 * and stored there on first start. `rotate` replaces it (re-enrollment after revocation).
 */
export async function loadOrCreateKey(stateDir: string, options: { rotate?: boolean } = {}): Promise<AgentKey> {
  const file = path.join(stateDir, KEY_FILE);
  if (!options.rotate) {
    let pem: string | null = null;
    try {
      pem = await readFile(file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw new IdentityError(`agent key ${file} cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
    }
    if (pem !== null) {
      try {
        return keyFromPem(pem);
      } catch (err) {
        // A damaged key cannot sign; refuse rather than silently becoming another agent.
        throw new IdentityError(`agent key ${file} is damaged: ${(err as Error).message}; delete it to enroll as a new agent`);
      }
    }
  }
  await mkdir(stateDir, { recursive: true, mode: 0o700 });
  const pair = generateAgentKeyPair();
  const pem = createPrivateKey({ key: Buffer.from(pair.privateKey, 'base64'), format: 'der', type: 'pkcs8' }).export({ format: 'pem', type: 'pkcs8' }).toString();
  await writeFileAtomic(file, pem, 0o600);
  return keyFromPem(pem);
}

function isEnrollment(v: unknown): v is Enrollment {
  const e = v as Partial<Enrollment> | null;
  return (
    typeof e === 'object' && e !== null && typeof e.agent_id === 'string' && typeof e.collector_url === 'string' &&
    typeof e.enrolled_at === 'string' && typeof e.secret_fingerprint === 'string' && typeof e.revoked === 'boolean' &&
    Number.isSafeInteger(e.last_seq)
  );
}

/** The saved enrollment, or null when there is none (or it is unreadable: the agent enrolls again). */
export async function loadEnrollment(stateDir: string): Promise<Enrollment | null> {
  try {
    const parsed = JSON.parse(await readFile(path.join(stateDir, IDENTITY_FILE), 'utf8')) as unknown;
    return isEnrollment(parsed) ? { ...parsed, revoked_at: parsed.revoked_at ?? null } : null;
  } catch {
    return null;
  }
}

export async function saveEnrollment(stateDir: string, enrollment: Enrollment): Promise<void> {
  await mkdir(stateDir, { recursive: true, mode: 0o700 });
  await writeFileAtomic(path.join(stateDir, IDENTITY_FILE), `${JSON.stringify(enrollment, null, 2)}\n`, 0o600);
}
