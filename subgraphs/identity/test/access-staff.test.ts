import { DEMO_PASSWORD } from '@selfcare/shared';
import { suiteFixture } from '@selfcare/shared/testing';
import { AIGERIM, HOME, NURLAN, STEPPE, UNREGISTERED } from './support/identity';
import { IdentityHarness } from './support/identity-harness';

/**
 * Access status (terms 3.3, 2.8, 2.12) and the operator's staff API (terms 3.1.2 office passwords, provisioning, terms 2.4 record).
 */
const h = suiteFixture(() => IdentityHarness.start());


const SET_STATUS = `mutation ($id: ID!, $s: AccessStatus!, $r: AccessReason) { setAccessStatus(subscriberId: $id, status: $s, reason: $r) { id accessStatus accessReason } }`;
const TERMINATE = `mutation ($id: ID!) { terminateContract(subscriberId: $id) { id accessStatus accessReason } }`;
const OFFICE = `mutation ($id: ID!) { issueOfficePassword(subscriberId: $id) { password subscriber { id registered } } }`;
const PROVISION = `mutation ($input: ProvisionSubscriberInput!) { provisionSubscriber(input: $input) { id msisdn login kind partyType language accessStatus registered } }`;
const REFRESH = `mutation ($t: String!) { refreshSession(refreshToken: $t) { accessToken } }`;

let operator: string;
let admin: string;
beforeAll(async () => {
  operator = await h.staffLogin('OPERATOR');
  admin = await h.staffLogin('ADMIN');
});

async function meCode(token: string): Promise<string | undefined> {
  return IdentityHarness.code(await h.gql(`{ me { id } }`, {}, { token }));
}

/** A debt event as billing's contract has it (billingEvents: DebtIncurred / DebtSettled). */
const debt = (subscriberId: string, balanceMinor: number) => ({ subscriberId, accountId: `account-${subscriberId.slice(0, 8)}`, balanceMinor, creditLimitMinor: 0 });

describe('access status (terms 3.3, 2.8, 2.12)', () => {
  test('a suspension cuts off the tokens already issued on the next request, refuses login and refresh; restoring access lets the session refresh', async () => {
    const session = await h.loginOk(NURLAN.msisdn, DEMO_PASSWORD);
    expect(await meCode(session.accessToken)).toBeUndefined();
    const suspended = await h.gql(SET_STATUS, { id: NURLAN.id, s: 'SUSPENDED', r: 'BREACH' }, { token: operator });
    expect(suspended.data.setAccessStatus).toEqual({ id: NURLAN.id, accessStatus: 'SUSPENDED', accessReason: 'BREACH' });
    // Not at token expiry: at once.
    const refused = await h.gql(`{ me { id } }`, {}, { token: session.accessToken });
    expect(IdentityHarness.code(refused)).toBe('ACCESS_SUSPENDED');
    expect(IdentityHarness.code(await h.login(NURLAN.msisdn, DEMO_PASSWORD))).toBe('ACCESS_SUSPENDED');
    expect(IdentityHarness.code(await h.gql(REFRESH, { t: session.refreshToken }))).toBe('ACCESS_SUSPENDED');
    // A wrong password stays INVALID_CREDENTIALS: the status is told only to whoever knows the password.
    expect(IdentityHarness.code(await h.login(NURLAN.msisdn, 'wrong-pass-1'))).toBe('INVALID_CREDENTIALS');

    expect((await h.gql(SET_STATUS, { id: NURLAN.id, s: 'ACTIVE' }, { token: operator })).data.setAccessStatus.accessStatus).toBe('ACTIVE');
    const renewed = await h.gql(REFRESH, { t: session.refreshToken });
    expect(await meCode(renewed.data.refreshSession.accessToken)).toBeUndefined();
    expect(await meCode(session.accessToken)).toBe('ACCESS_SUSPENDED'); // the old token stays cut off
    await h.loginOk(NURLAN.msisdn, DEMO_PASSWORD);

    const events = await h.events('AccessStatusChanged');
    expect(events.filter((e) => e.subscriberId === NURLAN.id).map((e) => [e.previousStatus, e.status, e.reason])).toEqual([
      ['ACTIVE', 'SUSPENDED', 'BREACH'],
      ['SUSPENDED', 'ACTIVE', null],
    ]);
    const record = (await h.activity(NURLAN.id)).filter((a) => a.action === 'ACCESS_STATUS_CHANGED');
    expect(record.map((r) => [r.actor_kind, r.details])).toEqual([
      ['STAFF', 'ACTIVE -> SUSPENDED/BREACH by operator operator'],
      ['STAFF', 'SUSPENDED/BREACH -> ACTIVE by operator operator'],
    ]);
  });

  test('a suspension needs a reason of its kind', async () => {
    for (const r of [null, 'THIRD_PARTY_DATA', 'CONTRACT_ENDED']) {
      const result = await h.gql(SET_STATUS, { id: NURLAN.id, s: 'SUSPENDED', r }, { token: operator });
      expect(IdentityHarness.code(result)).toBe('BAD_USER_INPUT');
      expect(result.errors?.[0]?.extensions?.field).toBe('reason');
    }
    expect(IdentityHarness.code(await h.gql(SET_STATUS, { id: NURLAN.id, s: 'TERMINATED' }, { token: admin }))).toBe('BAD_USER_INPUT');
    const unknownLine = await h.gql(SET_STATUS, { id: '00000000-0000-4000-8000-000000000000', s: 'ACTIVE' }, { token: operator });
    expect(IdentityHarness.code(unknownLine)).toBe('NOT_FOUND');
    expect(unknownLine.errors?.[0]?.extensions?.field).toBe('subscriberId');
  });

  test('unlawful use (terms 2.8) suspends at once; a block for third-party data (terms 2.12) is an ADMIN’s decision and ends every session', async () => {
    const session = await h.loginOk(STEPPE.msisdn, DEMO_PASSWORD);
    const byOperator = await h.gql(SET_STATUS, { id: STEPPE.id, s: 'BLOCKED', r: 'THIRD_PARTY_DATA' }, { token: operator });
    expect(IdentityHarness.code(byOperator)).toBe('FORBIDDEN');
    expect(await meCode(session.accessToken)).toBeUndefined();
    const blocked = await h.gql(SET_STATUS, { id: STEPPE.id, s: 'BLOCKED', r: 'THIRD_PARTY_DATA' }, { token: admin });
    expect(blocked.data.setAccessStatus).toEqual({ id: STEPPE.id, accessStatus: 'BLOCKED', accessReason: 'THIRD_PARTY_DATA' });
    expect(await meCode(session.accessToken)).toBe('ACCESS_BLOCKED');
    expect(IdentityHarness.code(await h.login(STEPPE.msisdn, DEMO_PASSWORD))).toBe('ACCESS_BLOCKED');
    expect(IdentityHarness.code(await h.gql(SET_STATUS, { id: STEPPE.id, s: 'ACTIVE' }, { token: operator }))).toBe('FORBIDDEN');
    await h.gql(SET_STATUS, { id: STEPPE.id, s: 'ACTIVE' }, { token: admin });
    // The block ended the sessions: the old refresh token is dead even though access is back.
    expect(IdentityHarness.code(await h.gql(REFRESH, { t: session.refreshToken }))).toBe('UNAUTHENTICATED');
    const fresh = await h.loginOk(STEPPE.msisdn, DEMO_PASSWORD);
    await h.gql(SET_STATUS, { id: STEPPE.id, s: 'SUSPENDED', r: 'UNLAWFUL_USE' }, { token: operator });
    expect(await meCode(fresh.accessToken)).toBe('ACCESS_SUSPENDED');
    await h.gql(SET_STATUS, { id: STEPPE.id, s: 'ACTIVE' }, { token: operator });
  });

  test('debt (terms 3.3): billing’s DebtIncurred suspends, DebtSettled lifts it automatically; other suspensions are not lifted by a payment', async () => {
    const session = await h.loginOk(AIGERIM.msisdn, DEMO_PASSWORD);
    await h.publish('billing', 'DebtIncurred', debt(AIGERIM.id, -150_000));
    expect((await h.subscriberRow(AIGERIM.id)).access_reason).toBe('DEBT');
    expect(await meCode(session.accessToken)).toBe('ACCESS_SUSPENDED');
    // While the debt is open, restoring access by hand keeps it suspended for the debt.
    expect((await h.gql(SET_STATUS, { id: AIGERIM.id, s: 'ACTIVE' }, { token: operator })).data.setAccessStatus).toMatchObject({ accessStatus: 'SUSPENDED', accessReason: 'DEBT' });
    await h.publish('billing', 'BalanceChanged', { subscriberId: AIGERIM.id }); // not ours: ignored
    await h.publish('billing', 'DebtSettled', debt(AIGERIM.id, 0));
    expect((await h.subscriberRow(AIGERIM.id)).access_status).toBe('ACTIVE');
    const renewed = await h.gql(REFRESH, { t: session.refreshToken });
    expect(await meCode(renewed.data.refreshSession.accessToken)).toBeUndefined();
    const record = (await h.activity(AIGERIM.id)).filter((a) => a.action === 'ACCESS_STATUS_CHANGED');
    expect(record.slice(-2).map((r) => [r.actor_kind, r.details])).toEqual([
      ['SYSTEM', 'ACTIVE -> SUSPENDED/DEBT'],
      ['SYSTEM', 'SUSPENDED/DEBT -> ACTIVE'],
    ]);

    await h.gql(SET_STATUS, { id: AIGERIM.id, s: 'SUSPENDED', r: 'BREACH' }, { token: operator });
    await h.publish('billing', 'DebtIncurred', debt(AIGERIM.id, -150_000));
    await h.publish('billing', 'DebtSettled', debt(AIGERIM.id, 0));
    expect((await h.subscriberRow(AIGERIM.id)).access_reason).toBe('BREACH');
    await h.gql(SET_STATUS, { id: AIGERIM.id, s: 'ACTIVE' }, { token: operator });
    expect((await h.subscriberRow(AIGERIM.id)).access_status).toBe('ACTIVE');
    // A redelivered event is applied once (the consumer's inbox).
    await h.platform.bus.publish('billing', [{ stream: 'billing', id: 1, type: 'DebtIncurred', payload: debt(AIGERIM.id, -150_000), occurredAt: new Date().toISOString() }]);
    expect((await h.subscriberRow(AIGERIM.id)).access_status).toBe('ACTIVE');
  });

  test('debt events out of billing’s contract (no account, no credit limit) are skipped, and the stream goes on', async () => {
    await h.publish('billing', 'DebtIncurred', { subscriberId: STEPPE.id, balanceMinor: -150_000 });
    await h.publish('billing', 'DebtIncurred', { ...debt(STEPPE.id, -150_000), balanceMinor: 1.5 });
    expect((await h.subscriberRow(STEPPE.id)).access_status).toBe('ACTIVE');
    await h.publish('billing', 'DebtIncurred', debt(STEPPE.id, -150_000));
    expect((await h.subscriberRow(STEPPE.id)).access_reason).toBe('DEBT');
    await h.publish('billing', 'DebtSettled', debt(STEPPE.id, 0));
    expect((await h.subscriberRow(STEPPE.id)).access_status).toBe('ACTIVE');
  });

  test('terminating the contract (ADMIN) ends access for good: tokens, sessions, login; nothing brings it back', async () => {
    const msisdn = '+77015551111';
    const line = (await h.gql(PROVISION, { input: { kind: 'MOBILE', partyType: 'INDIVIDUAL', msisdn, language: 'RU', tariffCode: 'BEELINE_S' } }, { token: operator })).data.provisionSubscriber;
    const office = (await h.gql(OFFICE, { id: line.id }, { token: operator })).data.issueOfficePassword.password;
    const session = await h.loginOk(msisdn, office);
    expect(IdentityHarness.code(await h.gql(TERMINATE, { id: line.id }, { token: operator }))).toBe('FORBIDDEN');
    const ended = await h.gql(TERMINATE, { id: line.id }, { token: admin });
    expect(ended.data.terminateContract).toEqual({ id: line.id, accessStatus: 'TERMINATED', accessReason: 'CONTRACT_ENDED' });
    expect(await meCode(session.accessToken)).toBe('ACCESS_TERMINATED');
    expect(IdentityHarness.code(await h.login(msisdn, office))).toBe('ACCESS_TERMINATED');
    expect(IdentityHarness.code(await h.gql(REFRESH, { t: session.refreshToken }))).toBe('UNAUTHENTICATED');
    expect(IdentityHarness.code(await h.gql(SET_STATUS, { id: line.id, s: 'ACTIVE' }, { token: admin }))).toBe('CONFLICT');
    expect(IdentityHarness.code(await h.gql(OFFICE, { id: line.id }, { token: operator }))).toBe('ACCESS_TERMINATED');
    expect((await h.subscriberRow(line.id)).contract_ended_at).toBeTruthy();
    // The owner asking for a password learns by SMS that the contract ended; the API answers as always.
    const count = h.sms(msisdn).length;
    expect((await h.gql(`mutation { requestPassword(msisdn: "${msisdn}") }`)).data).toEqual({ requestPassword: true });
    await h.waitForSms(msisdn, /Договор расторгнут/, count);
  });
});

describe('staff API: roles and guards', () => {
  test('staff login: wrong password or unknown staff login is INVALID_CREDENTIALS; the token carries act=staff and the role', async () => {
    const wrong = await h.gql(`mutation { staffLogin(login: "operator", password: "nope") { accessToken } }`);
    const unknown = await h.gql(`mutation { staffLogin(login: "ghost", password: "nope") { accessToken } }`);
    expect(IdentityHarness.code(wrong)).toBe('INVALID_CREDENTIALS');
    expect(unknown.errors).toEqual(wrong.errors);
    const claims = JSON.parse(Buffer.from(admin.split('.')[1]!, 'base64url').toString());
    expect(claims).toMatchObject({ act: 'staff', role: 'ADMIN', typ: 'access' });
    expect((await h.gql(`{ currentStaff { login role } }`, {}, { token: admin })).data.currentStaff).toEqual({ login: 'admin', role: 'ADMIN' });
    // A subscriber login does not work for staff and the other way round.
    expect(IdentityHarness.code(await h.gql(`mutation { staffLogin(login: "${NURLAN.msisdn}", password: "${DEMO_PASSWORD}") { accessToken } }`))).toBe('INVALID_CREDENTIALS');
    expect(IdentityHarness.code(await h.login('operator', 'Operator-pass-1'))).toBe('INVALID_CREDENTIALS');
  });

  test('a subscriber token can never call a staff operation; a staff token is no subscriber', async () => {
    const subscriber = (await h.loginOk(NURLAN.msisdn, DEMO_PASSWORD)).accessToken;
    const staffOps: [string, Record<string, unknown>][] = [
      [SET_STATUS, { id: NURLAN.id, s: 'ACTIVE' }],
      [TERMINATE, { id: NURLAN.id }],
      [OFFICE, { id: NURLAN.id }],
      [PROVISION, { input: { kind: 'MOBILE', partyType: 'INDIVIDUAL', msisdn: '+77015552222', language: 'RU', tariffCode: 'BEELINE_S' } }],
      [`{ currentStaff { id } }`, {}],
      [`{ staffSubscriber(login: "${NURLAN.msisdn}") { id } }`, {}],
    ];
    for (const [query, variables] of staffOps) {
      expect(IdentityHarness.code(await h.gql(query, variables, { token: subscriber }))).toBe('FORBIDDEN');
      expect(IdentityHarness.code(await h.gql(query, variables))).toBe('UNAUTHENTICATED');
    }
    expect((await h.gql(`{ me { id } }`, {}, { token: operator })).data).toEqual({ me: null });
    expect(IdentityHarness.code(await h.gql(`mutation { endOtherSessions }`, {}, { token: operator }))).toBe('FORBIDDEN');
    expect(IdentityHarness.code(await h.gql(`{ subscriber(msisdn: "${NURLAN.msisdn}") { id } }`, {}, { token: operator }))).toBe('FORBIDDEN');
    expect(await h.gql(`{ staffSubscriber(login: "8 707 111 22 33") { id } }`, {}, { token: operator })).toMatchObject({ data: { staffSubscriber: { id: NURLAN.id } } });
  });

  test('staff logout ends the staff session', async () => {
    const token = await h.staffLogin('OPERATOR');
    expect((await h.gql(`mutation { logout }`, {}, { token })).data).toEqual({ logout: true });
    expect(IdentityHarness.code(await h.gql(`{ currentStaff { id } }`, {}, { token }))).toBe('UNAUTHENTICATED');
  });
});

describe('provisioning (staff)', () => {
  test('a MOBILE line and a HOME_INTERNET contract; SubscriberProvisioned goes to catalog and billing; recorded with the staff member', async () => {
    const mobile = await h.gql(PROVISION, { input: { kind: 'MOBILE', partyType: 'LEGAL_ENTITY', msisdn: '8 701 555 33 33', language: 'KK', tariffCode: 'BUSINESS_PRO' } }, { token: operator });
    expect(mobile.data.provisionSubscriber).toMatchObject({ msisdn: '+77015553333', login: '+77015553333', kind: 'MOBILE', partyType: 'LEGAL_ENTITY', language: 'KK', accessStatus: 'ACTIVE', registered: false });
    const home = await h.gql(PROVISION, { input: { kind: 'HOME_INTERNET', partyType: 'INDIVIDUAL', accountNumber: '2000777888', language: 'RU', tariffCode: 'HOME_100' } }, { token: operator });
    expect(home.data.provisionSubscriber).toMatchObject({ msisdn: null, login: '2000777888', kind: 'HOME_INTERNET' });
    const events = await h.events('SubscriberProvisioned');
    expect(events.slice(-2)).toEqual([
      { subscriberId: mobile.data.provisionSubscriber.id, kind: 'MOBILE', partyType: 'LEGAL_ENTITY', msisdn: '+77015553333', login: '+77015553333', language: 'KK', tariffCode: 'BUSINESS_PRO' },
      { subscriberId: home.data.provisionSubscriber.id, kind: 'HOME_INTERNET', partyType: 'INDIVIDUAL', msisdn: null, login: '2000777888', language: 'RU', tariffCode: 'HOME_100' },
    ]);
    const record = await h.activity(home.data.provisionSubscriber.id);
    expect(record).toEqual([expect.objectContaining({ action: 'SUBSCRIBER_PROVISIONED', actor_kind: 'STAFF', details: 'HOME_INTERNET INDIVIDUAL, tariff HOME_100 by operator operator' })]);
    // The new MOBILE subscriber registers by SMS (terms 3.1.1).
    await h.gql(`mutation { requestPassword(msisdn: "+77015553333") }`, {}, { headers: { 'x-client-address': '10.9.9.9' } });
    const [text, password] = await h.waitForSms('+77015553333', /: ([A-Za-z0-9]{10})\./);
    expect(text).toMatch(/^Beeline жеке кабинетіне/);
    expect((await h.loginOk('+77015553333', password!)).subscriber.registered).toBe(true);
  });

  test('bad provisioning input: BAD_USER_INPUT naming the field; a taken number: CONFLICT', async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ kind: 'MOBILE', partyType: 'INDIVIDUAL', language: 'RU', tariffCode: 'BEELINE_S' }, 'msisdn'],
      [{ kind: 'HOME_INTERNET', partyType: 'INDIVIDUAL', msisdn: '+77015554444', accountNumber: '2000777999', language: 'RU', tariffCode: 'HOME_100' }, 'msisdn'],
      [{ kind: 'HOME_INTERNET', partyType: 'INDIVIDUAL', accountNumber: 'abc', language: 'RU', tariffCode: 'HOME_100' }, 'accountNumber'],
      // Reads as the mobile number +77051234567 at login: that contract could never log in (terms 1 "Login").
      [{ kind: 'HOME_INTERNET', partyType: 'INDIVIDUAL', accountNumber: '87051234567', language: 'RU', tariffCode: 'HOME_100' }, 'accountNumber'],
      [{ kind: 'MOBILE', partyType: 'INDIVIDUAL', msisdn: '+77015554444', language: 'RU', tariffCode: 'lower case' }, 'tariffCode'],
      [{ kind: 'MOBILE', partyType: 'INDIVIDUAL', msisdn: '+79161234567', language: 'RU', tariffCode: 'BEELINE_S' }, 'input'],
    ];
    for (const [input, field] of cases) {
      const result = await h.gql(PROVISION, { input }, { token: operator });
      expect(IdentityHarness.code(result)).toBe('BAD_USER_INPUT');
      expect(result.errors?.[0]?.extensions?.field).toBe(field);
    }
    const taken = await h.gql(PROVISION, { input: { kind: 'MOBILE', partyType: 'INDIVIDUAL', msisdn: AIGERIM.msisdn, language: 'RU', tariffCode: 'BEELINE_S' } }, { token: operator });
    expect(IdentityHarness.code(taken)).toBe('CONFLICT');
    const takenHome = await h.gql(PROVISION, { input: { kind: 'HOME_INTERNET', partyType: 'INDIVIDUAL', accountNumber: HOME.login, language: 'RU', tariffCode: 'HOME_100' } }, { token: operator });
    expect(IdentityHarness.code(takenHome)).toBe('CONFLICT');
  });
});

describe('office password (terms 3.1.2)', () => {
  test('shown once, stored only hashed; it replaces the password, ends the sessions, tells the owner by SMS; its first use registers', async () => {
    const before = h.sms(UNREGISTERED.msisdn).length;
    const issued = await h.gql(OFFICE, { id: UNREGISTERED.id }, { token: operator });
    const password = issued.data.issueOfficePassword.password;
    expect(password).toMatch(/^[A-Za-z0-9]{10}$/);
    const row = await h.subscriberRow(UNREGISTERED.id);
    expect(JSON.stringify(row)).not.toContain(password);
    await h.waitForSms(UNREGISTERED.msisdn, /В офисе Beeline выдан новый пароль/, before);
    expect(h.sms(UNREGISTERED.msisdn).some((m) => m.text.includes(password))).toBe(false);
    const first = await h.loginOk(UNREGISTERED.msisdn, password);
    expect(first.subscriber.registered).toBe(true);
    // A second office password ends that session and replaces the first password.
    const second = (await h.gql(OFFICE, { id: UNREGISTERED.id }, { token: operator })).data.issueOfficePassword.password;
    expect(await meCode(first.accessToken)).toBe('UNAUTHENTICATED');
    expect(IdentityHarness.code(await h.login(UNREGISTERED.msisdn, password))).toBe('INVALID_CREDENTIALS');
    await h.loginOk(UNREGISTERED.msisdn, second);
    const actions = (await h.activity(UNREGISTERED.id)).filter((a) => a.action === 'OFFICE_PASSWORD_ISSUED');
    expect(actions).toHaveLength(2);
    expect(actions[0]).toMatchObject({ actor_kind: 'STAFF', details: expect.stringContaining('by operator operator') });
    expect(actions.every((a) => !(a.details ?? '').includes(password))).toBe(true);
  });

  test('the home-internet subscriber gets one too (no SMS: no number)', async () => {
    const issued = await h.gql(OFFICE, { id: HOME.id }, { token: operator });
    await h.loginOk(HOME.login, issued.data.issueOfficePassword.password);
  });
});
