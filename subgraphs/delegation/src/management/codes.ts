import { randomBytes, randomInt, scrypt, timingSafeEqual } from 'node:crypto';

/** No 0/O, 1/I/L: read off a phone screen and typed into an SMS or the cabinet without mix-ups. */
const ALPHABET = 'ABCDEFGHJKMNPQRSTUVWXYZ23456789';
export const CODE_LENGTH = 8;
/** Anything longer is no attempt at a code (refused as bad input, not counted, never hashed). */
export const MAX_CODE_INPUT = 64;

/** scrypt cost (log2 N): ~15 ms and 8 MiB per check, so a leaked hash of a 40-bit code cannot be searched within its day. */
const LOG2_N = 13;
const R = 8;
const P = 1;
const KEY_LENGTH = 32;

/**
 * A confirmation or activation code (terms 5.6): 8 characters of a 31-letter alphabet, about 40 bits, drawn without
 * bias. Online guessing is bounded by the attempts a code allows (3); the slow, salted hash keeps a stolen database
 * from giving the codes away within their 24 hours.
 */
export function newCode(): string {
  let code = '';
  for (let i = 0; i < CODE_LENGTH; i += 1) code += ALPHABET[randomInt(ALPHABET.length)];
  return code;
}

/** What was typed, as a code compares: spaces, hyphens and case do not matter. */
export function normalizeCode(input: string): string {
  return input.replace(/[\s-]+/g, '').toUpperCase();
}

function derive(code: string, salt: Buffer, log2N: number, r: number, p: number): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scrypt(code, salt, KEY_LENGTH, { N: 2 ** log2N, r, p, maxmem: 64 * 1024 * 1024 }, (error, key) => (error ? reject(error) : resolve(key))),
  );
}

/** `scrypt$<log2N>$<r>$<p>$<salt>$<hash>`, salt and hash base64url: the only form in which a code is stored. */
export async function hashCode(code: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await derive(normalizeCode(code), salt, LOG2_N, R, P);
  return `scrypt$${LOG2_N}$${R}$${P}$${salt.toString('base64url')}$${key.toString('base64url')}`;
}

/** Whether `input` is the code behind `stored`; a malformed hash matches nothing. */
export async function codeMatches(input: string, stored: string | null): Promise<boolean> {
  if (!stored) return false;
  const candidate = normalizeCode(input);
  // A code has a fixed length: anything else is wrong without spending a hash on it.
  if (candidate.length !== CODE_LENGTH) return false;
  const [scheme, log2N, r, p, salt, hash] = stored.split('$');
  if (scheme !== 'scrypt' || !salt || !hash) return false;
  const expected = Buffer.from(hash, 'base64url');
  const actual = await derive(candidate, Buffer.from(salt, 'base64url'), Number(log2N), Number(r), Number(p));
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}
