import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateSigningKeyPem, ConfigError } from '@selfcare/shared';
import { DEFAULT_SCRYPT_PARAMS, encodeSpec, parseEncodedHash, parseSpec, PasswordHasher } from '../src/auth/kdf';
import { assertAcceptablePassword, generatePassword } from '../src/auth/passwords';
import { describeDevice } from '../src/sessions/device';
import { parseLogin } from '../src/subscribers/subscriber.service';
import { parseStaffAccounts } from '../src/staff/staff-config';
import { LinkSigner } from '../src/links/link-signer';
import { identityEnvShape, loadIdentityConfig } from '../src/config';
import { TEST_KDF } from './support/identity';

describe('password hashing (scrypt, memory-hard)', () => {
  test('the default cost is N=2^15, r=8, p=1: 32 MiB per evaluation, parameters stored with the hash', async () => {
    expect(DEFAULT_SCRYPT_PARAMS).toEqual({ log2N: 15, r: 8, p: 1 });
    expect(128 * 2 ** DEFAULT_SCRYPT_PARAMS.log2N * DEFAULT_SCRYPT_PARAMS.r).toBe(32 * 1024 * 1024);
    const hasher = new PasswordHasher();
    const hash = await hasher.hash('Correct-horse-1');
    expect(hash).toMatch(/^scrypt\$ln=15,r=8,p=1\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/);
    expect(await hasher.verify('Correct-horse-1', hash)).toBe(true);
    expect(await hasher.verify('correct-horse-1', hash)).toBe(false);
  });

  test('a hash made with a lower cost still verifies after the cost is raised, and is reported outdated', async () => {
    const cheap = new PasswordHasher(TEST_KDF);
    const old = await cheap.hash('Password-1');
    const current = new PasswordHasher({ log2N: 11, r: 8, p: 1 });
    expect(await current.verify('Password-1', old)).toBe(true);
    expect(current.outdated(parseEncodedHash(old)!.spec)).toBe(true);
    expect(current.outdated(current.newSpec())).toBe(false);
  });

  test('malformed hashes never match; specs round-trip; absurd parameters are refused', async () => {
    const hasher = new PasswordHasher(TEST_KDF);
    expect(await hasher.verify('x', 'plain-text-password')).toBe(false);
    expect(await hasher.verify('x', null)).toBe(false);
    const spec = hasher.newSpec();
    expect(parseSpec(encodeSpec(spec))).toEqual(spec);
    expect(parseSpec('scrypt$ln=40,r=8,p=1$AAAAAAAAAAAAAAAAAAAAAA')).toBeNull();
    expect(() => new PasswordHasher({ log2N: 4, r: 8, p: 1 })).toThrow(/log2N/);
  });

  test('each hash has its own salt', async () => {
    const hasher = new PasswordHasher(TEST_KDF);
    expect(await hasher.hash('Same-pass-1')).not.toEqual(await hasher.hash('Same-pass-1'));
  });
});

describe('generated and chosen passwords (terms 1: alphanumeric)', () => {
  test('generated passwords are 10 unambiguous letters and digits with both kinds', () => {
    for (let i = 0; i < 200; i += 1) {
      const password = generatePassword();
      expect(password).toMatch(/^[a-km-zA-HJ-NP-Z2-9]{10}$/);
      expect(password).toMatch(/\d/);
      expect(password).toMatch(/[A-Za-z]/);
    }
  });

  test('a chosen password needs 8+ characters with a letter and a digit', () => {
    expect(() => assertAcceptablePassword('short1')).toThrow();
    expect(() => assertAcceptablePassword('onlyletters')).toThrow();
    expect(() => assertAcceptablePassword('1234567890')).toThrow();
    expect(() => assertAcceptablePassword('Good-pass-9')).not.toThrow();
    expect(() => assertAcceptablePassword('Пароль-2026')).not.toThrow();
  });
});

describe('logins in every accepted form (terms 1 "Login")', () => {
  test.each([
    ['+77051234567', { kind: 'msisdn', value: '+77051234567' }],
    ['87051234567', { kind: 'msisdn', value: '+77051234567' }],
    ['+7 (705) 123-45-67', { kind: 'msisdn', value: '+77051234567' }],
    ['8 705 123 45 67', { kind: 'msisdn', value: '+77051234567' }],
    ['Aigerim@Example.KZ', { kind: 'email', value: 'Aigerim@example.kz' }],
    [' 1000245678 ', { kind: 'account', value: '1000245678' }],
  ])('%s', (input, expected) => {
    expect(parseLogin(input)).toEqual(expected);
  });

  test('garbage is no login at all', () => {
    expect(parseLogin('')).toBeNull();
    expect(parseLogin('a@b')).toBeNull();
    expect(parseLogin('drop table; --')).toBeNull();
    expect(parseLogin('x'.repeat(300))).toBeNull();
  });
});

describe('device of a session (terms 4.1, section 1: Android, iOS, Windows Phone)', () => {
  test('the app reports platform, model and version', () => {
    expect(describeDevice('MOBILE_APP', { platform: 'android', model: 'Galaxy S24', appVersion: '5.2.0' }, 'okhttp/4.12')).toBe('Android · Galaxy S24 · My Beeline 5.2.0');
    expect(describeDevice('MOBILE_APP', { platform: 'iPhone OS' }, null)).toBe('iOS · My Beeline');
    expect(describeDevice('MOBILE_APP', { platform: 'Windows Phone 8.1' }, null)).toBe('Windows Phone · My Beeline');
    expect(describeDevice('MOBILE_APP', null, 'Mozilla/5.0 (Linux; Android 14; Pixel 8)')).toBe('Android · My Beeline');
  });

  test('a browser is described from its User-Agent', () => {
    expect(describeDevice('WEB', null, 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36')).toBe('Chrome 131 on Windows');
    expect(describeDevice('WEB', null, 'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15')).toBe('Safari 17 on macOS');
    expect(describeDevice('WEB', null, 'Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0')).toBe('Firefox 133 on Linux');
    expect(describeDevice('WEB', null, null)).toBe('Browser');
  });

  test('client text is cleaned and bounded', () => {
    const described = describeDevice('MOBILE_APP', { platform: 'android', model: '<script>alert(1)</script>\n'.repeat(20) }, null)!;
    expect(described).not.toMatch(/[<>\n]/);
    expect(described.length).toBeLessThanOrEqual(200);
  });
});

describe('STAFF_ACCOUNTS', () => {
  test('login:ROLE:hash entries and JSON', async () => {
    const hash = await new PasswordHasher(TEST_KDF).hash('Operator-pass-1');
    expect(parseStaffAccounts(`op1:operator:${hash}; boss:ADMIN:${hash}`, true)).toEqual([
      { login: 'op1', role: 'OPERATOR', passwordHash: hash },
      { login: 'boss', role: 'ADMIN', passwordHash: hash },
    ]);
    expect(parseStaffAccounts(JSON.stringify([{ login: 'op1', role: 'OPERATOR', password: 'x-long-password' }]), false)).toEqual([
      { login: 'op1', role: 'OPERATOR', password: 'x-long-password' },
    ]);
  });

  test('bad entries are named; clear passwords are refused in production', () => {
    expect(() => parseStaffAccounts('op1:KING:scrypt$x', false)).toThrow(/role of "op1"/);
    expect(() => parseStaffAccounts('op1:OPERATOR:not-a-hash', false)).toThrow(/password hash of "op1"/);
    expect(() => parseStaffAccounts(JSON.stringify([{ login: 'op1', role: 'ADMIN', password: 'x' }]), true)).toThrow(/production/);
    expect(() => parseStaffAccounts('[{', false)).toThrow(/JSON/);
  });
});

describe('signed links', () => {
  test('genuine tokens verify; altered, foreign or of another kind do not', () => {
    const signer = new LinkSigner('k'.repeat(32));
    const claims = { v: 1, id: '8d0b3c8e-4a6f-4e0e-9b0c-6a1f4f1d2e3a', exp: Date.parse('2030-01-01T00:00:00Z') };
    const token = signer.sign('email-verification', claims);
    expect(signer.verify('email-verification', token)).toEqual(claims);
    const [payload, mac] = token.split('.') as [string, string];
    const altered = Buffer.from(JSON.stringify({ ...claims, id: '8d0b3c8e-4a6f-4e0e-9b0c-6a1f4f1d2e3b' })).toString('base64url');
    expect(signer.verify('email-verification', `${altered}.${mac}`)).toBeNull();
    expect(new LinkSigner('other-key-material-of-32-chars!!').verify('email-verification', token)).toBeNull();
    expect(signer.verify('unsubscribe', token)).toBeNull();
    for (const junk of ['garbage', '', `${payload}.`, `${payload}.${mac}.x`, 'x'.repeat(600), null, ['a', 'b']]) {
      expect(signer.verify('email-verification', junk)).toBeNull();
    }
  });

  test('unsubscribe tokens are signed as they always were, so links in e-mails already sent keep working', () => {
    const secret = 'k'.repeat(32);
    const payload = Buffer.from(JSON.stringify({ v: 1, s: '8d0b3c8e-4a6f-4e0e-9b0c-6a1f4f1d2e3a', p: 'MARKETING_EMAIL', iat: 1_800_000_000 })).toString('base64url');
    // The derivation of the first unsubscribe links: key = HMAC(secret, label), signature = HMAC(key, "unsubscribe.<payload>").
    const key = createHmac('sha256', secret).update('selfcare/identity/unsubscribe-link/v1').digest();
    const legacy = `${payload}.${createHmac('sha256', key).update(`unsubscribe.${payload}`).digest('base64url')}`;
    expect(new LinkSigner(secret).verify('unsubscribe', legacy)).toMatchObject({ s: '8d0b3c8e-4a6f-4e0e-9b0c-6a1f4f1d2e3a', p: 'MARKETING_EMAIL' });
  });
});

describe('configuration (distributed mode)', () => {
  const base = { IDENTITY_DATABASE_URL: 'mysql://root@127.0.0.1:3306/identity', IDENTITY_JWT_PRIVATE_KEY: generateSigningKeyPem() };

  test('a complete environment gives the options', () => {
    const config = loadIdentityConfig({ ...base, IDENTITY_KDF_LOG2_N: '16', IDENTITY_LOGIN_MAX_FAILURES: '3', IDENTITY_LOGIN_MAX_FAILURES_PER_LOGIN: '40', IDENTITY_LOGIN_CEILING_MINUTES: '30', IDENTITY_KNOWN_ADDRESS_DAYS: '7' });
    expect(config.port).toBe(4001);
    expect(config.options.kdf).toEqual({ log2N: 16, r: 8, p: 1 });
    expect(config.options.rateLimits).toMatchObject({ loginMaxFailures: 3, loginMaxFailuresPerLogin: 40, loginCeilingWindowSeconds: 1800, knownAddressDays: 7, loginMaxFailuresPerAddress: 50 });
    expect(config.options.signingKey.publicJwk.alg).toBe('EdDSA');
  });

  test('the PEM may carry \\n escapes (one-line environment files)', () => {
    const config = loadIdentityConfig({ ...base, IDENTITY_JWT_PRIVATE_KEY: base.IDENTITY_JWT_PRIVATE_KEY.replace(/\n/g, '\\n') });
    expect(config.options.signingKey.kid).toHaveLength(16);
  });

  test.each([
    [{ IDENTITY_JWT_PRIVATE_KEY: undefined }, 'IDENTITY_JWT_PRIVATE_KEY'],
    [{ IDENTITY_JWT_PRIVATE_KEY: 'not a key' }, 'IDENTITY_JWT_PRIVATE_KEY'],
    [{ IDENTITY_DATABASE_URL: 'postgres://x' }, 'IDENTITY_DATABASE_URL'],
    [{ IDENTITY_KDF_LOG2_N: '30' }, 'IDENTITY_KDF_LOG2_N'],
    [{ STAFF_ACCOUNTS: 'op1:KING:x' }, 'STAFF_ACCOUNTS'],
  ])('a bad value stops start-up naming the variable (%o)', (override, variable) => {
    let error: unknown;
    try {
      loadIdentityConfig({ ...base, ...override } as NodeJS.ProcessEnv);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).variable).toBe(variable);
  });
});

describe('the README documents identity’s settings', () => {
  test('its configuration table has a row for every setting config.ts reads, and none it does not, with the same defaults', () => {
    const readme = readFileSync(join(__dirname, '..', '..', '..', 'README.md'), 'utf8');
    const rows = readme.split('\n').filter((line) => /^\| `[A-Z0-9_]+` \| identity/.test(line));
    const documented = new Map(rows.map((line) => {
      const [name, , fallback] = line.split('|').slice(1).map((cell) => cell.trim());
      return [name!.replace(/`/g, ''), fallback!] as const;
    }));
    // The generic rows (<NAME>_PORT, <NAME>_DATABASE_URL, NODE_ENV) cover the rest.
    const read = Object.keys(identityEnvShape).filter((name) => !['NODE_ENV', 'IDENTITY_PORT', 'IDENTITY_DATABASE_URL'].includes(name));
    expect([...documented.keys()].sort()).toEqual(read.sort());
    // A documented number is the default config.ts applies.
    const defaults = loadIdentityConfig({ IDENTITY_DATABASE_URL: 'sqlite:/tmp/x.sqlite', IDENTITY_JWT_PRIVATE_KEY: generateSigningKeyPem() }).options;
    const expected: Record<string, number> = {
      IDENTITY_KDF_LOG2_N: defaults.kdf!.log2N,
      IDENTITY_KDF_R: defaults.kdf!.r,
      IDENTITY_KDF_P: defaults.kdf!.p,
      IDENTITY_REFRESH_TOKEN_TTL_DAYS: defaults.refreshTokenTtlSeconds! / 86400,
      IDENTITY_SMS_PASSWORD_TTL_HOURS: defaults.smsPasswordTtlSeconds! / 3600,
      IDENTITY_PASSWORD_REQUEST_COOLDOWN_SECONDS: defaults.rateLimits!.passwordRequestCooldownSeconds!,
      IDENTITY_PASSWORD_REQUESTS_PER_NUMBER_PER_HOUR: defaults.rateLimits!.passwordRequestsPerNumberPerHour!,
      IDENTITY_PASSWORD_REQUESTS_PER_ADDRESS_PER_HOUR: defaults.rateLimits!.passwordRequestsPerAddressPerHour!,
      IDENTITY_LOGIN_MAX_FAILURES: defaults.rateLimits!.loginMaxFailures!,
      IDENTITY_LOGIN_MAX_FAILURES_PER_LOGIN: defaults.rateLimits!.loginMaxFailuresPerLogin!,
      IDENTITY_LOGIN_CEILING_MINUTES: defaults.rateLimits!.loginCeilingWindowSeconds! / 60,
      IDENTITY_LOGIN_MAX_FAILURES_PER_ADDRESS: defaults.rateLimits!.loginMaxFailuresPerAddress!,
      IDENTITY_LOCKOUT_MINUTES: defaults.rateLimits!.loginLockoutSeconds! / 60,
      IDENTITY_KNOWN_ADDRESS_DAYS: defaults.rateLimits!.knownAddressDays!,
      IDENTITY_BROADCAST_BATCH_SIZE: defaults.broadcast!.batchSize!,
      IDENTITY_RETENTION_INTERVAL_SECONDS: defaults.retention!.intervalMs! / 1000,
    };
    for (const [name, value] of Object.entries(expected)) expect({ name, fallback: documented.get(name) }).toEqual({ name, fallback: `\`${value}\`` });
  });
});
