import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { CollectorConfig } from './config.js';

export interface DevCredentials {
  enrollment_secret: string;
  admin_token: string;
}

/**
 * `npm start` with no secrets configured: create (once) an enrollment secret and an admin token in a
 * 0600 file next to the embedded data, so a local agent can enroll. The secrets are never printed,
 * only the file's path. A configured deployment never gets here.
 */
export function ensureDevCredentials(config: CollectorConfig): string | null {
  if (config.clickhouse.url !== null) return null;
  if (config.enrollmentSecrets.length > 0 || config.adminTokens.length > 0) return null;
  const file = join(dirname(resolve(config.clickhouse.path)), 'collector-credentials.json');
  let creds: DevCredentials;
  if (existsSync(file)) creds = JSON.parse(readFileSync(file, 'utf8')) as DevCredentials;
  else {
    creds = { enrollment_secret: randomBytes(24).toString('base64url'), admin_token: randomBytes(32).toString('base64url') };
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, `${JSON.stringify(creds, null, 2)}\n`, { mode: 0o600 });
  }
  config.enrollmentSecrets = [{ id: 'local', secret: creds.enrollment_secret, retired: false }];
  config.adminTokens = [{ id: 'local', token: creds.admin_token }];
  return file;
}
