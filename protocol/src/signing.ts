import { createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';

/**
 * Ed25519 signatures over the request body exactly as sent on the wire: when the body is
 * gzip-encoded, the signature covers the gzip bytes (the collector verifies before inflating,
 * so an unauthenticated sender cannot make it decompress anything).
 */

export interface AgentKeyPair {
  /** PKCS#8 DER, base64: keep it secret on the endpoint. */
  privateKey: string;
  /** SPKI DER, base64: what `EnrollRequest.public_key` carries. */
  publicKey: string;
}

export function generateAgentKeyPair(): AgentKeyPair {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return {
    privateKey: privateKey.export({ format: 'der', type: 'pkcs8' }).toString('base64'),
    publicKey: publicKey.export({ format: 'der', type: 'spki' }).toString('base64'),
  };
}

export function privateKeyFromBase64(pkcs8: string): KeyObject {
  return createPrivateKey({ key: Buffer.from(pkcs8, 'base64'), format: 'der', type: 'pkcs8' });
}

/** Parses an SPKI public key; throws when it is not an Ed25519 key. */
export function publicKeyFromBase64(spki: string): KeyObject {
  const key = createPublicKey({ key: Buffer.from(spki, 'base64'), format: 'der', type: 'spki' });
  if (key.asymmetricKeyType !== 'ed25519') throw new Error(`expected an ed25519 key, got ${key.asymmetricKeyType ?? 'unknown'}`);
  return key;
}

/** Base64 signature for `SIGNATURE_HEADER`. */
export function signBody(privateKey: KeyObject | string, bytes: Uint8Array): string {
  const key = typeof privateKey === 'string' ? privateKeyFromBase64(privateKey) : privateKey;
  return sign(null, bytes, key).toString('base64');
}

/** True when `signature` (base64) is a valid Ed25519 signature of `bytes`; never throws. */
export function verifyBody(publicKey: KeyObject | string, bytes: Uint8Array, signature: string): boolean {
  try {
    const key = typeof publicKey === 'string' ? publicKeyFromBase64(publicKey) : publicKey;
    const sig = Buffer.from(signature, 'base64');
    if (sig.length !== 64) return false;
    return verify(null, bytes, key, sig);
  } catch {
    return false;
  }
}
