/**
 * Pseudonymous user names, shared by agent and collector. The agent sends
 * `p:` + the first 32 hex digits of HMAC-SHA256(key, accountName(user)) instead of the name,
 * where accountName lower-cases and strips `DOMAIN\` and `@domain` (see names.ts). The key is
 * any UTF-8 string of at least 16 characters, the same in the agent's and the collector's
 * config. Test vector: pseudonymize('aiscout-test-key-0001', 'CORP\\Alice') ===
 * 'p:' + first 32 hex of HMAC-SHA256('aiscout-test-key-0001', 'alice').
 */
import { createHmac } from 'node:crypto';
import { accountName } from './names.js';

export const PSEUDONYM_PREFIX = 'p:';
export const MIN_PSEUDONYM_KEY_CHARS = 16;

/** The pseudonym of `user` under `key`; null when the name is empty or unusable. */
export function pseudonymize(key: string, user: string): string | null {
  const name = accountName(user);
  if (name === null) return null;
  return PSEUDONYM_PREFIX + createHmac('sha256', Buffer.from(key, 'utf8')).update(name, 'utf8').digest('hex').slice(0, 32);
}
