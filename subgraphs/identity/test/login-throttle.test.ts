import { DEMO_PASSWORD } from '@selfcare/shared';
import { suiteFixture } from '@selfcare/shared/testing';
import { throttleAddress } from '../src/auth/login-throttle';
import { AIGERIM, HOME, NURLAN, STEPPE } from './support/identity';
import { IdentityHarness, STAFF } from './support/identity-harness';

/**
 * Login throttling that limits guessing without letting a stranger lock the owner out (terms 3.1.1, 4.1; NIST SP
 * 800-63B 5.2.2). Small limits here: 3 failures per login and address, 10 per login from anywhere within an hour.
 */
const h = suiteFixture(() =>
  IdentityHarness.start({
    identity: { rateLimits: { loginMaxFailures: 3, loginMaxFailuresPerLogin: 10, loginCeilingWindowSeconds: 3600, loginMaxFailuresPerAddress: 50, knownAddressDays: 30 } },
  }),
);

const code = IdentityHarness.code;
let block = 0;
/** A /24 of its own per test, so the buckets of one test do not meet another's. */
const addresses = () => {
  block += 1;
  return (host: number) => ({ 'x-client-address': `10.${block}.0.${host}` });
};
const attempt = (login: string, password: string, headers: Record<string, string>) => h.login(login, password, 'WEB', undefined, headers).then(code);

describe('the owner is not locked out by somebody else', () => {
  test('guesses from other addresses lock those addresses, never the address the owner logs in from', async () => {
    const at = addresses();
    await h.loginOk(NURLAN.msisdn, DEMO_PASSWORD, 'WEB', undefined, at(1)); // the owner's usual address
    // The attacker's own address is locked after 3 failures — the right password too, from there.
    for (let i = 0; i < 3; i += 1) expect(await attempt(NURLAN.msisdn, `guess-${i}-pass`, at(100))).toBe('INVALID_CREDENTIALS');
    expect(await attempt(NURLAN.msisdn, 'guess-9-pass', at(100))).toBe('RATE_LIMITED');
    expect(await attempt(NURLAN.msisdn, DEMO_PASSWORD, at(100))).toBe('RATE_LIMITED');
    // The owner, from home and from a new address alike, is let in.
    await h.loginOk(NURLAN.msisdn, DEMO_PASSWORD, 'WEB', undefined, at(1));
    await h.loginOk(NURLAN.msisdn, DEMO_PASSWORD, 'WEB', undefined, at(2));
  });

  test('a distributed attack reaches the per-login ceiling: new addresses are refused, known ones still log in', async () => {
    const at = addresses();
    await h.loginOk(STEPPE.msisdn, DEMO_PASSWORD, 'MOBILE_APP', undefined, at(1));
    // One guess from each of many addresses: the ceiling counts them all.
    const outcomes: (string | undefined)[] = [];
    for (let host = 100; host < 125; host += 1) outcomes.push(await attempt(STEPPE.msisdn, `guess-${host}-pass`, at(host)));
    expect(outcomes.filter((c) => c === 'INVALID_CREDENTIALS')).toHaveLength(10);
    expect(outcomes.slice(10).every((c) => c === 'RATE_LIMITED')).toBe(true);
    // Even the right password from an address that never logged in to this login waits for the ceiling to pass.
    const fresh = await h.login(STEPPE.msisdn, DEMO_PASSWORD, 'WEB', undefined, at(200));
    expect(code(fresh)).toBe('RATE_LIMITED');
    expect(fresh.errors?.[0]?.extensions?.retryAfterSeconds).toBeGreaterThan(3000);
    // The owner's known address is not shut out, and logging in there does not refill the attacker's allowance.
    await h.loginOk(STEPPE.msisdn, DEMO_PASSWORD, 'WEB', undefined, at(1));
    expect(await attempt(STEPPE.msisdn, 'guess-x-pass', at(201))).toBe('RATE_LIMITED');
    // A known address keeps its own per-pair limit while the ceiling holds.
    for (let i = 0; i < 3; i += 1) expect(await attempt(STEPPE.msisdn, `typo-${i}-pass`, at(1))).toBe('INVALID_CREDENTIALS');
    expect(await attempt(STEPPE.msisdn, DEMO_PASSWORD, at(1))).toBe('RATE_LIMITED');
    h.clock.advance(3600_000 + 1000);
    await h.loginOk(STEPPE.msisdn, DEMO_PASSWORD, 'WEB', undefined, at(200));
  });

  test('simultaneous guesses from many addresses are all counted: the ceiling holds under concurrency', async () => {
    const at = addresses();
    const results = await Promise.all(Array.from({ length: 12 }, (_, i) => attempt(HOME.login, `guess-${i}-pass`, at(10 + i))));
    expect(results.every((c) => c === 'INVALID_CREDENTIALS' || c === 'RATE_LIMITED')).toBe(true);
    expect(await attempt(HOME.login, DEMO_PASSWORD, at(99))).toBe('RATE_LIMITED');
    h.clock.advance(3600_000 + 1000);
    await h.loginOk(HOME.login, DEMO_PASSWORD, 'WEB', undefined, at(99));
  });

  test('the same answer whether or not the login exists, once its ceiling is reached', async () => {
    const at = addresses();
    for (const login of [AIGERIM.msisdn, '+77019994455']) {
      for (let host = 100; host < 110; host += 1) expect(await attempt(login, `guess-${host}-pass`, at(host))).toBe('INVALID_CREDENTIALS');
    }
    const real = await h.login(AIGERIM.msisdn, 'guess-z-pass', 'WEB', undefined, at(150));
    const nobody = await h.login('8 701 999 44 55', 'guess-z-pass', 'WEB', undefined, at(150));
    expect(code(real)).toBe('RATE_LIMITED');
    expect({ message: nobody.errors?.[0]?.message, keys: Object.keys(nobody.errors![0]!.extensions!).sort() }).toEqual({
      message: real.errors?.[0]?.message,
      keys: Object.keys(real.errors![0]!.extensions!).sort(),
    });
    h.clock.advance(3600_000 + 1000);
  });

  test('an address is known for a limited time: one not used successfully for longer is a stranger again', async () => {
    const at = addresses();
    await h.loginOk(NURLAN.msisdn, DEMO_PASSWORD, 'WEB', undefined, at(1));
    h.clock.advance(31 * 24 * 3600_000);
    for (let host = 100; host < 110; host += 1) expect(await attempt(NURLAN.msisdn, `guess-${host}-pass`, at(host))).toBe('INVALID_CREDENTIALS');
    expect(await attempt(NURLAN.msisdn, DEMO_PASSWORD, at(1))).toBe('RATE_LIMITED');
    expect(await h.services.throttle.purge()).toBeGreaterThan(0);
    h.clock.advance(3600_000 + 1000);
    await h.loginOk(NURLAN.msisdn, DEMO_PASSWORD, 'WEB', undefined, at(1));
  });

  test('an attacker cannot take new IPv6 addresses of one /64 to get more guesses; IPv4-mapped is the IPv4 address', async () => {
    const prefix = `2001:db8:${(block += 1).toString(16)}:1`;
    const v6 = (suffix: string) => ({ 'x-client-address': `${prefix}:${suffix}` });
    expect(await attempt(AIGERIM.msisdn, 'guess-1-pass', v6('0:0:0:1'))).toBe('INVALID_CREDENTIALS');
    expect(await attempt(AIGERIM.msisdn, 'guess-2-pass', v6('abcd:0:0:2'))).toBe('INVALID_CREDENTIALS');
    expect(await attempt(AIGERIM.msisdn, 'guess-3-pass', v6('ffff:ffff:ffff:ffff'))).toBe('INVALID_CREDENTIALS');
    expect(await attempt(AIGERIM.msisdn, 'guess-4-pass', { 'x-client-address': `[${prefix}::9]` })).toBe('RATE_LIMITED');
    const v4 = `10.${(block += 1)}.0.1`;
    for (let i = 0; i < 3; i += 1) expect(await attempt(AIGERIM.msisdn, `guess-${i}-pass`, { 'x-client-address': i % 2 ? `::ffff:${v4}` : v4 })).toBe('INVALID_CREDENTIALS');
    expect(await attempt(AIGERIM.msisdn, DEMO_PASSWORD, { 'x-client-address': `::FFFF:${v4}` })).toBe('RATE_LIMITED');
  });

  test('changePassword counts wrong current passwords on the same pair', async () => {
    const at = addresses();
    const { accessToken } = await h.loginOk(HOME.login, DEMO_PASSWORD, 'WEB', undefined, at(1));
    const change = (current: string) =>
      h.gql('mutation ($c: String!, $n: String!) { changePassword(currentPassword: $c, newPassword: $n) }', { c: current, n: 'New-pass-2026' }, { token: accessToken, headers: at(1) }).then(code);
    for (let i = 0; i < 3; i += 1) expect(await change(`wrong-${i}-pass`)).toBe('INVALID_CREDENTIALS');
    expect(await change(DEMO_PASSWORD)).toBe('RATE_LIMITED');
    expect(await attempt(HOME.login, DEMO_PASSWORD, at(1))).toBe('RATE_LIMITED');
    await h.loginOk(HOME.login, DEMO_PASSWORD, 'WEB', undefined, at(2));
    h.clock.advance(15 * 60_000 + 1000);
  });

  test('staff: a stranger cannot lock an operator out from another address either', async () => {
    const at = addresses();
    const staff = (password: string, headers: Record<string, string>) =>
      h.gql('mutation ($l: String!, $p: String!) { staffLogin(login: $l, password: $p) { accessToken } }', { l: STAFF.OPERATOR.login, p: password }, { headers }).then(code);
    expect(await staff(STAFF.OPERATOR.password, at(1))).toBeUndefined();
    for (let i = 0; i < 3; i += 1) expect(await staff(`guess-${i}-pass`, at(100))).toBe('INVALID_CREDENTIALS');
    expect(await staff(STAFF.OPERATOR.password, at(100))).toBe('RATE_LIMITED');
    expect(await staff(STAFF.OPERATOR.password, at(2))).toBeUndefined();
    for (let host = 101; host < 110; host += 1) await staff(`guess-${host}-pass`, at(host));
    expect(await staff(STAFF.OPERATOR.password, at(200))).toBe('RATE_LIMITED');
    expect(await staff(STAFF.OPERATOR.password, at(1))).toBeUndefined();
    h.clock.advance(3600_000 + 1000);
  });
});

describe('remembering an address under concurrency', () => {
  test('simultaneous successful logins from one new address, subscriber and staff, all succeed and leave one known address', async () => {
    const at = addresses();
    const subscriber = await Promise.all(Array.from({ length: 6 }, () => h.login(AIGERIM.msisdn, DEMO_PASSWORD, 'WEB', undefined, at(7)).then(code)));
    expect(subscriber).toEqual(Array(6).fill(undefined));
    const staff = await Promise.all(
      Array.from({ length: 10 }, () =>
        h.gql('mutation ($l: String!, $p: String!) { staffLogin(login: $l, password: $p) { accessToken } }', { l: STAFF.ADMIN.login, p: STAFF.ADMIN.password }, { headers: at(7) }).then(code),
      ),
    );
    expect(staff).toEqual(Array(10).fill(undefined));
    const [row] = await h.database.dataSource.query('SELECT COUNT(*) AS n FROM known_login_addresses');
    expect(Number(row.n)).toBeGreaterThan(0);
    // Nothing but hashes: no login, number or address in the table.
    const rows: Record<string, unknown>[] = await h.database.dataSource.query('SELECT login_key, address_key FROM known_login_addresses');
    expect(rows.every((r) => /^[0-9a-f]{64}$/.test(String(r.login_key)) && /^[0-9a-f]{64}$/.test(String(r.address_key)))).toBe(true);
  });
});

describe('the address throttling counts by', () => {
  test.each([
    ['10.1.2.3', '10.1.2.3'],
    ['::ffff:10.1.2.3', '10.1.2.3'],
    ['::FFFF:10.1.2.3', '10.1.2.3'],
    ['2001:db8:aa:1::5', '2001:db8:aa:1::/64'],
    ['2001:0db8:00aa:0001:ffff:0:0:1', '2001:db8:aa:1::/64'],
    ['[2001:db8:aa:1::5]', '2001:db8:aa:1::/64'],
    ['fe80::1%eth0', 'fe80:0:0:0::/64'],
    ['::1', '0:0:0:0::/64'],
    ['64:ff9b::10.1.2.3', '64:ff9b:0:0::/64'],
    ['unknown', 'unknown'],
    ['', 'unknown'],
  ])('%s as %s', (address, expected) => {
    expect(throttleAddress(address)).toBe(expected);
  });
});
