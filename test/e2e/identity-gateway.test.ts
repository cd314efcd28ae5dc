import { eventually } from '@selfcare/shared/testing';
import { DEMO_PASSWORD, INTERNAL_TOKEN_HEADER, billingEvents } from '@selfcare/shared';
import { AccountEntity } from '@selfcare/billing';
import { DEMO_STAFF_ACCOUNTS } from '@selfcare/identity';
import { TestSystem, passwordIn } from '../support/system';

/**
 * Identity through the gateway, as a client drives it (real HTTP, all five subgraphs, their databases, the event
 * bus, the dev SMS centre and mail sink): terms 3.1.1 registration and e-mail login, the channel rule (terms 1),
 * terms 3.3 / 2.8 / 2.12 access status cutting tokens off on every subgraph, terms 4.1 sessions, and the staff API.
 */
let t: TestSystem;
beforeAll(async () => {
  t = await TestSystem.start();
}, 120_000);
afterAll(async () => {
  await t?.stop();
});

const AIGERIM = { id: '5f1c2a8e-0001-4a6b-9c1d-000000000001', msisdn: '+77051234567' };
const DANIYAR = { id: '5f1c2a8e-0002-4a6b-9c1d-000000000002', msisdn: '+77071112233' };
const operatorAccount = DEMO_STAFF_ACCOUNTS.find((a) => a.role === 'OPERATOR')!;
const adminAccount = DEMO_STAFF_ACCOUNTS.find((a) => a.role === 'ADMIN')!;

async function staffToken(account: { login: string; password: string }): Promise<string> {
  const result = await t.graphql(`mutation ($l: String!, $p: String!) { staffLogin(login: $l, password: $p) { accessToken } }`, { l: account.login, p: account.password });
  if (!result.data?.staffLogin) throw new Error(JSON.stringify(result.errors));
  return result.data.staffLogin.accessToken;
}

/** A request straight to one subgraph, with the token as the gateway would forward it. */
async function direct(subgraph: 'catalog' | 'billing' | 'identity', query: string, variables: Record<string, unknown>, token: string) {
  const response = await fetch(t.system.subgraphs[subgraph].graphqlUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, [INTERNAL_TOKEN_HEADER]: t.system.platform.internalToken },
    body: JSON.stringify({ query, variables }),
  });
  return (await response.json()) as { data?: any; errors?: { extensions?: { code?: string } }[] };
}


const ENTITY_TARIFF = `query ($r: [_Any!]!) { _entities(representations: $r) { ... on Subscriber { tariff { code } } } }`;
const ENTITY_ACCOUNT = `query ($r: [_Any!]!) { _entities(representations: $r) { ... on Subscriber { account { number } } } }`;
const SET_STATUS = `mutation ($id: ID!, $s: AccessStatus!, $r: AccessReason) { setAccessStatus(subscriberId: $id, status: $s, reason: $r) { accessStatus accessReason } }`;
const REFRESH = `mutation ($t: String!) { refreshSession(refreshToken: $t) { accessToken refreshToken } }`;

describe('access status cuts off issued tokens on the next request to every subgraph (terms 3.3, 2.8)', () => {
  test('suspend, and the token already issued is refused by the gateway’s identity, catalog and billing at once; restore, and refresh works', async () => {
    const session = await t.login(DANIYAR.msisdn, DEMO_PASSWORD);
    const before = await t.graphql(`{ me { msisdn tariff { code } account { number } } }`, {}, { token: session.accessToken });
    expect(before.errors).toBeUndefined();
    expect(before.data!.me).toMatchObject({ msisdn: DANIYAR.msisdn, tariff: { code: 'BEELINE_L' }, account: { number: 'KZ-100000002' } });
    const reference = { r: [{ __typename: 'Subscriber', id: DANIYAR.id }] };
    expect((await direct('catalog', ENTITY_TARIFF, reference, session.accessToken)).errors).toBeUndefined();

    const operator = await staffToken(operatorAccount);
    const suspended = await t.graphql(SET_STATUS, { id: DANIYAR.id, s: 'SUSPENDED', r: 'UNLAWFUL_USE' }, { token: operator });
    expect(suspended.data!.setAccessStatus).toEqual({ accessStatus: 'SUSPENDED', accessReason: 'UNLAWFUL_USE' });

    expect(TestSystem.code(await t.graphql(`{ me { id } }`, {}, { token: session.accessToken }))).toBe('ACCESS_SUSPENDED');
    expect((await direct('catalog', ENTITY_TARIFF, reference, session.accessToken)).errors?.[0]?.extensions?.code).toBe('ACCESS_SUSPENDED');
    expect((await direct('billing', ENTITY_ACCOUNT, reference, session.accessToken)).errors?.[0]?.extensions?.code).toBe('ACCESS_SUSPENDED');
    expect(TestSystem.code(await t.graphql(`mutation { login(login: "${DANIYAR.msisdn}", password: "${DEMO_PASSWORD}", channel: WEB) { accessToken } }`))).toBe('ACCESS_SUSPENDED');

    await t.graphql(SET_STATUS, { id: DANIYAR.id, s: 'ACTIVE' }, { token: operator });
    const renewed = await t.graphql(REFRESH, { t: session.refreshToken });
    const again = await t.graphql(`{ me { tariff { code } } }`, {}, { token: renewed.data!.refreshSession.accessToken });
    expect(again.data!.me.tariff.code).toBe('BEELINE_L');
  });

  test('billing’s debt events travel the bus: DebtIncurred suspends (tokens refused), DebtSettled restores access', async () => {
    const session = await t.login(AIGERIM.msisdn, DEMO_PASSWORD);
    const billing = t.system.subgraphs.billing.runtime;
    // Full payloads of billing's contract: identity's consumer skips an event that does not fit it.
    const account = await billing.database.manager.findOneByOrFail(AccountEntity, { subscriberId: AIGERIM.id });
    const debt = (balanceMinor: number) => ({ subscriberId: AIGERIM.id, accountId: account.id, balanceMinor, creditLimitMinor: account.creditLimitMinor });
    // Written to billing's own outbox, as billing's ledger does when a balance crosses the credit limit.
    await billing.database.transaction((manager) => billing.outboxFor(billingEvents).add(manager, 'DebtIncurred', debt(-150_000)));
    const refused = await eventually(() => t.graphql(`{ me { id } }`, {}, { token: session.accessToken }), (r) => TestSystem.code(r) === 'ACCESS_SUSPENDED');
    expect(TestSystem.code(refused)).toBe('ACCESS_SUSPENDED');
    expect(TestSystem.code(await t.graphql(REFRESH, { t: session.refreshToken }))).toBe('ACCESS_SUSPENDED');
    await billing.database.transaction((manager) => billing.outboxFor(billingEvents).add(manager, 'DebtSettled', debt(0)));
    const renewed = await eventually(() => t.graphql(REFRESH, { t: session.refreshToken }), (r) => !r.errors);
    expect(renewed.errors).toBeUndefined();
    expect((await t.graphql(`{ me { accessStatus } }`, {}, { token: renewed.data!.refreshSession.accessToken })).data!.me.accessStatus).toBe('ACTIVE');
  });
});

describe('registration of a newly provisioned line (terms 3.1.1) and the staff API', () => {
  test('operator provisions a line; catalog and billing take it from the event; the subscriber gets a password by SMS and logs in', async () => {
    const operator = await staffToken(operatorAccount);
    const msisdn = '+77015557788';
    const provisioned = await t.graphql(
      `mutation ($input: ProvisionSubscriberInput!) { provisionSubscriber(input: $input) { id msisdn registered } }`,
      { input: { kind: 'MOBILE', partyType: 'INDIVIDUAL', msisdn: '8 701 555 77 88', language: 'EN', tariffCode: 'BEELINE_M' } },
      { token: operator },
    );
    expect(provisioned.data!.provisionSubscriber).toMatchObject({ msisdn, registered: false });
    expect((await t.graphql(`mutation { requestPassword(msisdn: "${msisdn}") }`)).data).toEqual({ requestPassword: true });
    const { text } = await t.waitForSms(msisdn, /password/);
    expect(text).toMatch(/^Your Beeline Personal Cabinet password/);
    const tokens = await t.login(msisdn, passwordIn(text), 'MOBILE_APP');
    const me = await eventually(
      () => t.graphql(`{ me { msisdn registered tariff { code } account { number } } }`, {}, { token: tokens.accessToken }),
      (r) => !r.errors && !!r.data?.me?.tariff,
    );
    expect(me.errors).toBeUndefined();
    expect(me.data!.me).toMatchObject({ msisdn, registered: true, tariff: { code: 'BEELINE_M' } });
  });

  test('wrong role: subscriber tokens never reach staff operations; an operator may not end a contract, an admin may', async () => {
    const subscriber = await t.login(DANIYAR.msisdn, DEMO_PASSWORD);
    const operator = await staffToken(operatorAccount);
    const admin = await staffToken(adminAccount);
    const terminate = `mutation ($id: ID!) { terminateContract(subscriberId: $id) { accessStatus } }`;
    const line = await t.graphql(
      `mutation ($input: ProvisionSubscriberInput!) { provisionSubscriber(input: $input) { id } }`,
      { input: { kind: 'HOME_INTERNET', partyType: 'INDIVIDUAL', accountNumber: '3000111222', language: 'RU', tariffCode: 'HOME_100' } },
      { token: operator },
    );
    const id = line.data!.provisionSubscriber.id;
    expect(TestSystem.code(await t.graphql(terminate, { id }, { token: subscriber.accessToken }))).toBe('FORBIDDEN');
    expect(TestSystem.code(await t.graphql(terminate, { id }, { token: operator }))).toBe('FORBIDDEN');
    expect((await t.graphql(terminate, { id }, { token: admin })).data!.terminateContract.accessStatus).toBe('TERMINATED');
  });
});

describe('login rules through the gateway', () => {
  test('home internet: web yes, the My Beeline app no (terms 1)', async () => {
    await t.login('1000245678', DEMO_PASSWORD, 'WEB');
    const app = await t.graphql(`mutation { login(login: "1000245678", password: "${DEMO_PASSWORD}", channel: MOBILE_APP) { accessToken } }`);
    expect(TestSystem.code(app)).toBe('CHANNEL_NOT_ALLOWED');
  });

  test('refresh rotates; a replayed refresh token ends the session family; logout ends a session', async () => {
    const login = await t.login(AIGERIM.msisdn, DEMO_PASSWORD);
    const rotated = await t.graphql(REFRESH, { t: login.refreshToken });
    expect(rotated.errors).toBeUndefined();
    expect(TestSystem.code(await t.graphql(REFRESH, { t: login.refreshToken }))).toBe('UNAUTHENTICATED');
    expect(TestSystem.code(await t.graphql(`{ me { id } }`, {}, { token: rotated.data!.refreshSession.accessToken }))).toBe('UNAUTHENTICATED');
    const other = await t.login(AIGERIM.msisdn, DEMO_PASSWORD);
    expect((await t.graphql(`mutation { logout }`, {}, { token: other.accessToken })).data).toEqual({ logout: true });
    expect(TestSystem.code(await t.graphql(`{ me { id } }`, {}, { token: other.accessToken }))).toBe('UNAUTHENTICATED');
  });

  test('e-mail login after the verification link, opened on the public host (the gateway forwards /links to identity)', async () => {
    const session = await t.login(DANIYAR.msisdn, DEMO_PASSWORD);
    await t.graphql(`mutation { setEmail(email: "daniyar.e2e@example.kz") { email } }`, {}, { token: session.accessToken });
    expect(TestSystem.code(await t.graphql(`mutation { login(login: "daniyar.e2e@example.kz", password: "${DEMO_PASSWORD}", channel: WEB) { accessToken } }`))).toBe('INVALID_CREDENTIALS');
    const mail = await t.waitForMail('daniyar.e2e@example.kz', () => true);
    const link = /(https?:\/\/\S+\/links\/email\/verify\?token=\S+)/.exec(mail.text)![1]!;
    expect(link.startsWith(t.url)).toBe(true);
    const opened = await fetch(link);
    expect(opened.status).toBe(200);
    expect((await t.login('daniyar.e2e@example.kz', DEMO_PASSWORD)).subscriberId).toBe(DANIYAR.id);
  });

  test('enumeration through the gateway: the same answers for a subscriber’s and a stranger’s number', async () => {
    const known = await t.graphql(`mutation { requestPassword(msisdn: "+77772223344") }`);
    const unknown = await t.graphql(`mutation { requestPassword(msisdn: "+77012345678") }`);
    expect(unknown.data).toEqual(known.data);
    const wrong = await t.graphql(`mutation { login(login: "+77772223344", password: "wrong-pass-1", channel: WEB) { accessToken } }`);
    const nobody = await t.graphql(`mutation { login(login: "+77012345678", password: "wrong-pass-1", channel: WEB) { accessToken } }`);
    expect(nobody.errors?.map((e) => [e.message, e.extensions?.code])).toEqual(wrong.errors?.map((e) => [e.message, e.extensions?.code]));
  });
});
