import { ManualClock, OutboxEventEntity } from '@selfcare/shared';
import { suiteFixture } from '@selfcare/shared/testing';
import { ActivityEntryEntity } from '../src/activity/activity.entities';
import { AshyqRecordEntity, ConsentHistoryEntity } from '../src/consents/consent.entities';
import { SubscriberEntity } from '../src/subscribers/subscriber.entity';
import { AIGERIM, UNREGISTERED } from './support/identity';
import { IdentityHarness } from './support/identity-harness';

const code = IdentityHarness.code;

const CONSENTS = `query { me { id consents { purpose granted changedAt termsVersion } consentHistory { purpose granted channel source termsVersion } } }`;
const SET_CONSENT = `mutation ($p: ConsentPurpose!, $g: Boolean!, $c: Boolean) { setConsent(purpose: $p, granted: $g, confirm: $c) { purpose granted changedAt termsVersion } }`;

describe('consents per purpose with history (terms 2.11-2.14, 6.4)', () => {
  const h = suiteFixture(() => IdentityHarness.start({ clock: new ManualClock(new Date()) }));

  it('registration (first login, terms 3.1.1) records consent to processing and partners (terms 2.11) and to e-mail and SMS offers (terms 6.4), with channel and terms version', async () => {
    await h.gql('mutation ($m: PhoneNumber!) { requestPassword(msisdn: $m) }', { m: UNREGISTERED.msisdn });
    const [, password] = await h.waitForSms(UNREGISTERED.msisdn, /: ([A-Za-z0-9]{10})\./);
    const token = await h.token(UNREGISTERED.msisdn, password!, 'MOBILE_APP');
    const terms = await h.gql<{ currentTerms: { version: string } }>('{ currentTerms { version } }');

    const result = await h.gql(CONSENTS, {}, { token });
    expect(result.errors).toBeUndefined();
    const consents = result.data!.me.consents as { purpose: string; granted: boolean; termsVersion: string }[];
    expect(consents.map((c) => [c.purpose, c.granted])).toEqual([
      ['PERSONAL_DATA', true],
      ['PARTNER_SHARING', true],
      ['MARKETING_EMAIL', true],
      ['MARKETING_SMS', true],
    ]);
    expect(consents.every((c) => c.termsVersion === terms.data!.currentTerms.version)).toBe(true);
    expect(result.data!.me.consentHistory).toEqual(
      expect.arrayContaining([
        { purpose: 'PERSONAL_DATA', granted: true, channel: 'MOBILE_APP', source: 'REGISTRATION', termsVersion: terms.data!.currentTerms.version },
      ]),
    );
  });

  it('withdraws and grants a marketing consent: current state, history row (who, when, channel), activity entry and a ConsentChanged event (terms 2.12)', async () => {
    const token = await h.token(AIGERIM.msisdn);
    h.clock.advance(1000);
    const withdrawn = await h.gql(SET_CONSENT, { p: 'MARKETING_SMS', g: false }, { token });
    expect(withdrawn.errors).toBeUndefined();
    expect(withdrawn.data!.setConsent).toMatchObject({ purpose: 'MARKETING_SMS', granted: false, changedAt: h.clock.now().toISOString() });

    const history = await h.runtime.database.manager.find(ConsentHistoryEntity, { where: { subscriberId: AIGERIM.id, purpose: 'MARKETING_SMS' }, order: { at: 'ASC' } });
    expect(history.at(-1)).toMatchObject({ granted: false, actorId: AIGERIM.id, actorKind: 'SUBSCRIBER', channel: 'WEB', source: 'CABINET' });
    const activity = await h.runtime.database.manager.find(ActivityEntryEntity, { where: { subscriberId: AIGERIM.id, action: 'CONSENT_WITHDRAWN' } });
    expect(activity.at(-1)).toMatchObject({ actorId: AIGERIM.id, viaManagement: false, channel: 'WEB', details: 'MARKETING_SMS' });
    const events = await h.runtime.database.manager.find(OutboxEventEntity, { where: { type: 'ConsentChanged' } });
    expect(events.map((e) => e.payload)).toEqual(expect.arrayContaining([expect.objectContaining({ subscriberId: AIGERIM.id, purpose: 'MARKETING_SMS', granted: false, source: 'CABINET' })]));

    // The same state again changes nothing and records nothing.
    const again = await h.gql(SET_CONSENT, { p: 'MARKETING_SMS', g: false }, { token });
    expect(again.data!.setConsent.granted).toBe(false);
    expect(await h.runtime.database.manager.count(ConsentHistoryEntity, { where: { subscriberId: AIGERIM.id, purpose: 'MARKETING_SMS' } })).toBe(history.length);

    const granted = await h.gql(SET_CONSENT, { p: 'MARKETING_SMS', g: true }, { token });
    expect(granted.data!.setConsent.granted).toBe(true);
  });

  it('refuses a bad purpose and an anonymous caller', async () => {
    const token = await h.token(AIGERIM.msisdn);
    expect(code(await h.gql(SET_CONSENT, { p: 'EVERYTHING', g: false }, { token }))).toBe('BAD_USER_INPUT');
    expect(code(await h.gql(SET_CONSENT, { p: 'MARKETING_SMS', g: false }))).toBe('UNAUTHENTICATED');
  });

  it('ASHYQ: data from Ashyq is accepted only with the consent (terms 2.13), and ending the consent deletes every piece of it (terms 2.14)', async () => {
    const token = await h.token(AIGERIM.msisdn, undefined, 'MOBILE_APP');
    const refused = await h.internal('/internal/ashyq/data', { body: { subscriberId: AIGERIM.id, kind: 'status', payload: { status: 'green' } } });
    expect(refused.status).toBe(409);
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('CONSENT_REQUIRED');

    expect((await h.gql(SET_CONSENT, { p: 'ASHYQ', g: true }, { token })).data!.setConsent.granted).toBe(true);
    for (const payload of [{ status: 'green' }, { vaccinated: true, certificate: 'KZ-123' }]) {
      const stored = await h.internal('/internal/ashyq/data', { body: { subscriberId: AIGERIM.id, kind: 'status', payload } });
      expect(stored.status).toBe(201);
    }
    const held = (await (await h.internal(`/internal/ashyq/data?subscriberId=${AIGERIM.id}`)).json()) as { records: unknown[] };
    expect(held.records).toHaveLength(2);
    // Without the internal token nobody gets in.
    expect((await h.internal(`/internal/ashyq/data?subscriberId=${AIGERIM.id}`, { token: 'wrong' })).status).toBe(401);

    h.clock.advance(1000);
    const withdrawn = await h.gql(SET_CONSENT, { p: 'ASHYQ', g: false }, { token });
    expect(withdrawn.data!.setConsent.granted).toBe(false);
    expect(await h.runtime.database.manager.count(AshyqRecordEntity, { where: { subscriberId: AIGERIM.id } })).toBe(0);
    const after = (await (await h.internal(`/internal/ashyq/data?subscriberId=${AIGERIM.id}`)).json()) as { records: unknown[] };
    expect(after.records).toEqual([]);
    const entry = await h.runtime.database.manager.findOne(ActivityEntryEntity, { where: { subscriberId: AIGERIM.id, action: 'CONSENT_WITHDRAWN' }, order: { at: 'DESC' } });
    expect(entry!.details).toContain('2 Ashyq record(s) deleted');
    // And no more data is taken in.
    expect((await h.internal('/internal/ashyq/data', { body: { subscriberId: AIGERIM.id, kind: 'status', payload: 'x' } })).status).toBe(409);
  });

  it('PERSONAL_DATA: withdrawing without confirm is refused with CONSENT_REQUIRED and an explanation, and changes nothing (terms 2.12)', async () => {
    const token = await h.token(AIGERIM.msisdn);
    const result = await h.gql(SET_CONSENT, { p: 'PERSONAL_DATA', g: false }, { token, headers: { 'accept-language': 'en' } });
    expect(code(result)).toBe('CONSENT_REQUIRED');
    expect(result.errors![0]!.extensions!.field).toBe('confirm');
    expect(result.errors![0]!.message).toMatch(/ends your cabinet sessions.*confirm: true/);
    const unconfirmed = await h.gql(SET_CONSENT, { p: 'PERSONAL_DATA', g: false, c: false }, { token });
    expect(code(unconfirmed)).toBe('CONSENT_REQUIRED');
    const consents = await h.gql(CONSENTS, {}, { token });
    expect(consents.data!.me.consents.find((c: { purpose: string }) => c.purpose === 'PERSONAL_DATA').granted).toBe(true);
  });

  it('PERSONAL_DATA withdrawn with confirm: dependent consents go too, EMAIL notifications stop, every session ends (terms 2.12); the next login is consent again (terms 2.11)', async () => {
    const web = await h.token(AIGERIM.msisdn, undefined, 'WEB');
    const app = await h.token(AIGERIM.msisdn, undefined, 'MOBILE_APP');
    // Aigerim's e-mail is verified in the demo data: she takes e-mail notifications.
    const set = await h.gql('mutation { setNotifyBy(channels: [CABINET, EMAIL]) }', {}, { token: web });
    expect(set.data).toEqual({ setNotifyBy: ['CABINET', 'EMAIL'] });
    h.clock.advance(1000);

    const result = await h.gql(SET_CONSENT, { p: 'PERSONAL_DATA', g: false, c: true }, { token: web });
    expect(result.errors).toBeUndefined();
    expect(result.data!.setConsent).toMatchObject({ purpose: 'PERSONAL_DATA', granted: false });

    // Every session, on every device, is over: the tokens are refused with CONSENT_REQUIRED.
    for (const token of [web, app]) expect(code(await h.gql('mutation { setNotifyBy(channels: [CABINET]) }', {}, { token }))).toBe('CONSENT_REQUIRED');
    const subscriber = await h.runtime.database.manager.findOneByOrFail(SubscriberEntity, { id: AIGERIM.id });
    expect(subscriber.notifyBy).toEqual(['CABINET']);
    const history = await h.runtime.database.manager.find(ConsentHistoryEntity, { where: { subscriberId: AIGERIM.id, source: 'PERSONAL_DATA_WITHDRAWN' } });
    expect(history.map((r) => r.purpose).sort()).toEqual(['MARKETING_EMAIL', 'MARKETING_SMS', 'PARTNER_SHARING']);

    // While processing is refused, no dependent consent can be granted.
    await expect(
      h.runtime.database.transaction((m) =>
        h.services.consents.set(m, AIGERIM.id, 'MARKETING_EMAIL', true, { actorId: AIGERIM.id, actorKind: 'SUBSCRIBER', channel: 'WEB', viaManagement: false }),
      ),
    ).rejects.toMatchObject({ code: 'CONSENT_REQUIRED' });

    // terms 2.11: logging in again is consent to processing, recorded as such; the marketing consents stay withdrawn.
    h.clock.advance(1000);
    const again = await h.token(AIGERIM.msisdn, undefined, 'MOBILE_APP');
    const consents = await h.gql(CONSENTS, {}, { token: again });
    expect(consents.errors).toBeUndefined();
    const state = Object.fromEntries((consents.data!.me.consents as { purpose: string; granted: boolean }[]).map((c) => [c.purpose, c.granted]));
    expect(state).toMatchObject({ PERSONAL_DATA: true, PARTNER_SHARING: false, MARKETING_EMAIL: false, MARKETING_SMS: false });
    expect(consents.data!.me.consentHistory.at(-1)).toMatchObject({ purpose: 'PERSONAL_DATA', granted: true, source: 'LOGIN', channel: 'MOBILE_APP' });
  });
});
