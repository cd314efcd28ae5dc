import { eventually } from '@selfcare/shared/testing';
import { DEMO_PASSWORD, INTERNAL_TOKEN_HEADER } from '@selfcare/shared';
import { DEMO_STAFF_ACCOUNTS } from '@selfcare/identity';
import { TestSystem } from '../support/system';

/**
 * The identity features through the gateway, as clients and mail clients drive them (all five subgraphs, the dev
 * SMS centre and mail sink): terms 2.8 notices, terms 6.4 one-click unsubscribe on the public URL, terms 2.12 withdrawal of
 * personal-data consent cutting the cabinet off on every subgraph, terms 6.6 terms published and told by SMS (terms 5.1).
 */
let t: TestSystem;
beforeAll(async () => {
  t = await TestSystem.start();
}, 120_000);
afterAll(async () => {
  await t?.stop();
});

const AIGERIM = { id: '5f1c2a8e-0001-4a6b-9c1d-000000000001', msisdn: '+77051234567', email: 'aigerim@example.kz' };
const NURLAN = { id: '5f1c2a8e-0002-4a6b-9c1d-000000000002', msisdn: '+77071112233' };
const STEPPE = { id: '5f1c2a8e-0003-4a6b-9c1d-000000000003', msisdn: '+77772223344', email: 'it@steppe-logistics.kz' };

async function staffToken(role: 'OPERATOR' | 'ADMIN' = 'OPERATOR'): Promise<string> {
  const account = DEMO_STAFF_ACCOUNTS.find((a) => a.role === role)!;
  const result = await t.graphql(`mutation ($l: String!, $p: String!) { staffLogin(login: $l, password: $p) { accessToken } }`, { l: account.login, p: account.password });
  if (!result.data?.staffLogin) throw new Error(JSON.stringify(result.errors));
  return result.data.staffLogin.accessToken;
}


const CONSENTS = `{ me { consents { purpose granted } } }`;
const consentOf = async (token: string, purpose: string) =>
  ((await t.graphql(CONSENTS, {}, { token })).data!.me.consents as { purpose: string; granted: boolean }[]).find((c) => c.purpose === purpose)?.granted;

describe('operator notice and marketing e-mail with a working one-click unsubscribe link (terms 2.8, 6.4)', () => {
  test('the notice reaches the cabinet; the e-mail link on the public URL withdraws MARKETING_EMAIL without a login; a forged one does nothing', async () => {
    const staff = await staffToken();
    const subscriberTry = await t.login(NURLAN.msisdn, DEMO_PASSWORD);
    const refused = await t.graphql(`mutation { broadcastNotice(title: "x", body: "y") { id } }`, {}, { token: subscriberTry.accessToken });
    expect(TestSystem.code(refused)).toBe('FORBIDDEN');

    const queued = await t.graphql(
      `mutation ($t: String!, $b: String!) { broadcastNotice(title: $t, body: $b, kind: MOBILE, byEmail: true) { id status kind } }`,
      { t: 'Beeline Winter offer', b: '20 GB for the price of 10 in December' },
      { token: staff },
    );
    expect(queued.errors).toBeUndefined();
    const done = await eventually(
      () => t.graphql(`query ($id: ID!) { noticeBroadcast(id: $id) { status delivered emailed } }`, { id: queued.data!.broadcastNotice.id }, { token: staff }),
      (r) => r.data?.noticeBroadcast?.status === 'DONE',
    );
    expect(done.data!.noticeBroadcast).toMatchObject({ status: 'DONE', emailed: 2 }); // Aigerim and Steppe: verified, consenting, mobile

    const session = await t.login(AIGERIM.msisdn, DEMO_PASSWORD);
    const notices = await t.graphql(`{ me { notifications(first: 5) { edges { node { title body read } } } } }`, {}, { token: session.accessToken });
    expect(notices.data!.me.notifications.edges.map((e: { node: { title: string } }) => e.node.title)).toContain('Beeline Winter offer');

    const mail = await t.waitForMail(AIGERIM.email, (m) => m.subject === 'Beeline Winter offer');
    expect(mail.headers['list-unsubscribe-post']).toBe('List-Unsubscribe=One-Click');
    const link = /^<(.+)>$/.exec(mail.headers['list-unsubscribe']!)![1]!;
    expect(link.startsWith(`${t.url}/links/unsubscribe?token=`)).toBe(true);
    expect(mail.text).toContain(link);

    // A forged token (Steppe's e-mail's signature on Aigerim's id) is refused.
    const steppeMail = await t.waitForMail(STEPPE.email, (m) => m.subject === 'Beeline Winter offer');
    const steppeToken = new URL(/^<(.+)>$/.exec(steppeMail.headers['list-unsubscribe']!)![1]!).searchParams.get('token')!;
    const aigerimToken = new URL(link).searchParams.get('token')!;
    const forged = `${aigerimToken.split('.')[0]}.${steppeToken.split('.')[1]}`;
    const forgedResponse = await fetch(`${t.url}/links/unsubscribe?token=${encodeURIComponent(forged)}`, { method: 'POST', body: 'List-Unsubscribe=One-Click', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(forgedResponse.status).toBe(400);
    expect(await consentOf(session.accessToken, 'MARKETING_EMAIL')).toBe(true);

    // What a mail client does for RFC 8058 one-click: POST to the link, no cookies, no login.
    const oneClick = await fetch(link, { method: 'POST', body: 'List-Unsubscribe=One-Click', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(oneClick.status).toBe(200);
    expect(await consentOf(session.accessToken, 'MARKETING_EMAIL')).toBe(false);
    const steppe = await t.login(STEPPE.msisdn, DEMO_PASSWORD);
    expect(await consentOf(steppe.accessToken, 'MARKETING_EMAIL')).toBe(true);
  });
});

describe('withdrawing consent to personal-data processing (terms 2.12, 2.11)', () => {
  test('needs confirm; then the cabinet stops on every subgraph at once; logging in again is consent again', async () => {
    const session = await t.login(STEPPE.msisdn, DEMO_PASSWORD, 'MOBILE_APP');
    const unconfirmed = await t.graphql(`mutation { setConsent(purpose: PERSONAL_DATA, granted: false) { granted } }`, {}, { token: session.accessToken });
    expect(TestSystem.code(unconfirmed)).toBe('CONSENT_REQUIRED');

    const before = await t.graphql(`{ me { msisdn tariff { code } account { number } } }`, {}, { token: session.accessToken });
    expect(before.errors).toBeUndefined();
    const withdrawn = await t.graphql(`mutation { setConsent(purpose: PERSONAL_DATA, granted: false, confirm: true) { purpose granted } }`, {}, { token: session.accessToken });
    expect(withdrawn.data).toEqual({ setConsent: { purpose: 'PERSONAL_DATA', granted: false } });

    const after = await t.graphql(`{ me { msisdn tariff { code } account { number } } }`, {}, { token: session.accessToken });
    expect(TestSystem.code(after)).toBe('CONSENT_REQUIRED');
    // Each subgraph refuses the token on its own too (the revocation store is shared), not only the gateway.
    for (const subgraph of ['catalog', 'billing'] as const) {
      const response = await fetch(t.system.subgraphs[subgraph].graphqlUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${session.accessToken}`, [INTERNAL_TOKEN_HEADER]: t.system.platform.internalToken },
        body: JSON.stringify({
          query: `query ($r: [_Any!]!) { _entities(representations: $r) { ... on Subscriber { ${subgraph === 'catalog' ? 'tariff { code }' : 'account { number }'} } } }`,
          variables: { r: [{ __typename: 'Subscriber', id: STEPPE.id }] },
        }),
      });
      const body = (await response.json()) as { errors?: { extensions?: { code?: string } }[] };
      expect(body.errors?.[0]?.extensions?.code).toBe('CONSENT_REQUIRED');
    }
    const refresh = await t.graphql(`mutation ($r: String!) { refreshSession(refreshToken: $r) { accessToken } }`, { r: session.refreshToken });
    expect(refresh.errors).toBeDefined();

    const again = await t.login(STEPPE.msisdn, DEMO_PASSWORD, 'WEB');
    const consents = await t.graphql(`{ me { consents { purpose granted } consentHistory { purpose granted source channel } } }`, {}, { token: again.accessToken });
    expect(consents.errors).toBeUndefined();
    const state = Object.fromEntries((consents.data!.me.consents as { purpose: string; granted: boolean }[]).map((c) => [c.purpose, c.granted]));
    expect(state).toMatchObject({ PERSONAL_DATA: true, MARKETING_EMAIL: false, MARKETING_SMS: false, PARTNER_SHARING: false });
    expect(consents.data!.me.consentHistory.at(-1)).toEqual({ purpose: 'PERSONAL_DATA', granted: true, source: 'LOGIN', channel: 'WEB' });
  });
});

describe('terms of use published by the operator, told per notifyBy, accepted by continued use (terms 6.6, 5.1, 3.5)', () => {
  test('an SMS subscriber gets the SMS; the next login accepts the new version with its channel', async () => {
    const nurlan = await t.login(NURLAN.msisdn, DEMO_PASSWORD);
    expect((await t.graphql(`mutation { setNotifyBy(channels: [SMS, CABINET]) }`, {}, { token: nurlan.accessToken })).data).toEqual({ setNotifyBy: ['CABINET', 'SMS'] });
    const subscriberTry = await t.graphql(`mutation { publishTerms(version: "2027.1", url: "https://beeline.kz/terms/2027.1") { version } }`, {}, { token: nurlan.accessToken });
    expect(TestSystem.code(subscriberTry)).toBe('FORBIDDEN');

    const staff = await staffToken('OPERATOR');
    const published = await t.graphql(`mutation { publishTerms(version: "2027.1", url: "https://beeline.kz/terms/2027.1") { version url } }`, {}, { token: staff });
    expect(published.errors).toBeUndefined();
    expect((await t.graphql(`{ currentTerms { version url } }`)).data).toEqual({ currentTerms: { version: '2027.1', url: 'https://beeline.kz/terms/2027.1' } });

    const { text } = await t.waitForSms(NURLAN.msisdn, /2027\.1/);
    expect(text).toContain('https://beeline.kz/terms/2027.1');
    const notices = await eventually(
      () => t.graphql(`{ me { notifications(first: 3) { edges { node { title } } } } }`, {}, { token: nurlan.accessToken }),
      (r) => (r.data?.me?.notifications?.edges ?? []).length > 0 && r.data!.me.notifications.edges[0].node.title !== 'Beeline Winter offer',
    );
    expect(notices.data!.me.notifications.edges[0].node.title).toBe('Пайдалану шарттары өзгерді'); // Nurlan reads Kazakh

    await t.login(NURLAN.msisdn, DEMO_PASSWORD, 'MOBILE_APP');
    const accepted = await t.graphql(`{ me { termsAcceptances { version method channel } activity(first: 5) { edges { node { action details channel } } } } }`, {}, { token: nurlan.accessToken });
    expect(accepted.data!.me.termsAcceptances[0]).toEqual({ version: '2027.1', method: 'CONTINUED_USE', channel: 'MOBILE_APP' });
    expect(accepted.data!.me.activity.edges.map((e: { node: { action: string } }) => e.node.action)).toContain('TERMS_ACCEPTED');
  });
});
