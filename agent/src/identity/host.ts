import { createHmac } from 'node:crypto';
import os from 'node:os';
import type { HostFacts } from '@aiscout/protocol';

export interface HostOptions {
  team?: string | undefined;
  /** 'hash' sends a keyed hash of the hostname instead of the name. */
  hostname: 'keep' | 'hash';
  pseudonymKey: string | null;
  /** The primary user as it will be sent (already pseudonymized when that is on). */
  primaryUser: string | null;
}

/** Keyed hash of a hostname ('h:' + 32 hex digits of HMAC-SHA256), stable across restarts. */
export function hashHostname(key: string, hostname: string): string {
  return `h:${createHmac('sha256', Buffer.from(key, 'utf8')).update(hostname.trim().toLowerCase(), 'utf8').digest('hex').slice(0, 32)}`;
}

function clip(s: string, max: number): string {
  return s.length > max ? s.slice(0, max) : s;
}

/** Facts about this endpoint sent with enrollment and every batch. */
export function hostFacts(options: HostOptions): HostFacts {
  const name = os.hostname() || 'unknown';
  const platform = process.platform;
  const hostOs = platform === 'linux' || platform === 'darwin' ? platform : platform === 'win32' ? 'windows' : 'other';
  const facts: HostFacts = {
    hostname: clip(options.hostname === 'hash' && options.pseudonymKey ? hashHostname(options.pseudonymKey, name) : name, 256),
    os: hostOs,
    os_version: clip(os.release() || 'unknown', 128),
    arch: clip(os.arch(), 128),
    serial: null,
    primary_user: options.primaryUser ? clip(options.primaryUser, 256) : null,
  };
  if (options.team) facts.team = clip(options.team, 256);
  return facts;
}
