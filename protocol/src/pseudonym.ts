/**
 * Pseudonymous user names, shared by agent and collector so a directory can still map them to teams.
 * The agent sends `p:` + the first 32 hex digits of HMAC-SHA256(key, accountName(user)) instead of
 * the name. accountName lower-cases (after Unicode NFC) and strips `DOMAIN\` and `@domain`, so a
 * Windows logon, a UPN and a Unix login of one person give one pseudonym. The key is any UTF-8
 * string of at least 16 characters, the same in the agent's and the collector's config.
 * Test vector: pseudonymize('aiscout-test-key-0001', 'CORP\\Alice') ===
 * 'p:' + first 32 hex of HMAC-SHA256('aiscout-test-key-0001', 'alice').
 */
import { createHmac } from 'node:crypto';

export const PSEUDONYM_PREFIX = 'p:';
export const MIN_PSEUDONYM_KEY_CHARS = 16;
export const PSEUDONYM_PATTERN = /^p:[0-9a-f]{32}$/;

/** Canonical account name, or null when nothing usable is left. */
export function accountName(raw: string): string | null {
  let name = raw.trim().normalize('NFC');
  const slash = name.lastIndexOf('\\');
  if (slash >= 0) name = name.slice(slash + 1);
  const at = name.indexOf('@');
  if (at >= 0) name = name.slice(0, at);
  name = name.trim().toLowerCase();
  if (name === '' || name.length > 256 || hasControlCharacter(name)) return null;
  return name;
}

/** The pseudonym of `user` under `key`; null when the name is empty or unusable. */
export function pseudonymize(key: string, user: string): string | null {
  const name = accountName(user);
  if (name === null) return null;
  return PSEUDONYM_PREFIX + createHmac('sha256', Buffer.from(key, 'utf8')).update(name, 'utf8').digest('hex').slice(0, 32);
}

function hasControlCharacter(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) return true;
  }
  return false;
}
