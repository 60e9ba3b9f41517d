import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { generateAgentKeyPair, publicKeyFromBase64, signBody, verifyBody } from '../src/index.js';

describe('signBody / verifyBody', () => {
  it('verifies the exact bytes signed, and nothing else', () => {
    const keys = generateAgentKeyPair();
    const body = gzipSync(Buffer.from('{"events":[]}'));
    const sig = signBody(keys.privateKey, body);
    expect(Buffer.from(sig, 'base64')).toHaveLength(64);
    expect(verifyBody(keys.publicKey, body, sig)).toBe(true);
    const flipped = Buffer.from(body);
    flipped[flipped.length - 1]! ^= 1;
    expect(verifyBody(keys.publicKey, flipped, sig)).toBe(false);
    expect(verifyBody(generateAgentKeyPair().publicKey, body, sig)).toBe(false);
  });

  it('never throws on garbage keys or signatures', () => {
    const keys = generateAgentKeyPair();
    expect(verifyBody('not-a-key', Buffer.from('x'), signBody(keys.privateKey, Buffer.from('x')))).toBe(false);
    expect(verifyBody(keys.publicKey, Buffer.from('x'), '!!!')).toBe(false);
    expect(verifyBody(keys.publicKey, Buffer.from('x'), '')).toBe(false);
  });

  it('accepts only Ed25519 public keys', () => {
    expect(() => publicKeyFromBase64(Buffer.alloc(44).toString('base64'))).toThrow();
    expect(publicKeyFromBase64(generateAgentKeyPair().publicKey).asymmetricKeyType).toBe('ed25519');
  });
});
