import { describe, expect, it } from 'vitest';
import { statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { publicKeyFromBase64 } from '@aiscout/protocol';
import { IdentityError, KEY_FILE, loadEnrollment, loadOrCreateKey, saveEnrollment, secretFingerprint } from '../src/identity/identity.js';
import { hashHostname } from '../src/identity/host.js';
import { tempDir } from './helpers/collector.js';

describe('agent identity', () => {
  it('creates an Ed25519 key once, owner-only, and reuses it', async () => {
    const dir = tempDir('aiscout-identity-');
    const a = await loadOrCreateKey(dir.path);
    expect(statSync(path.join(dir.path, KEY_FILE)).mode & 0o777).toBe(0o600);
    expect(publicKeyFromBase64(a.publicKey).asymmetricKeyType).toBe('ed25519');
    const b = await loadOrCreateKey(dir.path);
    expect(b.publicKey).toBe(a.publicKey);
    const rotated = await loadOrCreateKey(dir.path, { rotate: true });
    expect(rotated.publicKey).not.toBe(a.publicKey);
    dir.cleanup();
  });

  it('refuses a damaged key instead of silently becoming another agent', async () => {
    const dir = tempDir('aiscout-identity-');
    writeFileSync(path.join(dir.path, KEY_FILE), '-----BEGIN PRIVATE KEY-----\nnope\n-----END PRIVATE KEY-----\n');
    await expect(loadOrCreateKey(dir.path)).rejects.toThrow(IdentityError);
    dir.cleanup();
  });

  it('keeps the enrollment in agent.json (0600); an unreadable one means not enrolled', async () => {
    const dir = tempDir('aiscout-identity-');
    expect(await loadEnrollment(dir.path)).toBeNull();
    const e = { agent_id: '11111111-2222-4333-8444-555555555555', collector_url: 'https://c', enrolled_at: '2026-01-01T00:00:00Z', secret_fingerprint: secretFingerprint('s3cret-value'), last_seq: 3, revoked: false, revoked_at: null };
    await saveEnrollment(dir.path, e);
    expect(await loadEnrollment(dir.path)).toEqual(e);
    expect(statSync(path.join(dir.path, 'agent.json')).mode & 0o777).toBe(0o600);
    writeFileSync(path.join(dir.path, 'agent.json'), '{"agent_id": 1');
    expect(await loadEnrollment(dir.path)).toBeNull();
    expect(secretFingerprint('s3cret-value')).not.toContain('s3cret');
    dir.cleanup();
  });

  it('hashes hostnames with the key, stably', () => {
    expect(hashHostname('k'.repeat(16), 'Laptop-1')).toBe(hashHostname('k'.repeat(16), 'laptop-1'));
    expect(hashHostname('k'.repeat(16), 'laptop-1')).toMatch(/^h:[0-9a-f]{32}$/);
    expect(hashHostname('j'.repeat(16), 'laptop-1')).not.toBe(hashHostname('k'.repeat(16), 'laptop-1'));
  });
});
