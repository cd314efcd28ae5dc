import { DEMO_PASSWORD } from '@selfcare/shared';
import { suiteFixture } from '@selfcare/shared/testing';
import { bucketKey, RateLimiter } from '../src/auth/rate-limiter';
import { IdentityHarness } from './support/identity-harness';

/**
 * terms 3.1.1 (registration by SMS password, login by number or e-mail), the channel rule (terms 1), terms 3.3 access,
 * lock-outs and rate limits — against the identity subgraph running for real (HTTP, its database, outbox, SMS centre).
 */
const h = suiteFixture(() => IdentityHarness.start());

const REQUEST = `mutation ($msisdn: PhoneNumber!) { requestPassword(msisdn: $msisdn) }`;
let addressCounter = 0;
/** Each test its own client address, so per-address counters of one test do not leak into another. */
const fromAddress = () => ({ 'x-client-address': `10.0.0.${(addressCounter += 1)}` });
const PASSWORD_IN_SMS = /: ([A-Za-z0-9]{10})\./;

describe('requestPassword (terms 3.1.1)', () => {
  test('an unregistered subscriber gets a generated password by SMS in their language, and the first login registers them', async () => {
    const headers = fromAddress();
    const before = h.sms('+77475556677').length;
    const answer = await h.gql(REQUEST, { msisdn: '8 747 555 66 77' }, { headers });
    expect(answer.data).toEqual({ requestPassword: true });
    const [text, password] = await h.waitForSms('+77475556677', PASSWORD_IN_SMS, before);
    expect(text).toMatch(/^Пароль для входа в Личный кабинет Beeline/); // RU subscriber
    const row = await h.subscriberRow('5f1c2a8e-0004-4a6b-9c1d-000000000004');
    expect(row.pending_password_hash).toBeTruthy();
    expect(JSON.stringify(row)).not.toContain(password!); // only the hash is stored
    expect(row.registered === true || row.registered === 1).toBe(false);

    const session = await h.loginOk('+7 (747) 555-66-77', password!, 'MOBILE_APP', { platform: 'Android', model: 'Pixel 8', appVersion: '5.1.0' }, headers);
    expect(session.subscriber.registered).toBe(true);
    const registered = await h.subscriberRow('5f1c2a8e-0004-4a6b-9c1d-000000000004');
    expect(registered.pending_password_hash).toBeNull();
    expect(registered.password_hash).toBe(row.pending_password_hash);
    // terms 2.11 / 6.4: registration records the consents; terms 6.1: the terms version accepted.
    const consents = await h.database.dataSource.query('SELECT purpose, granted, terms_version FROM consents WHERE subscriber_id = ? ORDER BY purpose', [
      '5f1c2a8e-0004-4a6b-9c1d-000000000004',
    ]);
    expect(consents.map((c: { purpose: string }) => c.purpose)).toEqual(expect.arrayContaining(['PERSONAL_DATA', 'MARKETING_EMAIL', 'MARKETING_SMS']));
    const actions = (await h.activity('5f1c2a8e-0004-4a6b-9c1d-000000000004')).map((a) => a.action);
    expect(actions).toEqual(expect.arrayContaining(['PASSWORD_REQUESTED', 'REGISTERED', 'LOGGED_IN']));
    expect((await h.events('SubscriberRegistered')).map((e) => e.subscriberId)).toContain('5f1c2a8e-0004-4a6b-9c1d-000000000004');
    // The SMS password is now the password; using it again works, a registration happens once.
    const again = await h.loginOk('87475556677', password!, 'WEB', undefined, headers);
    expect(again.subscriber.registered).toBe(true);
    expect((await h.activity('5f1c2a8e-0004-4a6b-9c1d-000000000004')).filter((a) => a.action === 'REGISTERED')).toHaveLength(1);
  });

  test('the SMS is written in the subscriber’s language (KK, EN)', async () => {
    h.clock.advance(61_000);
    await h.gql(REQUEST, { msisdn: '+77071112233' }, { headers: fromAddress() });
    const [kk] = await h.waitForSms('+77071112233', PASSWORD_IN_SMS);
    expect(kk).toMatch(/^Beeline жеке кабинетіне кіру құпиясөзі/);
    await h.gql(REQUEST, { msisdn: '+77772223344' }, { headers: fromAddress() });
    const [en] = await h.waitForSms('+77772223344', PASSWORD_IN_SMS);
    expect(en).toMatch(/^Your Beeline Personal Cabinet password/);
  });

  test('the same answer for a number that is no subscriber’s — and nothing is sent (no enumeration)', async () => {
    const known = await h.gql(REQUEST, { msisdn: '+77051234567' }, { headers: fromAddress() });
    const unknown = await h.gql(REQUEST, { msisdn: '+77019998877' }, { headers: fromAddress() });
    expect(unknown).toEqual(known);
    expect(unknown.data).toEqual({ requestPassword: true });
    await h.drainOutbox();
    expect(h.sms('+77019998877')).toHaveLength(0);
  });

  test('a malformed number is BAD_USER_INPUT, with the field named', async () => {
    for (const msisdn of ['12345', '+79161234567', '+7 705 123 45 6x', '']) {
      const result = await h.gql(REQUEST, { msisdn });
      expect(IdentityHarness.code(result)).toBe('BAD_USER_INPUT');
      expect(result.errors?.[0]?.extensions?.field).toBe('msisdn');
    }
  });

  test('a new request replaces the previous SMS password; the current password keeps working until the new one is used', async () => {
    const headers = fromAddress();
    const msisdn = '+77051234567';
    h.clock.advance(61_000);
    let count = h.sms(msisdn).length;
    await h.gql(REQUEST, { msisdn }, { headers });
    const [, first] = await h.waitForSms(msisdn, PASSWORD_IN_SMS, count);
    h.clock.advance(61_000);
    count = h.sms(msisdn).length;
    await h.gql(REQUEST, { msisdn }, { headers });
    const [, second] = await h.waitForSms(msisdn, PASSWORD_IN_SMS, count);
    expect(second).not.toBe(first);
    // A stranger asking for a password does not lock the owner out.
    await h.loginOk(msisdn, DEMO_PASSWORD, 'WEB', undefined, headers);
    expect(IdentityHarness.code(await h.login(msisdn, first!, 'WEB', undefined, headers))).toBe('INVALID_CREDENTIALS');
    await h.loginOk(msisdn, second!, 'WEB', undefined, headers);
    // Once used, the SMS password is the password: the old one is gone.
    expect(IdentityHarness.code(await h.login(msisdn, DEMO_PASSWORD, 'WEB', undefined, headers))).toBe('INVALID_CREDENTIALS');
    await h.loginOk(msisdn, second!, 'WEB', undefined, headers);
  });

  test('an SMS password not used within its lifetime expires', async () => {
    const msisdn = '+77772223344';
    h.clock.advance(61_000);
    const count = h.sms(msisdn).length;
    await h.gql(REQUEST, { msisdn }, { headers: fromAddress() });
    const [, password] = await h.waitForSms(msisdn, PASSWORD_IN_SMS, count);
    h.clock.advance(24 * 3600_000 + 1000);
    expect(IdentityHarness.code(await h.login(msisdn, password!, 'WEB', undefined, fromAddress()))).toBe('INVALID_CREDENTIALS');
  });

  test('rate limits: one SMS per number per minute, a few per hour, and per client address — RATE_LIMITED with retryAfterSeconds, the same for unknown numbers', async () => {
    h.clock.advance(3600_000);
    const headers = fromAddress();
    for (const msisdn of ['+77071112233', '+77015550001']) {
      expect((await h.gql(REQUEST, { msisdn }, { headers })).data).toEqual({ requestPassword: true });
      const limited = await h.gql(REQUEST, { msisdn }, { headers });
      expect(IdentityHarness.code(limited)).toBe('RATE_LIMITED');
      expect(limited.errors?.[0]?.extensions?.retryAfterSeconds).toBeGreaterThan(0);
      expect(limited.errors?.[0]?.extensions?.retryAfterSeconds).toBeLessThanOrEqual(60);
    }
    // Per number per hour: 5 (with the cool-down respected).
    const msisdn = '+77015550002';
    const results: (string | undefined)[] = [];
    for (let i = 0; i < 6; i += 1) {
      results.push(IdentityHarness.code(await h.gql(REQUEST, { msisdn }, { headers: fromAddress() })));
      h.clock.advance(61_000);
    }
    expect(results).toEqual([undefined, undefined, undefined, undefined, undefined, 'RATE_LIMITED']);
    // Per client address per hour: 30, whatever numbers it asks for.
    const busy = fromAddress();
    const perAddress: (string | undefined)[] = [];
    for (let i = 0; i < 31; i += 1) perAddress.push(IdentityHarness.code(await h.gql(REQUEST, { msisdn: `+7701660${String(i).padStart(4, '0')}` }, { headers: busy })));
    expect(perAddress.slice(0, 30).every((c) => c === undefined)).toBe(true);
    expect(perAddress[30]).toBe('RATE_LIMITED');
    // The limits live in identity's database (shared by every replica), keyed by hashes, not numbers.
    const buckets: { bucket_key: string }[] = await h.database.dataSource.query('SELECT bucket_key FROM rate_limits');
    expect(buckets.length).toBeGreaterThan(0);
    expect(buckets.every((b) => /^[0-9a-f]{64}$/.test(b.bucket_key))).toBe(true);
  });
});

describe('limits under concurrency (several identity replicas share the database)', () => {
  test('ten simultaneous requests for one number: exactly one SMS, nine RATE_LIMITED', async () => {
    const msisdn = '+77016660001';
    h.clock.advance(3600_000);
    const answers = await Promise.all(Array.from({ length: 10 }, (_, i) => h.gql(REQUEST, { msisdn }, { headers: { 'x-client-address': `10.1.1.${i}` } })));
    const codes = answers.map((a) => IdentityHarness.code(a) ?? 'OK').sort();
    expect(codes).toEqual(['OK', ...Array(9).fill('RATE_LIMITED')]);
  });

  test('ten simultaneous wrong logins from one address count ten failures: that address is locked for the login, the owner elsewhere is not', async () => {
    const attacker = { 'x-client-address': '10.2.0.1' };
    const results = await Promise.all(Array.from({ length: 10 }, (_, i) => h.login('+77071112233', `wrong-${i}-pass`, 'WEB', undefined, attacker)));
    expect(results.every((r) => ['INVALID_CREDENTIALS', 'RATE_LIMITED'].includes(IdentityHarness.code(r)!))).toBe(true);
    expect(IdentityHarness.code(await h.login('+77071112233', DEMO_PASSWORD, 'WEB', undefined, attacker))).toBe('RATE_LIMITED');
    await h.loginOk('+77071112233', DEMO_PASSWORD, 'WEB', undefined, fromAddress());
    h.clock.advance(15 * 60_000 + 1000);
    await h.loginOk('+77071112233', DEMO_PASSWORD, 'WEB', undefined, attacker);
  });
});

describe('races on one subscriber (MariaDB: concurrent transactions; SQLite: serialized ones)', () => {
  test('simultaneous wrong logins from one client address: each is INVALID_CREDENTIALS or RATE_LIMITED, never INTERNAL, and all count', async () => {
    // One address and one login: every request creates or bumps the same two buckets (a NAT, or one attacker).
    const headers = { 'x-client-address': '10.3.3.3' };
    const results = await Promise.all(Array.from({ length: 8 }, (_, i) => h.login('+77016660002', `wrong-${i}-pass`, 'WEB', undefined, headers)));
    expect(results.map((r) => IdentityHarness.code(r)).filter((c) => c !== 'INVALID_CREDENTIALS' && c !== 'RATE_LIMITED')).toEqual([]);
    expect(IdentityHarness.code(await h.login('+77016660002', 'wrong-9-pass', 'WEB', undefined, headers))).toBe('RATE_LIMITED');
  });

  test('the limiter counts simultaneous failures on new buckets exactly, without an error (a MariaDB deadlock victim is retried)', async () => {
    const limiter = new RateLimiter(h.database, h.clock);
    for (let round = 0; round < 5; round += 1) {
      const rules = [
        { key: bucketKey('login', `race-${round}`), maxFailures: 6, windowMs: 60_000, lockMs: 60_000 },
        { key: bucketKey('login-address', `10.4.4.${round}`), maxFailures: 50, windowMs: 60_000, lockMs: 60_000 },
      ];
      const outcomes = await Promise.allSettled(Array.from({ length: 6 }, () => limiter.failure(rules)));
      expect(outcomes.filter((o) => o.status === 'rejected')).toEqual([]);
      // Six failures counted: the sixth locks the login key, the address key is not locked.
      expect(await limiter.lockedFor([rules[0]!.key])).toBeGreaterThan(0);
      expect(await limiter.lockedFor([rules[1]!.key])).toBe(0);
    }
  });

  test('a correct password is never refused because of a race: simultaneous first logins with one SMS password, logins during a new SMS password', async () => {
    h.clock.advance(3600_000);
    await h.gql(REQUEST, { msisdn: '+77051234567' }, { headers: fromAddress() });
    const [, smsPassword] = await h.waitForSms('+77051234567', PASSWORD_IN_SMS);
    // The first to commit turns the SMS password into the password; the others must still be let in with it.
    const firsts = await Promise.all(Array.from({ length: 4 }, () => h.login('+77051234567', smsPassword!, 'WEB', undefined, fromAddress())));
    expect(firsts.map((r) => IdentityHarness.code(r) ?? 'OK')).toEqual(['OK', 'OK', 'OK', 'OK']);
    // terms 3.1.1: a new SMS password requested meanwhile (by anyone) leaves the current password working.
    h.clock.advance(61_000);
    const during = await Promise.all([
      ...Array.from({ length: 6 }, () => h.login('+77051234567', smsPassword!, 'WEB', undefined, fromAddress())),
      h.gql(REQUEST, { msisdn: '+77051234567' }, { headers: fromAddress() }),
    ]);
    expect(during.map((r) => IdentityHarness.code(r) ?? 'OK')).toEqual(Array(7).fill('OK'));
  });
});

describe('login (terms 1, 3.1.1, 3.3)', () => {
  const LOGIN = `mutation ($l: String!, $p: String!, $c: Channel!) { login(login: $l, password: $p, channel: $c) { accessToken refreshToken accessTokenExpiresAt subscriber { id msisdn login kind partyType language accessStatus registered } } }`;

  test('by msisdn in every accepted form; the access token is a short-lived EdDSA JWT with the contract claims', async () => {
    for (const form of ['+77071112233', '87071112233', '+7 (707) 111-22-33', '8 707 111 22 33']) {
      const result = await h.gql(LOGIN, { l: form, p: DEMO_PASSWORD, c: 'WEB' }, { headers: fromAddress() });
      expect(result.errors).toBeUndefined();
      expect(result.data.login.subscriber).toMatchObject({ msisdn: '+77071112233', login: '+77071112233', kind: 'MOBILE', language: 'KK', accessStatus: 'ACTIVE', registered: true });
      const [header, payload] = result.data.login.accessToken.split('.').slice(0, 2).map((p: string) => JSON.parse(Buffer.from(p, 'base64url').toString()));
      expect(header).toMatchObject({ alg: 'EdDSA', typ: 'JWT' });
      expect(payload).toMatchObject({ iss: 'selfcare-identity', sub: '5f1c2a8e-0002-4a6b-9c1d-000000000002', act: 'subscriber', ch: 'WEB', typ: 'access' });
      expect(payload.exp - payload.iat).toBe(900);
      expect(Math.floor(payload.iatms / 1000)).toBe(payload.iat);
      expect(new Date(result.data.login.accessTokenExpiresAt).getTime()).toBe(payload.exp * 1000);
      expect(result.data.login.refreshToken).toMatch(/^rt_/);
    }
  });

  test('a wrong password, an unknown login and a malformed login all get the same INVALID_CREDENTIALS', async () => {
    const headers = fromAddress();
    const answers = [];
    for (const [l, p] of [
      ['+77071112233', 'wrong-password-1'],
      ['+77019998877', 'wrong-password-1'],
      ['nobody@example.kz', 'wrong-password-1'],
      ['!!!', 'wrong-password-1'],
      ['+77071112233', ''],
    ]) {
      const result = await h.gql(LOGIN, { l, p, c: 'WEB' }, { headers });
      expect(result.data).toBeNull();
      answers.push({ code: result.errors?.[0]?.extensions?.code, message: result.errors?.[0]?.message });
    }
    expect(new Set(answers.map((a) => JSON.stringify(a))).size).toBe(1);
    expect(answers[0]).toEqual({ code: 'INVALID_CREDENTIALS', message: 'Неверный логин или пароль' });
  });

  test('the error is in the caller’s language', async () => {
    const result = await h.gql(LOGIN, { l: '+77071112233', p: 'wrong-password-1', c: 'WEB' }, { headers: { ...fromAddress(), 'accept-language': 'kk' } });
    expect(result.errors?.[0]?.message).toBe('Логин немесе құпиясөз қате');
  });

  test('lock-out after 5 failures of a login from one address, existing or not, with the same error shape; the owner elsewhere is let in; it ends by itself', async () => {
    const attacker = fromAddress();
    for (const login of ['+77772223344', '+77012223344']) {
      const answers = [];
      for (let i = 0; i < 6; i += 1) {
        const result = await h.gql(LOGIN, { l: login, p: `wrong-${i}-pass`, c: 'WEB' }, { headers: attacker });
        answers.push(result.errors?.[0]?.extensions?.code);
      }
      expect(answers).toEqual(['INVALID_CREDENTIALS', 'INVALID_CREDENTIALS', 'INVALID_CREDENTIALS', 'INVALID_CREDENTIALS', 'INVALID_CREDENTIALS', 'RATE_LIMITED']);
    }
    // From the guessing address even the right password waits, in any spelling of the number.
    const locked = await h.gql(LOGIN, { l: '8 777 222 33 44', p: DEMO_PASSWORD, c: 'WEB' }, { headers: attacker });
    expect(IdentityHarness.code(locked)).toBe('RATE_LIMITED');
    expect(locked.errors?.[0]?.extensions?.retryAfterSeconds).toBeGreaterThan(800);
    const lockedUnknown = await h.gql(LOGIN, { l: '+77012223344', p: 'x', c: 'WEB' }, { headers: attacker });
    expect(Object.keys(lockedUnknown.errors![0]!.extensions!).sort()).toEqual(Object.keys(locked.errors![0]!.extensions!).sort());
    // The owner, from another address, is not locked out by somebody else's guesses.
    await h.loginOk('+77772223344', DEMO_PASSWORD, 'WEB', undefined, fromAddress());
    h.clock.advance(15 * 60_000 + 1000);
    await h.loginOk('+77772223344', DEMO_PASSWORD, 'WEB', undefined, attacker);
  });

  test('lock-out per client address: 50 failures from one address lock it for every login', async () => {
    const headers = fromAddress();
    for (let i = 0; i < 50; i += 1) {
      const result = await h.gql(LOGIN, { l: `+770133${String(i).padStart(5, '0')}`, p: 'guess-1234', c: 'WEB' }, { headers });
      expect(IdentityHarness.code(result)).toBe('INVALID_CREDENTIALS');
    }
    expect(IdentityHarness.code(await h.gql(LOGIN, { l: '+77071112233', p: DEMO_PASSWORD, c: 'WEB' }, { headers }))).toBe('RATE_LIMITED');
    // Another address is not affected.
    await h.loginOk('+77071112233', DEMO_PASSWORD, 'WEB', undefined, fromAddress());
  });

  test('a successful login clears the login’s failure count', async () => {
    const headers = fromAddress();
    for (let round = 0; round < 3; round += 1) {
      for (let i = 0; i < 4; i += 1) expect(IdentityHarness.code(await h.gql(LOGIN, { l: '+77071112233', p: 'nope-1234', c: 'WEB' }, { headers }))).toBe('INVALID_CREDENTIALS');
      await h.loginOk('+77071112233', DEMO_PASSWORD, 'WEB', undefined, headers);
    }
  });

  test('home internet: the account number is the login; WEB works, MOBILE_APP is CHANNEL_NOT_ALLOWED (terms 1)', async () => {
    const web = await h.gql(LOGIN, { l: '1000245678', p: DEMO_PASSWORD, c: 'WEB' }, { headers: fromAddress() });
    expect(web.data.login.subscriber).toMatchObject({ kind: 'HOME_INTERNET', msisdn: null, login: '1000245678' });
    const app = await h.gql(LOGIN, { l: '1000245678', p: DEMO_PASSWORD, c: 'MOBILE_APP' }, { headers: fromAddress() });
    expect(IdentityHarness.code(app)).toBe('CHANNEL_NOT_ALLOWED');
    expect(app.data).toBeNull();
    // The channel is checked only after the password: a wrong password through the app is just INVALID_CREDENTIALS.
    expect(IdentityHarness.code(await h.gql(LOGIN, { l: '1000245678', p: 'wrong-1234', c: 'MOBILE_APP' }, { headers: fromAddress() }))).toBe('INVALID_CREDENTIALS');
    // A mobile subscriber uses the app.
    await h.loginOk('+77071112233', DEMO_PASSWORD, 'MOBILE_APP', undefined, fromAddress());
  });

  test('by e-mail once verified (the demo e-mails are): case of the domain does not matter', async () => {
    const result = await h.gql(LOGIN, { l: 'home@EXAMPLE.kz', p: DEMO_PASSWORD, c: 'WEB' }, { headers: fromAddress() });
    expect(result.data.login.subscriber.login).toBe('1000245678');
  });

  test('a missing argument or a wrong channel value is BAD_USER_INPUT', async () => {
    const noChannel = await h.gql(`mutation { login(login: "+77071112233", password: "x") { accessToken } }`);
    expect(IdentityHarness.code(noChannel)).toBe('BAD_USER_INPUT');
    const badChannel = await h.gql(LOGIN, { l: '+77071112233', p: DEMO_PASSWORD, c: 'SMS' });
    expect(IdentityHarness.code(badChannel)).toBe('BAD_USER_INPUT');
  });
});
