/**
 * How user and host names are normalised, identically for directory entries and for lookups:
 *
 * - user: trimmed, Unicode NFC, lower-case; `DOMAIN\alice` → `alice`, `alice@corp.example` →
 *   `alice`. So a Windows logon, a Kerberos/UPN name and a Unix login of one person all match.
 *   A pseudonym (`p:` + 32 hex) is kept as is (hex lower-cased).
 * - host: trimmed, lower-case, trailing dot removed.
 */

import { accountName, PSEUDONYM_PATTERN } from '@aiscout/protocol';

export const PSEUDONYM = PSEUDONYM_PATTERN;

/** Canonical account name, or null when nothing usable is left. Pseudonyms pass through. */
export function normalizeUser(raw: string): string | null {
  const trimmed = raw.trim();
  if (PSEUDONYM.test(trimmed.toLowerCase())) return trimmed.toLowerCase();
  return accountName(trimmed);
}

/** The clear account name the agent hashes (no pseudonym handling). */
export { accountName };

const HOST = /^[a-z0-9_](?:[a-z0-9_-]{0,62})(?:\.[a-z0-9_](?:[a-z0-9_-]{0,62}))*$/;

export function normalizeHost(raw: string): string | null {
  let name = raw.trim().toLowerCase();
  if (name.endsWith('.')) name = name.slice(0, -1);
  if (name === '' || name.length > 253 || !HOST.test(name)) return null;
  return name;
}

/** Pragmatic address check: one @, no spaces or brackets, a dotted domain. */
const EMAIL = /^[^\s@<>()[\],;:"\\]+@[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)+$/i;

export function normalizeEmail(raw: string): string | null {
  const email = raw.trim();
  if (email.length > 254 || !EMAIL.test(email)) return null;
  const at = email.lastIndexOf('@');
  return `${email.slice(0, at)}@${email.slice(at + 1).toLowerCase()}`;
}

/** Building an Intl.DateTimeFormat is slow; an HR export repeats a handful of zones 100k times. */
const zoneCache = new Map<string, string | null>();

/** The canonical IANA name (Intl throws a RangeError on an unknown zone), or null. */
export function canonicalTimeZone(raw: string): string | null {
  const zone = raw.trim();
  if (zone === '' || zone.length > 64) return null;
  const cached = zoneCache.get(zone);
  if (cached !== undefined) return cached;
  let canonical: string | null;
  try {
    canonical = new Intl.DateTimeFormat('en-US', { timeZone: zone }).resolvedOptions().timeZone;
  } catch {
    canonical = null;
  }
  if (zoneCache.size < 1000) zoneCache.set(zone, canonical);
  return canonical;
}
