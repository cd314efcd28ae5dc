import type { StaffRole } from '@selfcare/shared';
import { parseEncodedHash } from '../auth/kdf';
import type { StaffAccountConfig } from '../settings';

const LOGIN = /^[a-z][a-z0-9._-]{1,63}$/;
const ROLES: StaffRole[] = ['OPERATOR', 'ADMIN'];

/**
 * STAFF_ACCOUNTS: `login:ROLE:scrypt-hash;login2:ROLE:scrypt-hash` or a JSON array of
 * `{ "login", "role", "passwordHash" }` (or `"password"` outside production). Hashes come from
 * `node subgraphs/identity/dist/staff/hash-password-cli.js`. Throws a message naming the bad entry.
 */
export function parseStaffAccounts(text: string | undefined, production: boolean): StaffAccountConfig[] {
  const source = (text ?? '').trim();
  if (!source) return [];
  let entries: StaffAccountConfig[];
  if (source.startsWith('[')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(source);
    } catch {
      throw new Error('is not valid JSON');
    }
    if (!Array.isArray(parsed)) throw new Error('must be a JSON array');
    entries = parsed.map((item, index) => {
      const entry = item as Partial<StaffAccountConfig>;
      if (typeof entry !== 'object' || entry === null) throw new Error(`entry ${index + 1} is not an object`);
      return {
        login: String(entry.login ?? ''),
        role: String(entry.role ?? '') as StaffRole,
        ...(entry.passwordHash !== undefined ? { passwordHash: String(entry.passwordHash) } : {}),
        ...(entry.password !== undefined ? { password: String(entry.password) } : {}),
      };
    });
  } else {
    entries = source
      .split(';')
      .map((part) => part.trim())
      .filter(Boolean)
      .map((part, index) => {
        const first = part.indexOf(':');
        const second = part.indexOf(':', first + 1);
        if (first < 0 || second < 0) throw new Error(`entry ${index + 1} must be login:ROLE:scrypt-hash`);
        return { login: part.slice(0, first), role: part.slice(first + 1, second) as StaffRole, passwordHash: part.slice(second + 1) };
      });
  }
  const seen = new Set<string>();
  for (const entry of entries) {
    entry.login = entry.login.trim().toLowerCase();
    if (!LOGIN.test(entry.login)) throw new Error(`login "${entry.login}" must be 2-64 lower-case letters, digits, dots, dashes`);
    if (seen.has(entry.login)) throw new Error(`login "${entry.login}" appears twice`);
    seen.add(entry.login);
    entry.role = String(entry.role).toUpperCase() as StaffRole;
    if (!ROLES.includes(entry.role)) throw new Error(`role of "${entry.login}" must be OPERATOR or ADMIN`);
    if (entry.passwordHash !== undefined) {
      if (!parseEncodedHash(entry.passwordHash)) throw new Error(`password hash of "${entry.login}" is not a scrypt hash (use hash-password-cli)`);
    } else if (entry.password === undefined) {
      throw new Error(`"${entry.login}" needs a passwordHash`);
    } else if (production) {
      throw new Error(`"${entry.login}" has a clear password; production takes hashes only`);
    }
  }
  return entries;
}
