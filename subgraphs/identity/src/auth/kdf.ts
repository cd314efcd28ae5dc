import { randomBytes, scrypt as scryptCallback, timingSafeEqual, ScryptOptions } from 'node:crypto';

/**
 * Password hashing with scrypt (node:crypto), a memory-hard KDF.
 *
 * Default cost: N = 2^15, r = 8, p = 1 → 128·N·r = 32 MiB of memory per evaluation, about 60–90 ms on one
 * core of the reference machine (see bench/identity-login.js). That is Percival's "interactive login" setting
 * doubled; OWASP's 2^17 would cost ~350 ms per login here and cap a two-core node at ~5 logins/s, which the
 * per-number and per-address lockouts make unnecessary against online guessing. The cost is configurable
 * (IDENTITY_KDF_LOG2_N / _R / _P) and is stored with every hash (`scrypt$ln=15,r=8,p=1$<salt>`), so it can be
 * raised later: old hashes keep verifying with their own parameters and are re-hashed at the next login.
 */
export interface ScryptParams {
  /** log2 of the CPU/memory cost N */
  log2N: number;
  /** block size */
  r: number;
  /** parallelization */
  p: number;
}

export const DEFAULT_SCRYPT_PARAMS: ScryptParams = { log2N: 15, r: 8, p: 1 };
const KEY_LENGTH = 32;
const SALT_LENGTH = 16;

/** The parameters and salt of one credential: `scrypt$ln=15,r=8,p=1$<salt, base64url>`. */
export interface KdfSpec {
  params: ScryptParams;
  salt: Buffer;
}

export function validateScryptParams(params: ScryptParams): ScryptParams {
  if (!Number.isInteger(params.log2N) || params.log2N < 10 || params.log2N > 20) throw new Error('scrypt log2N must be an integer from 10 to 20');
  if (!Number.isInteger(params.r) || params.r < 1 || params.r > 32) throw new Error('scrypt r must be an integer from 1 to 32');
  if (!Number.isInteger(params.p) || params.p < 1 || params.p > 16) throw new Error('scrypt p must be an integer from 1 to 16');
  return params;
}

export function encodeSpec(spec: KdfSpec): string {
  return `scrypt$ln=${spec.params.log2N},r=${spec.params.r},p=${spec.params.p}$${spec.salt.toString('base64url')}`;
}

export function parseSpec(text: string): KdfSpec | null {
  const match = /^scrypt\$ln=(\d{1,2}),r=(\d{1,2}),p=(\d{1,2})\$([A-Za-z0-9_-]{16,64})$/.exec(text);
  if (!match) return null;
  try {
    const params = validateScryptParams({ log2N: Number(match[1]), r: Number(match[2]), p: Number(match[3]) });
    return { params, salt: Buffer.from(match[4]!, 'base64url') };
  } catch {
    return null;
  }
}

function scrypt(password: string, salt: Buffer, params: ScryptParams): Promise<Buffer> {
  const N = 2 ** params.log2N;
  const options: ScryptOptions = { N, r: params.r, p: params.p, maxmem: 256 * N * params.r + 1024 * 1024 };
  return new Promise((resolve, reject) => {
    scryptCallback(password.normalize('NFKC'), salt, KEY_LENGTH, options, (error, key) => (error ? reject(error) : resolve(key)));
  });
}

export class PasswordHasher {
  readonly params: ScryptParams;
  /** Derived for unknown logins, so they take as long as known ones (no enumeration by timing). */
  private readonly decoySpec: KdfSpec;

  constructor(params: ScryptParams = DEFAULT_SCRYPT_PARAMS, private readonly onDerive?: (seconds: number) => void) {
    this.params = validateScryptParams({ ...params });
    this.decoySpec = this.newSpec();
  }

  newSpec(): KdfSpec {
    return { params: this.params, salt: randomBytes(SALT_LENGTH) };
  }

  get decoy(): KdfSpec {
    return this.decoySpec;
  }

  /** The derived key, base64url. */
  async derive(password: string, spec: KdfSpec): Promise<string> {
    const started = process.hrtime.bigint();
    const key = await scrypt(password, spec.salt, spec.params);
    this.onDerive?.(Number(process.hrtime.bigint() - started) / 1e9);
    return key.toString('base64url');
  }

  /** true when a spec was made with a lower cost than the current one (re-hash at the next successful login). */
  outdated(spec: KdfSpec): boolean {
    return spec.params.log2N !== this.params.log2N || spec.params.r !== this.params.r || spec.params.p !== this.params.p;
  }

  /** Self-contained hash for one secret (staff accounts, STAFF_ACCOUNTS): `scrypt$ln=..,r=..,p=..$<salt>$<key>`. */
  async hash(password: string): Promise<string> {
    const spec = this.newSpec();
    return `${encodeSpec(spec)}$${await this.derive(password, spec)}`;
  }

  /** Checks a password against a self-contained hash; a malformed hash never matches but costs the same. */
  async verify(password: string, encoded: string | null): Promise<boolean> {
    const parsed = encoded ? parseEncodedHash(encoded) : null;
    const derived = await this.derive(password, parsed?.spec ?? this.decoySpec);
    return parsed ? keysEqual(derived, parsed.key) : false;
  }
}

export function parseEncodedHash(encoded: string): { spec: KdfSpec; key: string } | null {
  const cut = encoded.lastIndexOf('$');
  if (cut < 0) return null;
  const spec = parseSpec(encoded.slice(0, cut));
  const key = encoded.slice(cut + 1);
  if (!spec || !/^[A-Za-z0-9_-]{43}$/.test(key)) return null;
  return { spec, key };
}

/** Constant-time comparison of two base64url keys. */
export function keysEqual(a: string | null | undefined, b: string | null | undefined): boolean {
  if (!a || !b) return false;
  const left = Buffer.from(a, 'base64url');
  const right = Buffer.from(b, 'base64url');
  return left.length === right.length && timingSafeEqual(left, right);
}
