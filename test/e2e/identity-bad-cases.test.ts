import { DEMO_PASSWORD } from '@selfcare/shared';
import { SteerableClock } from '@selfcare/shared/testing';
import { DEMO_STAFF_ACCOUNTS } from '@selfcare/identity';
import { ManagementStatus, ManagementRequestEntity } from '../../subgraphs/delegation/src/management/entities';
import { grantManagement } from '../../subgraphs/delegation/test/support/grants';
import { GraphQLResponse, TestSystem, passwordIn } from '../support/system';

/**
 * The identity bad cases through the gateway, as a client (or an attacker with a cabinet of their own) meets them:
 * locked out and rate-limited (terms 3.1.1), an expired SMS password, another subscriber's sessions and notices and
 * personal data (terms 2.5, 4.1, 4.3), the office password (terms 3.1.2) and the operator's API refusing a subscriber token.
 * One system with a steerable clock, so lock-outs and expiries are reached without waiting.
 */
const clock = new SteerableClock();
let t: TestSystem;
beforeAll(async () => {
  t = await TestSystem.start({ clock });
}, 120_000);
afterAll(async () => {
  await t?.stop();
});

const AIGERIM = { id: '5f1c2a8e-0001-4a6b-9c1d-000000000001', msisdn: '+77051234567', email: 'aigerim@example.kz' };
const NURLAN = { id: '5f1c2a8e-0002-4a6b-9c1d-000000000002', msisdn: '+77071112233' };
const STEPPE = { id: '5f1c2a8e-0003-4a6b-9c1d-000000000003', msisdn: '+77772223344' };
const UNREGISTERED = { id: '5f1c2a8e-0004-4a6b-9c1d-000000000004', msisdn: '+77475556677' };
const HOME = { login: '1000245678' };

const LOGIN = `mutation ($l: String!, $p: String!, $c: Channel!, $d: DeviceInput) { login(login: $l, password: $p, channel: $c, device: $d) { accessToken refreshToken } }`;
const REQUEST_PASSWORD = `mutation ($m: PhoneNumber!) { requestPassword(msisdn: $m) }`;
const REFRESH = `mutation ($t: String!) { refreshSession(refreshToken: $t) { accessToken } }`;
const code = (response: GraphQLResponse) => TestSystem.code(response);
const errorShape = (response: GraphQLResponse) => response.errors?.map((e) => [e.message, e.extensions?.code]);
const meCode = async (token: string) => code(await t.graphql(`{ me { id } }`, {}, { token }));

async function staffToken(role: 'OPERATOR' | 'ADMIN'): Promise<string> {
  const account = DEMO_STAFF_ACCOUNTS.find((a) => a.role === role)!;
  const result = await t.graphql(`mutation ($l: String!, $p: String!) { staffLogin(login: $l, password: $p) { accessToken } }`, { l: account.login, p: account.password });
  if (!result.data?.staffLogin) throw new Error(JSON.stringify(result.errors));
  return result.data.staffLogin.accessToken;
}

describe('locked out and rate-limited (terms 3.1.1), without telling whether the login exists', () => {
  test('five wrong passwords lock a login, existing or not, with the same answer; the right password waits too; the lock ends by itself', async () => {
    for (let attempt = 0; attempt < 5; attempt += 1) {
      for (const login of [HOME.login, '+77019990011']) {
        expect(code(await t.graphql(LOGIN, { l: login, p: 'wrong-pass-1', c: 'WEB' }))).toBe('INVALID_CREDENTIALS');
      }
    }
    const real = await t.graphql(LOGIN, { l: HOME.login, p: DEMO_PASSWORD, c: 'WEB' });
    const nobody = await t.graphql(LOGIN, { l: '8 701 999 00 11', p: 'wrong-pass-1', c: 'WEB' }); // the same login in another form
    expect(code(real)).toBe('RATE_LIMITED');
    expect(real.errors?.[0]?.extensions?.retryAfterSeconds).toBeGreaterThan(14 * 60);
    expect(errorShape(nobody)).toEqual(errorShape(real));

    clock.advance(15 * 60_000 + 1_000);
    expect((await t.graphql(LOGIN, { l: HOME.login, p: DEMO_PASSWORD, c: 'WEB' })).data?.login.accessToken).toEqual(expect.any(String));
  });

  test('requestPassword: a second request within the minute is RATE_LIMITED for a subscriber’s number and a stranger’s alike; an unused SMS password expires; a new one replaces it', async () => {
    const before = (await t.sms(UNREGISTERED.msisdn)).length;
    expect((await t.graphql(REQUEST_PASSWORD, { m: UNREGISTERED.msisdn })).data).toEqual({ requestPassword: true });
    const first = passwordIn((await t.waitForSms(UNREGISTERED.msisdn, /:/, 10_000, before)).text);
    expect((await t.graphql(REQUEST_PASSWORD, { m: '+77019990022' })).data).toEqual({ requestPassword: true });

    const again = await t.graphql(REQUEST_PASSWORD, { m: '8 747 555 66 77' }); // the same number, another accepted form
    const strangerAgain = await t.graphql(REQUEST_PASSWORD, { m: '+77019990022' });
    expect(code(again)).toBe('RATE_LIMITED');
    expect(again.errors?.[0]?.extensions?.retryAfterSeconds).toBeGreaterThan(0);
    expect(errorShape(strangerAgain)).toEqual(errorShape(again));
    expect(code(await t.graphql(REQUEST_PASSWORD, { m: '+7 999 123 45 67' }))).toBe('BAD_USER_INPUT');

    // terms 3.1.1: the password by SMS is for a first login soon after; a day later it no longer works.
    clock.advance(25 * 3600_000);
    expect(code(await t.graphql(LOGIN, { l: UNREGISTERED.msisdn, p: first, c: 'MOBILE_APP' }))).toBe('INVALID_CREDENTIALS');
    const sent = (await t.sms(UNREGISTERED.msisdn)).length;
    expect((await t.graphql(REQUEST_PASSWORD, { m: UNREGISTERED.msisdn })).data).toEqual({ requestPassword: true });
    const second = passwordIn((await t.waitForSms(UNREGISTERED.msisdn, /:/, 10_000, sent)).text);
    expect(second).not.toBe(first);
    const tokens = await t.login(UNREGISTERED.msisdn, second, 'MOBILE_APP');
    expect((await t.graphql(`{ me { registered } }`, {}, { token: tokens.accessToken })).data).toEqual({ me: { registered: true } });
  });
});

describe('expired tokens', () => {
  test('an access token past its lifetime is UNAUTHENTICATED at the gateway; refreshing gives a working one', async () => {
    const now = clock.now();
    // Issued an hour before the real time (the lifetime is checked against it too): the 15-minute token has run out.
    clock.set(new Date(Math.min(now.getTime(), Date.now()) - 3600_000));
    const old = await t.login(HOME.login, DEMO_PASSWORD);
    clock.set(now);
    const refused = await t.graphql(`{ me { id } }`, {}, { token: old.accessToken });
    expect(code(refused)).toBe('UNAUTHENTICATED');
    expect(refused.errors?.[0]?.extensions?.reason).toBe('token expired');
    const renewed = await t.graphql(REFRESH, { t: old.refreshToken });
    expect(await meCode(renewed.data!.refreshSession.accessToken)).toBeUndefined();
  });
});

describe('somebody else’s number (terms 2.5): a stranger, and a manager who may do what the owner can but the owner’s sessions (terms 4.3, 4.1)', () => {
  test('a stranger gets nothing of the owner: number query, notices, session, personal data of a request’s owner', async () => {
    const delegation = t.system.subgraphs.delegation;
    // Steppe manages Aigerim's number (terms 5.6.7 done); Nurlan has only asked to (terms 5.6.2), Aigerim has not confirmed.
    await grantManagement(delegation, STEPPE.id, AIGERIM.id, AIGERIM.msisdn, STEPPE.msisdn);
    const asked = await grantManagement(delegation, NURLAN.id, AIGERIM.id, AIGERIM.msisdn, NURLAN.msisdn);
    await delegation.runtime.database.manager.update(ManagementRequestEntity, { id: asked.id }, { status: ManagementStatus.AWAITING_CONFIRMATION, activatedAt: null, confirmedAt: null });

    const aigerim = await t.login(AIGERIM.msisdn, DEMO_PASSWORD, 'MOBILE_APP');
    const nurlan = await t.login(NURLAN.msisdn, DEMO_PASSWORD);
    const steppe = await t.login(STEPPE.msisdn, DEMO_PASSWORD);
    const own = await t.graphql(`{ me { sessions { id current } notifications(first: 5) { edges { node { id read } } } } }`, {}, { token: aigerim.accessToken });
    const aigerimSession = own.data!.me.sessions.find((s: { current: boolean }) => s.current).id as string;
    const notice = own.data!.me.notifications.edges[0].node as { id: string; read: boolean };
    expect(notice.read).toBe(false);

    // A known number and an unknown one answer alike (no enumeration).
    const SUBSCRIBER = `query ($m: PhoneNumber!) { subscriber(msisdn: $m) { id } }`;
    const known = await t.graphql(SUBSCRIBER, { m: AIGERIM.msisdn }, { token: nurlan.accessToken });
    expect(code(known)).toBe('FORBIDDEN');
    expect(errorShape(await t.graphql(SUBSCRIBER, { m: '+77019990033' }, { token: nurlan.accessToken }))).toEqual(errorShape(known));

    // Her notice and her session are as good as unknown to him, and stay as they were.
    const read = await t.graphql(`mutation ($id: ID!) { markNotificationRead(id: $id) { read } }`, { id: notice.id }, { token: nurlan.accessToken });
    expect(code(read)).toBe('NOT_FOUND');
    expect(read.errors?.[0]?.extensions?.field).toBe('id');
    const ended = await t.graphql(`mutation ($id: ID!) { endSession(id: $id) }`, { id: aigerimSession }, { token: nurlan.accessToken });
    expect(code(ended)).toBe('NOT_FOUND');
    expect(ended.errors?.[0]?.extensions?.field).toBe('id');
    expect(await meCode(aigerim.accessToken)).toBeUndefined();
    const after = await t.graphql(`{ me { notifications(first: 5) { edges { node { id read } } } } }`, {}, { token: aigerim.accessToken });
    expect(after.data!.me.notifications.edges[0].node).toEqual({ id: notice.id, read: false });

    // The owner of the number he asked to manage: her number, which he typed, but not her e-mail or access status.
    const outgoing = await t.graphql(`{ outgoingManagementRequests { status owner { id msisdn email accessReason } } }`, {}, { token: nurlan.accessToken });
    expect(outgoing.errors).toBeUndefined();
    expect(outgoing.data!.outgoingManagementRequests).toEqual([
      { status: 'AWAITING_CONFIRMATION', owner: { id: AIGERIM.id, msisdn: AIGERIM.msisdn, email: null, accessReason: null } },
    ]);
    const status = await t.graphql(`{ outgoingManagementRequests { owner { accessStatus language } } }`, {}, { token: nurlan.accessToken });
    expect(code(status)).toBe('FORBIDDEN');

    // The manager sees what the owner sees (terms 4.3), her e-mail included — but not where she is logged in (terms 4.1).
    const managed = await t.graphql(`{ me { managedNumbers { id email accessStatus } } }`, {}, { token: steppe.accessToken });
    expect(managed.data!.me.managedNumbers).toEqual([{ id: AIGERIM.id, email: AIGERIM.email, accessStatus: 'ACTIVE' }]);
    const viaNumber = await t.graphql(`query ($m: PhoneNumber!) { subscriber(msisdn: $m) { consents { purpose } } }`, { m: AIGERIM.msisdn }, { token: steppe.accessToken });
    expect(viaNumber.data!.subscriber.consents.length).toBeGreaterThan(0);
    const sessions = await t.graphql(`query ($m: PhoneNumber!) { subscriber(msisdn: $m) { sessions { id } } }`, { m: AIGERIM.msisdn }, { token: steppe.accessToken });
    expect(code(sessions)).toBe('FORBIDDEN');
    expect(code(await t.graphql(`mutation ($id: ID!) { endSession(id: $id) }`, { id: aigerimSession }, { token: steppe.accessToken }))).toBe('NOT_FOUND');
    expect(await meCode(aigerim.accessToken)).toBeUndefined();
  });
});

describe('the operator’s API (terms 3.1.2, 3.3): wrong role, unknown line, office password', () => {
  test('a subscriber token is FORBIDDEN; an unknown line is NOT_FOUND naming the argument; the office password is shown once, replaces the password and ends the sessions', async () => {
    const OFFICE = `mutation ($id: ID!) { issueOfficePassword(subscriberId: $id) { password subscriber { id } } }`;
    const before = await t.login(STEPPE.msisdn, DEMO_PASSWORD, 'MOBILE_APP');
    expect(code(await t.graphql(OFFICE, { id: STEPPE.id }, { token: before.accessToken }))).toBe('FORBIDDEN');
    const operator = await staffToken('OPERATOR');
    const unknown = await t.graphql(OFFICE, { id: '00000000-0000-4000-8000-000000000000' }, { token: operator });
    expect(code(unknown)).toBe('NOT_FOUND');
    expect(unknown.errors?.[0]?.extensions?.field).toBe('subscriberId');

    const sms = (await t.sms(STEPPE.msisdn)).length;
    const issued = await t.graphql(OFFICE, { id: STEPPE.id }, { token: operator });
    expect(issued.errors).toBeUndefined();
    const password = issued.data!.issueOfficePassword.password as string;
    expect(password).toMatch(/^[A-Za-z0-9]{10}$/);
    // The old sessions are gone at once, the old password too; the owner is told by SMS (without the password).
    expect(await meCode(before.accessToken)).toBe('UNAUTHENTICATED');
    expect(code(await t.graphql(REFRESH, { t: before.refreshToken }))).toBe('UNAUTHENTICATED');
    expect(code(await t.graphql(LOGIN, { l: STEPPE.msisdn, p: DEMO_PASSWORD, c: 'WEB' }))).toBe('INVALID_CREDENTIALS');
    const { text } = await t.waitForSms(STEPPE.msisdn, /office/, 10_000, sms);
    expect(text).not.toContain(password);
    await t.login(STEPPE.msisdn, password);

    // A contract number that would read as a mobile number at login is refused at provisioning.
    const provision = await t.graphql(
      `mutation ($i: ProvisionSubscriberInput!) { provisionSubscriber(input: $i) { id } }`,
      { i: { kind: 'HOME_INTERNET', partyType: 'INDIVIDUAL', accountNumber: '87059998877', language: 'RU', tariffCode: 'HOME_100' } },
      { token: operator },
    );
    expect(code(provision)).toBe('BAD_USER_INPUT');
    expect(provision.errors?.[0]?.extensions?.field).toBe('accountNumber');
  });
});

describe('sessions and devices (terms 4.1, 3.5): listed, ended one by one or all others, and by a password change', () => {
  test('the owner sees each login with channel and device, ends one (its tokens stop), ends the others, changes the password', async () => {
    const app = await t.graphql(LOGIN, { l: NURLAN.msisdn, p: DEMO_PASSWORD, c: 'MOBILE_APP', d: { platform: 'Android', model: 'Pixel 8', appVersion: '5.3.0' } });
    const phone = app.data!.login as { accessToken: string; refreshToken: string };
    const tablet = await t.login(NURLAN.msisdn, DEMO_PASSWORD, 'MOBILE_APP');
    const laptop = await t.login(NURLAN.msisdn, DEMO_PASSWORD, 'WEB');
    const listed = await t.graphql(`{ me { sessions { id channel device current createdAt lastSeenAt } } }`, {}, { token: laptop.accessToken });
    const sessions = listed.data!.me.sessions as { id: string; channel: string; device: string | null; current: boolean }[];
    const phoneSession = sessions.find((s) => s.device === 'Android · Pixel 8 · My Beeline 5.3.0')!;
    expect(phoneSession).toMatchObject({ channel: 'MOBILE_APP', current: false });
    expect(sessions.filter((s) => s.current)).toEqual([expect.objectContaining({ channel: 'WEB' })]);

    expect((await t.graphql(`mutation ($id: ID!) { endSession(id: $id) }`, { id: phoneSession.id }, { token: laptop.accessToken })).data).toEqual({ endSession: true });
    expect(await meCode(phone.accessToken)).toBe('UNAUTHENTICATED');
    expect(code(await t.graphql(REFRESH, { t: phone.refreshToken }))).toBe('UNAUTHENTICATED');
    expect(await meCode(tablet.accessToken)).toBeUndefined();

    const others = await t.graphql(`mutation { endOtherSessions }`, {}, { token: laptop.accessToken });
    expect(others.data!.endOtherSessions).toBeGreaterThanOrEqual(1);
    expect(await meCode(tablet.accessToken)).toBe('UNAUTHENTICATED');
    expect((await t.graphql(`{ me { sessions { current } } }`, {}, { token: laptop.accessToken })).data!.me.sessions).toEqual([{ current: true }]);

    const CHANGE = `mutation ($c: String!, $n: String!) { changePassword(currentPassword: $c, newPassword: $n) }`;
    const wrong = await t.graphql(CHANGE, { c: 'not-my-password-1', n: 'Nurlan-2027-new' }, { token: laptop.accessToken });
    expect(code(wrong)).toBe('INVALID_CREDENTIALS');
    expect(wrong.errors?.[0]?.extensions?.field).toBe('currentPassword');
    const weak = await t.graphql(CHANGE, { c: DEMO_PASSWORD, n: 'short' }, { token: laptop.accessToken });
    expect(weak.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'newPassword' });
    const second = await t.login(NURLAN.msisdn, DEMO_PASSWORD, 'MOBILE_APP');
    expect((await t.graphql(CHANGE, { c: DEMO_PASSWORD, n: 'Nurlan-2027-new' }, { token: laptop.accessToken })).data).toEqual({ changePassword: true });
    expect(await meCode(second.accessToken)).toBe('UNAUTHENTICATED');
    expect(await meCode(laptop.accessToken)).toBeUndefined();
    expect(code(await t.graphql(LOGIN, { l: NURLAN.msisdn, p: DEMO_PASSWORD, c: 'WEB' }))).toBe('INVALID_CREDENTIALS');
    await t.login(NURLAN.msisdn, 'Nurlan-2027-new');
  });
});
