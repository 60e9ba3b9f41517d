import { access, open } from 'node:fs/promises';
import { constants } from 'node:fs';
import { isIP } from 'node:net';
import type { ConfigPlatform } from './paths.js';
import { pathApi } from './paths.js';
import type { AgentConfigInput } from './schema.js';
import type { ShapeIssue } from './shape.js';

const MAX_SECRET_FILE_BYTES = 4096;

function isLoopback(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '');
  if (host === 'localhost' || host.endsWith('.localhost')) return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  return host === '::1';
}

/** Rules a schema cannot say: URL scheme, pairs of settings, one-of settings, absolute paths. */
export function checkRules(c: AgentConfigInput, platform: ConfigPlatform): ShapeIssue[] {
  const issues: ShapeIssue[] = [];
  let url: URL | null = null;
  try {
    url = new URL(c.collector_url);
  } catch {
    issues.push({ path: 'collector_url', message: 'is not a valid URL' });
  }
  if (url) {
    if (url.protocol === 'http:' && !isLoopback(url.hostname)) {
      issues.push({ path: 'collector_url', message: 'must use https (http is allowed only for a loopback address)' });
    } else if (url.protocol !== 'https:' && url.protocol !== 'http:') {
      issues.push({ path: 'collector_url', message: 'must be an https URL' });
    }
    if (url.username || url.password) issues.push({ path: 'collector_url', message: 'must not contain credentials (use enrollment_secret)' });
  }

  const hasSecret = c.enrollment_secret !== undefined;
  const hasSecretFile = c.enrollment_secret_file !== undefined;
  if (hasSecret && hasSecretFile) issues.push({ path: 'enrollment_secret', message: 'is set together with enrollment_secret_file: set only one' });
  if (!hasSecret && !hasSecretFile) issues.push({ path: 'enrollment_secret', message: 'is required (or enrollment_secret_file)' });

  if ((c.client_cert_file === undefined) !== (c.client_key_file === undefined)) {
    const missing = c.client_cert_file === undefined ? 'client_cert_file' : 'client_key_file';
    issues.push({ path: missing, message: 'is required when the other half of the client certificate pair is set' });
  }

  const p = c.privacy;
  if (p.pseudonym_key !== undefined && p.pseudonym_key_file !== undefined) {
    issues.push({ path: 'privacy.pseudonym_key', message: 'is set together with pseudonym_key_file: set only one' });
  }
  const needsKey = p.pseudonymize_users || p.hostname === 'hash';
  if (needsKey && p.pseudonym_key === undefined && p.pseudonym_key_file === undefined) {
    issues.push({ path: 'privacy.pseudonym_key', message: 'is required when pseudonymize_users is on or hostname is "hash" (or pseudonym_key_file)' });
  }

  const abs = pathApi(platform);
  const pathSettings: [string, string | undefined][] = [
    ['enrollment_secret_file', c.enrollment_secret_file],
    ['ca_file', c.ca_file],
    ['client_cert_file', c.client_cert_file],
    ['client_key_file', c.client_key_file],
    ['state_dir', c.state_dir],
    ['spool.dir', c.spool.dir],
    ['privacy.pseudonym_key_file', p.pseudonym_key_file],
  ];
  for (const [path, value] of pathSettings) {
    if (value !== undefined && !abs.isAbsolute(value)) issues.push({ path, message: 'must be an absolute path' });
  }
  return issues;
}

function errnoText(err: unknown): string {
  return (err as NodeJS.ErrnoException).code ?? 'error';
}

/** Reads a secret from its file (trailing newline trimmed); the message never holds the content. */
export async function readSecretFile(file: string, minLength: number): Promise<{ value: string } | { message: string }> {
  let fh;
  try {
    fh = await open(file, 'r');
  } catch (err) {
    return { message: `cannot be read (${errnoText(err)})` };
  }
  try {
    const buf = Buffer.alloc(MAX_SECRET_FILE_BYTES + 1);
    const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
    if (bytesRead > MAX_SECRET_FILE_BYTES) return { message: `names a file larger than ${MAX_SECRET_FILE_BYTES} bytes` };
    const value = buf.subarray(0, bytesRead).toString('utf8').trim();
    if (value.length < minLength) return { message: `names a file holding fewer than ${minLength} characters` };
    return { value };
  } catch (err) {
    return { message: `cannot be read (${errnoText(err)})` };
  } finally {
    await fh.close();
  }
}

/** Certificates and keys are read by the transport; here only their presence is checked, so a typo is caught at load. */
export async function checkReadable(path: string, file: string): Promise<ShapeIssue | null> {
  try {
    await access(file, constants.R_OK);
    return null;
  } catch (err) {
    return { path, message: `cannot be read (${errnoText(err)})` };
  }
}
