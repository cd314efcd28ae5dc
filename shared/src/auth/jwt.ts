import { createPrivateKey, createPublicKey, generateKeyPairSync, KeyObject, sign, verify, createHash, JsonWebKey } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * Access tokens are JWTs signed with Ed25519 (EdDSA) by identity alone; every other service verifies
 * them with the public keys identity publishes as a JWKS, so no service holds a signing secret.
 */
export interface SigningKey {
  kid: string;
  privateKey: KeyObject;
  publicJwk: JsonWebKey & { kid: string; alg: 'EdDSA'; use: 'sig' };
}

function b64url(input: Buffer | string): string {
  return Buffer.from(input).toString('base64url');
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

export function signJwt(payload: object, key: SigningKey): string {
  const header = b64url(JSON.stringify({ alg: 'EdDSA', typ: 'JWT', kid: key.kid }));
  const body = b64url(JSON.stringify(payload));
  const signature = sign(null, Buffer.from(`${header}.${body}`), key.privateKey);
  return `${header}.${body}.${b64url(signature)}`;
}

export class JwtError extends Error {}

/** Splits and checks a JWT with a public key chosen by its kid; returns the payload when signature and exp hold. */
export function verifyJwt<T extends { exp?: number }>(token: string, keyFor: (kid: string) => KeyObject | undefined, nowMs = Date.now()): T {
  const parts = token.split('.');
  if (parts.length !== 3) throw new JwtError('malformed token');
  const [headerPart, bodyPart, signaturePart] = parts as [string, string, string];
  let header: { alg?: string; kid?: string };
  let payload: T;
  try {
    header = JSON.parse(Buffer.from(headerPart, 'base64url').toString('utf8'));
    payload = JSON.parse(Buffer.from(bodyPart, 'base64url').toString('utf8'));
  } catch {
    throw new JwtError('malformed token');
  }
  // `null` or a number is valid JSON too: without this a crafted header made `header.alg` throw a TypeError (a 500).
  if (!isObject(header) || !isObject(payload)) throw new JwtError('malformed token');
  if (header.alg !== 'EdDSA' || typeof header.kid !== 'string' || !header.kid) throw new JwtError('unsupported token algorithm');
  const key = keyFor(header.kid);
  if (!key) throw new JwtError('unknown signing key');
  const valid = verify(null, Buffer.from(`${headerPart}.${bodyPart}`), key, Buffer.from(signaturePart, 'base64url'));
  if (!valid) throw new JwtError('bad signature');
  if (typeof payload.exp !== 'number' || payload.exp * 1000 <= nowMs) throw new JwtError('token expired');
  return payload;
}

function isObject(value: unknown): value is object {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function publicKeyFromJwk(jwk: JsonWebKey): KeyObject {
  return createPublicKey({ key: jwk, format: 'jwk' });
}
