import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, JsonWebKey, KeyObject } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { JWTPayload, SignJWT } from 'jose';

/**
 * Access tokens are JWTs signed with Ed25519 (EdDSA) by identity alone; every other service verifies
 * them with the public keys identity publishes as a JWKS, so no service holds a signing secret.
 */
export interface SigningKey {
  kid: string;
  privateKey: KeyObject;
  publicJwk: JsonWebKey & { kid: string; alg: 'EdDSA'; use: 'sig' };
}

export function signingKeyFromPem(pem: string): SigningKey {
  const privateKey = createPrivateKey(pem);
  if (privateKey.asymmetricKeyType !== 'ed25519') throw new Error('the JWT signing key must be an Ed25519 private key (PEM)');
  const jwk = createPublicKey(privateKey).export({ format: 'jwk' });
  const kid = createHash('sha256').update(String(jwk.x)).digest('base64url').slice(0, 16);
  return { kid, privateKey, publicJwk: { ...jwk, kid, alg: 'EdDSA', use: 'sig' } };
}

export function generateSigningKeyPem(): string {
  const { privateKey } = generateKeyPairSync('ed25519');
  return privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
}

/** The embedded default keeps its key in ./data so tokens survive a restart. */
export function loadOrCreateSigningKey(path: string): SigningKey {
  if (existsSync(path)) return signingKeyFromPem(readFileSync(path, 'utf8'));
  mkdirSync(dirname(path), { recursive: true });
  const pem = generateSigningKeyPem();
  writeFileSync(path, pem, { mode: 0o600 });
  return signingKeyFromPem(pem);
}

/** A compact JWS of `claims` (EdDSA over Ed25519, via jose) whose header names the key, so verifiers pick it from the JWKS. */
export function signJwt(claims: object, key: SigningKey): Promise<string> {
  return new SignJWT({ ...claims } as JWTPayload).setProtectedHeader({ alg: 'EdDSA', typ: 'JWT', kid: key.kid }).sign(key.privateKey);
}
