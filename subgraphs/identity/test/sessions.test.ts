import { DEMO_PASSWORD, generateSigningKeyPem, signingKeyFromPem, signJwt } from '@selfcare/shared';
import { suiteFixture } from '@selfcare/shared/testing';
import { AIGERIM, NURLAN, STEPPE } from './support/identity';
import { IdentityHarness } from './support/identity-harness';

/** terms 4.1 (see and end sessions, change password), terms 3.5 (sessions and devices show what happened), token handling. */
const h = suiteFixture(() => IdentityHarness.start());

const CHROME = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';
const REFRESH = `mutation ($t: String!) { refreshSession(refreshToken: $t) { accessToken refreshToken accessTokenExpiresAt subscriber { id } } }`;
const ME = `{ me { id msisdn sessions { id channel device createdAt lastSeenAt current } } }`;

async function meCode(token: string): Promise<string | undefined> {
  return IdentityHarness.code(await h.gql(`{ me { id } }`, {}, { token }));
}

describe('me', () => {
  test('null without a token; the refusal when a bad token is sent', async () => {
    expect((await h.gql(`{ me { id } }`)).data).toEqual({ me: null });
    expect(IdentityHarness.code(await h.gql(`{ me { id } }`, {}, { headers: { authorization: 'Basic abc' } }))).toBe('UNAUTHENTICATED');
    expect(await meCode('not.a.jwt')).toBe('UNAUTHENTICATED');
    // Signed by a key identity does not publish.
    const foreign = signingKeyFromPem(generateSigningKeyPem());
    const now = Date.now();
    const forged = await signJwt({ iss: 'selfcare-identity', sub: AIGERIM.id, sid: 'x', act: 'subscriber', ch: 'WEB', iat: Math.floor(now / 1000), iatms: now, exp: Math.floor(now / 1000) + 600, typ: 'access' }, { ...foreign });
    expect(await meCode(forged)).toBe('UNAUTHENTICATED');
  });

  test('an expired access token is refused (UNAUTHENTICATED); refreshing gives a working one', async () => {
    const real = h.clock.now();
    h.clock.set(new Date(real.getTime() - 3600_000));
    const old = await h.loginOk(NURLAN.msisdn, DEMO_PASSWORD);
    h.clock.set(real);
    const refused = await h.gql(`{ me { id } }`, {}, { token: old.accessToken });
    expect(IdentityHarness.code(refused)).toBe('UNAUTHENTICATED');
    expect(refused.errors?.[0]?.extensions?.reason).toBe('token expired');
    const renewed = await h.gql(REFRESH, { t: old.refreshToken });
    expect((await h.gql(`{ me { id } }`, {}, { token: renewed.data.refreshSession.accessToken })).data.me.id).toBe(NURLAN.id);
  });
});

describe('refresh tokens (rotation, reuse detection)', () => {
  test('refreshSession rotates: a new access token and a new refresh token; the session is seen again', async () => {
    const first = await h.loginOk(AIGERIM.msisdn, DEMO_PASSWORD);
    h.clock.advance(5 * 60_000);
    const second = await h.gql(REFRESH, { t: first.refreshToken });
    expect(second.errors).toBeUndefined();
    const next = second.data.refreshSession;
    expect(next.refreshToken).not.toBe(first.refreshToken);
    expect(next.accessToken).not.toBe(first.accessToken);
    expect(next.subscriber.id).toBe(AIGERIM.id);
    const sessions = (await h.gql(ME, {}, { token: next.accessToken })).data.me.sessions;
    const current = sessions.find((s: { current: boolean }) => s.current);
    expect(new Date(current.lastSeenAt).getTime()).toBeGreaterThan(new Date(current.createdAt).getTime());
    // Both access tokens of the session work until they expire (rotation does not revoke them).
    expect(await meCode(first.accessToken)).toBeUndefined();
  });

  test('a replayed refresh token ends the whole session family: every refresh token and access token of it', async () => {
    const login = await h.loginOk(AIGERIM.msisdn, DEMO_PASSWORD);
    const rotated = (await h.gql(REFRESH, { t: login.refreshToken })).data.refreshSession;
    // Someone replays the spent token (a copy was stolen).
    const replay = await h.gql(REFRESH, { t: login.refreshToken });
    expect(IdentityHarness.code(replay)).toBe('UNAUTHENTICATED');
    // The legitimate holder's newer token is dead too, and so are the access tokens of that session.
    expect(IdentityHarness.code(await h.gql(REFRESH, { t: rotated.refreshToken }))).toBe('UNAUTHENTICATED');
    expect(await meCode(rotated.accessToken)).toBe('UNAUTHENTICATED');
    expect(await meCode(login.accessToken)).toBe('UNAUTHENTICATED');
    const actions = await h.activity(AIGERIM.id);
    expect(actions.map((a) => a.action)).toContain('SESSION_FAMILY_REVOKED');
    // Other sessions of the subscriber are untouched.
    const other = await h.loginOk(AIGERIM.msisdn, DEMO_PASSWORD);
    expect(await meCode(other.accessToken)).toBeUndefined();
  });

  test('unknown, malformed, access-token-as-refresh and expired refresh tokens are UNAUTHENTICATED', async () => {
    const login = await h.loginOk(STEPPE.msisdn, DEMO_PASSWORD);
    for (const t of ['rt_' + 'A'.repeat(43), 'garbage', '', login.accessToken]) {
      expect(IdentityHarness.code(await h.gql(REFRESH, { t }))).toBe('UNAUTHENTICATED');
    }
    h.clock.advance(30 * 24 * 3600_000 + 1000); // the session's idle lifetime
    expect(IdentityHarness.code(await h.gql(REFRESH, { t: login.refreshToken }))).toBe('UNAUTHENTICATED');
  });
});

describe('sessions and devices (terms 4.1, 3.5)', () => {
  test('each login is a session with channel and a readable device; the owner sees them, the current one marked', async () => {
    const web = await h.loginOk(STEPPE.msisdn, DEMO_PASSWORD, 'WEB', undefined, { 'user-agent': CHROME });
    const app = await h.loginOk(STEPPE.msisdn, DEMO_PASSWORD, 'MOBILE_APP', { platform: 'iOS', model: 'iPhone 15', appVersion: '5.2.0' });
    const seen = (await h.gql(ME, {}, { token: app.accessToken })).data.me.sessions;
    const devices = seen.map((s: { device: string; channel: string; current: boolean }) => [s.channel, s.device, s.current]);
    expect(devices).toEqual(expect.arrayContaining([['WEB', 'Chrome 131 on Windows', false], ['MOBILE_APP', 'iOS · iPhone 15 · My Beeline 5.2.0', true]]));
    const fromWeb = (await h.gql(ME, {}, { token: web.accessToken })).data.me.sessions;
    expect(fromWeb.find((s: { current: boolean }) => s.current).device).toBe('Chrome 131 on Windows');
  });

  test('logout ends the current session: its access token is refused at once, its refresh token too', async () => {
    const login = await h.loginOk(NURLAN.msisdn, DEMO_PASSWORD);
    expect((await h.gql(`mutation { logout }`, {}, { token: login.accessToken })).data).toEqual({ logout: true });
    expect(await meCode(login.accessToken)).toBe('UNAUTHENTICATED');
    expect(IdentityHarness.code(await h.gql(REFRESH, { t: login.refreshToken }))).toBe('UNAUTHENTICATED');
    expect(IdentityHarness.code(await h.gql(`mutation { logout }`))).toBe('UNAUTHENTICATED');
  });

  test('endSession ends one session (its tokens stop working); another subscriber’s session id is NOT_FOUND', async () => {
    const phone = await h.loginOk(NURLAN.msisdn, DEMO_PASSWORD, 'MOBILE_APP', { platform: 'Android' });
    const laptop = await h.loginOk(NURLAN.msisdn, DEMO_PASSWORD, 'WEB');
    const sessions = (await h.gql(ME, {}, { token: laptop.accessToken })).data.me.sessions;
    const phoneSession = sessions.find((s: { channel: string; current: boolean; device: string | null }) => s.channel === 'MOBILE_APP' && !s.current && s.device === 'Android · My Beeline');
    const stranger = await h.loginOk(AIGERIM.msisdn, DEMO_PASSWORD);
    const notYours = await h.gql(`mutation ($id: ID!) { endSession(id: $id) }`, { id: phoneSession.id }, { token: stranger.accessToken });
    expect(IdentityHarness.code(notYours)).toBe('NOT_FOUND');
    expect(notYours.errors?.[0]?.extensions?.field).toBe('id');
    expect(await meCode(phone.accessToken)).toBeUndefined();

    const ended = await h.gql(`mutation ($id: ID!) { endSession(id: $id) }`, { id: phoneSession.id }, { token: laptop.accessToken });
    expect(ended.data).toEqual({ endSession: true });
    expect(await meCode(phone.accessToken)).toBe('UNAUTHENTICATED');
    expect(IdentityHarness.code(await h.gql(REFRESH, { t: phone.refreshToken }))).toBe('UNAUTHENTICATED');
    expect(await meCode(laptop.accessToken)).toBeUndefined();
    const again = await h.gql(`mutation ($id: ID!) { endSession(id: $id) }`, { id: phoneSession.id }, { token: laptop.accessToken });
    expect(IdentityHarness.code(again)).toBe('NOT_FOUND');
    expect((await h.activity(NURLAN.id)).map((a) => a.action)).toContain('SESSION_ENDED');
  });

  test('endOtherSessions ends all but the current one and says how many', async () => {
    const others = [await h.loginOk(STEPPE.msisdn, DEMO_PASSWORD), await h.loginOk(STEPPE.msisdn, DEMO_PASSWORD, 'MOBILE_APP')];
    const mine = await h.loginOk(STEPPE.msisdn, DEMO_PASSWORD);
    const before = (await h.gql(ME, {}, { token: mine.accessToken })).data.me.sessions.length;
    const result = await h.gql(`mutation { endOtherSessions }`, {}, { token: mine.accessToken });
    expect(result.data.endOtherSessions).toBe(before - 1);
    for (const other of others) expect(await meCode(other.accessToken)).toBe('UNAUTHENTICATED');
    const after = (await h.gql(ME, {}, { token: mine.accessToken })).data.me.sessions;
    expect(after).toHaveLength(1);
    expect(after[0].current).toBe(true);
  });

  test('changePassword: checks the current password and the new one; ends the other sessions; the old password stops working', async () => {
    const other = await h.loginOk(STEPPE.msisdn, DEMO_PASSWORD, 'MOBILE_APP');
    const mine = await h.loginOk(STEPPE.msisdn, DEMO_PASSWORD);
    const CHANGE = `mutation ($c: String!, $n: String!) { changePassword(currentPassword: $c, newPassword: $n) }`;
    const wrong = await h.gql(CHANGE, { c: 'not-my-password-1', n: 'New-password-2026' }, { token: mine.accessToken });
    expect(IdentityHarness.code(wrong)).toBe('INVALID_CREDENTIALS');
    expect(wrong.errors?.[0]?.extensions?.field).toBe('currentPassword');
    const weak = await h.gql(CHANGE, { c: DEMO_PASSWORD, n: 'short' }, { token: mine.accessToken });
    expect(IdentityHarness.code(weak)).toBe('BAD_USER_INPUT');
    expect(weak.errors?.[0]?.extensions?.field).toBe('newPassword');

    expect((await h.gql(CHANGE, { c: DEMO_PASSWORD, n: 'New-password-2026' }, { token: mine.accessToken })).data).toEqual({ changePassword: true });
    expect(await meCode(other.accessToken)).toBe('UNAUTHENTICATED');
    expect(await meCode(mine.accessToken)).toBeUndefined();
    expect(IdentityHarness.code(await h.login(STEPPE.msisdn, DEMO_PASSWORD))).toBe('INVALID_CREDENTIALS');
    await h.loginOk(STEPPE.msisdn, 'New-password-2026');
    expect((await h.activity(STEPPE.id)).map((a) => a.action)).toContain('PASSWORD_CHANGED');
  });
});

describe('subscriber(msisdn) and the owner-only sessions field (terms 2.5, 4.3)', () => {
  const QUERY = `query ($m: PhoneNumber!) { subscriber(msisdn: $m) { id msisdn } }`;

  test('own number: yes; another number, known or not: FORBIDDEN (no enumeration); a managed number: yes, but not its sessions', async () => {
    const nurlan = await h.loginOk(NURLAN.msisdn, DEMO_PASSWORD);
    expect((await h.gql(QUERY, { m: '8 707 111 22 33' }, { token: nurlan.accessToken })).data.subscriber.id).toBe(NURLAN.id);
    const known = await h.gql(QUERY, { m: AIGERIM.msisdn }, { token: nurlan.accessToken });
    const unknown = await h.gql(QUERY, { m: '+77019998877' }, { token: nurlan.accessToken });
    expect(IdentityHarness.code(known)).toBe('FORBIDDEN');
    expect(IdentityHarness.code(unknown)).toBe('FORBIDDEN');
    expect(known.errors?.[0]?.message).toBe(unknown.errors?.[0]?.message);

    const grant = await h.grant(NURLAN.id, AIGERIM.id, AIGERIM.msisdn); // delegation answers: Nurlan manages Aigerim's number (terms 4.3)
    const managed = await h.gql(`query ($m: PhoneNumber!) { subscriber(msisdn: $m) { id msisdn } }`, { m: AIGERIM.msisdn }, { token: nurlan.accessToken });
    expect(managed.data.subscriber).toEqual({ id: AIGERIM.id, msisdn: AIGERIM.msisdn });
    const sessions = await h.gql(`query ($m: PhoneNumber!) { subscriber(msisdn: $m) { id sessions { id } } }`, { m: AIGERIM.msisdn }, { token: nurlan.accessToken });
    expect(IdentityHarness.code(sessions)).toBe('FORBIDDEN');
    expect(sessions.errors?.[0]?.path).toEqual(['subscriber', 'sessions']);
    await grant.end();
  });

  test('without a token: UNAUTHENTICATED', async () => {
    expect(IdentityHarness.code(await h.gql(QUERY, { m: AIGERIM.msisdn }))).toBe('UNAUTHENTICATED');
  });
});
