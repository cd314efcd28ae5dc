import { DEMO_PASSWORD } from '@selfcare/shared';
import { suiteFixture } from '@selfcare/shared/testing';
import { NURLAN, UNREGISTERED } from './support/identity';
import { IdentityHarness } from './support/identity-harness';

/** E-mail login (terms 1, 3.1.1) through a verification link; JWKS; the Subscriber entity for federation. */
const h = suiteFixture(() => IdentityHarness.start());

const SET_EMAIL = `mutation ($e: EmailAddress) { setEmail(email: $e) { id email emailVerified } }`;
const LINK = /(http:\/\/\S+\/links\/email\/verify\?token=\S+)/;

async function open(link: string, json = false): Promise<{ status: number; body: string }> {
  const response = await fetch(link, { headers: json ? { accept: 'application/json' } : {} });
  return { status: response.status, body: await response.text() };
}

describe('e-mail login (terms 3.1.1: login by mobile number or e-mail)', () => {
  test('setEmail sends a signed link; the address is a login only once the link is opened, and the link works once', async () => {
    const { accessToken } = await h.loginOk(NURLAN.msisdn, DEMO_PASSWORD);
    const set = await h.gql(SET_EMAIL, { e: 'Nurlan@Mail.KZ' }, { token: accessToken });
    expect(set.data.setEmail).toEqual({ id: NURLAN.id, email: 'Nurlan@mail.kz', emailVerified: false });
    expect(IdentityHarness.code(await h.login('nurlan@mail.kz', DEMO_PASSWORD))).toBe('INVALID_CREDENTIALS');

    const mail = await h.waitForMail('nurlan@mail.kz');
    expect(mail.subject).toBe('Beeline жеке кабинеті: e-mail мекенжайын растаңыз'); // Nurlan reads Kazakh
    const link = mail.text.match(LINK)![1]!;
    expect(link.startsWith(`${h.platform.publicUrl}/links/email/verify?token=`)).toBe(true);
    const opened = await open(link.replace(h.platform.publicUrl, h.url));
    expect(opened.status).toBe(200);
    expect(opened.body).toContain('E-mail расталды');

    expect((await h.loginOk('Nurlan@mail.kz', DEMO_PASSWORD)).subscriber.id).toBe(NURLAN.id);
    expect((await h.gql(`{ me { email emailVerified } }`, {}, { token: accessToken })).data.me).toEqual({ email: 'Nurlan@mail.kz', emailVerified: true });
    const again = await open(link.replace(h.platform.publicUrl, h.url), true);
    expect(again.status).toBe(400);
    expect(JSON.parse(again.body)).toMatchObject({ verified: false, reason: 'used' });
    expect((await h.activity(NURLAN.id)).map((a) => a.action)).toEqual(expect.arrayContaining(['EMAIL_SET', 'EMAIL_VERIFIED']));
  });

  test('forged, altered and expired links are refused; a newer address voids the older link', async () => {
    const { accessToken } = await h.loginOk(UNREGISTERED.msisdn, await officePassword(UNREGISTERED.id));
    await h.gql(SET_EMAIL, { e: 'first@example.kz' }, { token: accessToken });
    const first = (await h.waitForMail('first@example.kz')).text.match(LINK)![1]!.replace(h.platform.publicUrl, h.url);
    const token = new URL(first).searchParams.get('token')!;
    const [payload, mac] = token.split('.') as [string, string];
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
    const longer = Buffer.from(JSON.stringify({ ...claims, exp: claims.exp + 3600_000 })).toString('base64url');
    const otherRow = Buffer.from(JSON.stringify({ ...claims, id: '00000000-0000-4000-8000-000000000000' })).toString('base64url');
    for (const forged of [`${payload}.${'A'.repeat(43)}`, `${longer}.${mac}`, `${otherRow}.${mac}`, `${payload}`, 'junk', '']) {
      const result = await open(`${h.url}/links/email/verify?token=${encodeURIComponent(forged)}`, true);
      expect(result.status).toBe(400);
      expect(JSON.parse(result.body).reason).toBe('invalid');
    }
    await h.gql(SET_EMAIL, { e: 'second@example.kz' }, { token: accessToken });
    const stale = await open(first, true);
    expect(JSON.parse(stale.body).reason).toBe('invalid');
    const second = (await h.waitForMail('second@example.kz')).text.match(LINK)![1]!.replace(h.platform.publicUrl, h.url);
    h.clock.advance(24 * 3600_000 + 1000);
    const expired = await open(second, true);
    expect(JSON.parse(expired.body).reason).toBe('expired');
    // Never verified: no e-mail login.
    expect(IdentityHarness.code(await h.login('second@example.kz', 'any-password-1'))).toBe('INVALID_CREDENTIALS');
  });

  test('an address verified by another subscriber cannot be taken (CONFLICT); null removes the e-mail login', async () => {
    const { accessToken } = await h.loginOk(NURLAN.msisdn, DEMO_PASSWORD);
    const taken = await h.gql(SET_EMAIL, { e: 'aigerim@example.kz' }, { token: accessToken });
    expect(IdentityHarness.code(taken)).toBe('CONFLICT');
    expect(taken.errors?.[0]?.extensions?.field).toBe('email');
    expect(IdentityHarness.code(await h.gql(SET_EMAIL, { e: 'not an address' }, { token: accessToken }))).toBe('BAD_USER_INPUT');
    expect((await h.gql(SET_EMAIL, { e: null }, { token: accessToken })).data.setEmail).toEqual({ id: NURLAN.id, email: null, emailVerified: false });
    expect(IdentityHarness.code(await h.login('nurlan@mail.kz', DEMO_PASSWORD))).toBe('INVALID_CREDENTIALS');
    expect(IdentityHarness.code(await h.gql(SET_EMAIL, { e: 'x@y.kz' }))).toBe('UNAUTHENTICATED');
  });

  test('terms 5.1: removing the verified e-mail takes EMAIL out of the notification channels (nothing could be sent there)', async () => {
    const { accessToken } = await h.loginOk('+77772223344', DEMO_PASSWORD); // Steppe: a verified demo e-mail
    expect((await h.gql(`mutation { setNotifyBy(channels: [EMAIL, SMS]) }`, {}, { token: accessToken })).data).toEqual({ setNotifyBy: ['EMAIL', 'SMS'] });
    await h.gql(SET_EMAIL, { e: null }, { token: accessToken });
    expect((await h.gql(`{ me { notifyBy } }`, {}, { token: accessToken })).data.me.notifyBy).toEqual(['SMS']);
    const again = await h.gql(`mutation { setNotifyBy(channels: [EMAIL]) }`, {}, { token: accessToken });
    expect(again.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'channels' });
  });
});

describe('language of the subscriber', () => {
  test('setLanguage changes the language of later SMS; other services learn it by event; it is in the activity record', async () => {
    const { accessToken } = await h.loginOk(NURLAN.msisdn, DEMO_PASSWORD);
    const result = await h.gql(`mutation { setLanguage(language: EN) { id language } }`, {}, { token: accessToken });
    expect(result.data.setLanguage).toEqual({ id: NURLAN.id, language: 'EN' });
    expect((await h.events('SubscriberLanguageChanged')).slice(-1)).toEqual([{ subscriberId: NURLAN.id, language: 'EN' }]);
    expect((await h.activity(NURLAN.id)).map((a) => a.details)).toContain('KK -> EN');
    h.clock.advance(3600_000);
    const count = h.sms(NURLAN.msisdn).length;
    await h.gql(`mutation { requestPassword(msisdn: "${NURLAN.msisdn}") }`, {}, { headers: { 'x-client-address': '10.7.7.7' } });
    const [text] = await h.waitForSms(NURLAN.msisdn, /password/, count);
    expect(text).toMatch(/^Your Beeline Personal Cabinet password/);
    expect(IdentityHarness.code(await h.gql(`mutation { setLanguage(language: DE) { id } }`, {}, { token: accessToken }))).toBe('BAD_USER_INPUT');
    await h.gql(`mutation { setLanguage(language: KK) { id } }`, {}, { token: accessToken });
  });
});

async function officePassword(subscriberId: string): Promise<string> {
  const operator = await h.staffLogin('OPERATOR');
  const result = await h.gql(`mutation ($id: ID!) { issueOfficePassword(subscriberId: $id) { password } }`, { id: subscriberId }, { token: operator });
  return result.data.issueOfficePassword.password;
}

describe('token keys and the federated Subscriber entity', () => {
  test('GET /.well-known/jwks.json publishes the Ed25519 public key (and no private part)', async () => {
    const response = await fetch(`${h.url}/.well-known/jwks.json`);
    const body = (await response.json()) as { keys: Record<string, string>[] };
    expect(body.keys).toHaveLength(1);
    expect(body.keys[0]).toMatchObject({ kty: 'OKP', crv: 'Ed25519', alg: 'EdDSA', use: 'sig' });
    expect(body.keys[0]!.d).toBeUndefined();
    const { accessToken } = await h.loginOk(NURLAN.msisdn, DEMO_PASSWORD);
    expect(JSON.parse(Buffer.from(accessToken.split('.')[0]!, 'base64url').toString()).kid).toBe(body.keys[0]!.kid);
  });

  test('_entities resolves Subscriber references in one query through a DataLoader (no N+1)', async () => {
    const ids = ['5f1c2a8e-0001-4a6b-9c1d-000000000001', '5f1c2a8e-0002-4a6b-9c1d-000000000002', '5f1c2a8e-0003-4a6b-9c1d-000000000003', '5f1c2a8e-0005-4a6b-9c1d-000000000005', 'ffffffff-0000-4000-8000-000000000000'];
    // Only statements on the subscribers table count: the outbox relay polls the same database meanwhile.
    const counter = h.database.counter;
    const original = counter.logQuery.bind(counter);
    let subscriberStatements = 0;
    counter.logQuery = (query: string, ...rest: unknown[]) => {
      if (/\bsubscribers\b/.test(query)) subscriberStatements += 1;
      return (original as (...args: unknown[]) => void)(query, ...rest);
    };
    // Staff may read every line's personal data (a subscriber only their own or a managed number's: next test).
    const staff = await h.staffLogin('ADMIN');
    const result = await h.gql(
      `query ($r: [_Any!]!) { _entities(representations: $r) { ... on Subscriber { id msisdn login kind partyType language accessStatus registered } } }`,
      { r: ids.map((id) => ({ __typename: 'Subscriber', id })) },
      { token: staff },
    );
    counter.logQuery = original;
    expect(subscriberStatements).toBe(1);
    expect(result.data._entities.map((e: { id: string } | null) => e?.id ?? null)).toEqual([...ids.slice(0, 4), null]);
    expect(result.data._entities[3]).toMatchObject({ kind: 'HOME_INTERNET', msisdn: null, login: '1000245678' });
  });

  test('terms 2.5: a reference to somebody else (a management request’s owner, an activity actor) shows the number, not the personal data', async () => {
    const PERSONAL = `query ($r: [_Any!]!) { _entities(representations: $r) { ... on Subscriber { id msisdn email accessReason } } }`;
    const STATUS = `query ($r: [_Any!]!) { _entities(representations: $r) { ... on Subscriber { id accessStatus } } }`;
    const aigerim = { r: [{ __typename: 'Subscriber', id: '5f1c2a8e-0001-4a6b-9c1d-000000000001' }] };
    const nurlan = await h.loginOk(NURLAN.msisdn, DEMO_PASSWORD);
    // A stranger (and nobody without a token) sees who it is by number only: the e-mail and the status stay hidden.
    for (const token of [nurlan.accessToken, null]) {
      const seen = await h.gql(PERSONAL, aigerim, { token });
      expect(seen.errors).toBeUndefined();
      expect(seen.data._entities).toEqual([{ id: aigerim.r[0]!.id, msisdn: '+77051234567', email: null, accessReason: null }]);
      const status = await h.gql(STATUS, aigerim, { token });
      expect(IdentityHarness.code(status)).toBe('FORBIDDEN');
      expect(status.errors?.[0]?.path).toEqual(['_entities', 0, 'accessStatus']);
    }
    // Her own reference and a managed number (terms 4.3: everything the owner can) show it.
    const own = await h.gql(PERSONAL, { r: [{ __typename: 'Subscriber', id: NURLAN.id }] }, { token: nurlan.accessToken });
    expect(own.data._entities[0].msisdn).toBe(NURLAN.msisdn);
    const grant = await h.grant(NURLAN.id, aigerim.r[0]!.id, '+77051234567');
    const managed = await h.gql(PERSONAL, aigerim, { token: nurlan.accessToken });
    expect(managed.data._entities[0].email).toBe('aigerim@example.kz');
    expect((await h.gql(STATUS, aigerim, { token: nurlan.accessToken })).data._entities[0].accessStatus).toBe('ACTIVE');
    await grant.end();
  });

  test('the subgraph SDL declares Subscriber as an entity keyed by id', async () => {
    const result = await h.gql(`{ _service { sdl } }`);
    expect(result.data._service.sdl).toMatch(/type Subscriber\s+@key\(fields: "id"\)/);
    for (const operation of ['requestPassword', 'login', 'refreshSession', 'logout', 'endSession', 'endOtherSessions', 'changePassword', 'setEmail', 'staffLogin', 'provisionSubscriber', 'setAccessStatus', 'terminateContract', 'issueOfficePassword']) {
      expect(result.data._service.sdl).toMatch(new RegExp(`\\n\\s+${operation}[(:]`));
    }
  });
});
