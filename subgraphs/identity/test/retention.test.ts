import { ManualClock, OutboxEventEntity } from '@selfcare/shared';
import { suiteFixture, waitFor } from '@selfcare/shared/testing';
import { identityOptionsFromEnv } from '../src';
import { ActivityEntryEntity } from '../src/activity/activity.entities';
import { AshyqRecordEntity, ConsentHistoryEntity } from '../src/consents/consent.entities';
import { CabinetNotificationEntity } from '../src/notices/notice.entities';
import { SessionEntity } from '../src/sessions/session.entity';
import { SubscriberEntity } from '../src/subscribers/subscriber.entity';
import { TermsAcceptanceEntity } from '../src/terms/terms.entities';
import { AIGERIM, DEMO_PASSWORD, HOME, NURLAN, STEPPE } from './support/identity';
import { IdentityHarness } from './support/identity-harness';

const code = IdentityHarness.code;

const DAY = 24 * 3600 * 1000;
const TERMINATE = 'mutation ($id: ID!) { terminateContract(subscriberId: $id) { accessStatus } }';

describe('retention of personal data, 3 years after the contract ended (terms 2.11)', () => {
  const start = new Date();
  const h = suiteFixture(() => IdentityHarness.start({ clock: new ManualClock(start) }));

  it('erases or anonymizes a terminated contract exactly when its 3 years are over, keeping what the law needs without personal data', async () => {
    // Steppe has data of every kind: sessions with a device, notices, Ashyq data, consents, activity with details.
    const token = await h.token(STEPPE.msisdn, DEMO_PASSWORD, 'MOBILE_APP');
    await h.gql('mutation { setConsent(purpose: ASHYQ, granted: true) { granted } }', {}, { token });
    expect((await h.internal('/internal/ashyq/data', { body: { subscriberId: STEPPE.id, kind: 'status', payload: { status: 'green' } } })).status).toBe(201);
    await h.runtime.database.transaction((m) => h.services.notices.notify(m, STEPPE.id, { title: 'Hello', body: 'Personal offer for +77772223344', key: 'k1' }));

    const admin = await h.staffLogin('ADMIN');
    expect((await h.gql(TERMINATE, { id: STEPPE.id }, { token: admin })).data).toEqual({ terminateContract: { accessStatus: 'TERMINATED' } });
    const endedAt = h.clock.now();
    // Nurlan's contract ends a year later.
    h.clock.advance(365 * DAY);
    expect((await h.gql(TERMINATE, { id: NURLAN.id }, { token: admin })).errors).toBeUndefined();

    const activityBefore = await h.runtime.database.manager.countBy(ActivityEntryEntity, { subscriberId: STEPPE.id });
    const consentsBefore = await h.runtime.database.manager.countBy(ConsentHistoryEntity, { subscriberId: STEPPE.id });
    const acceptancesBefore = await h.runtime.database.manager.countBy(TermsAcceptanceEntity, { subscriberId: STEPPE.id });
    expect(activityBefore).toBeGreaterThan(2);

    // One day short of 3 years: nothing goes.
    h.clock.set(new Date(endedAt.getTime()));
    h.clock.advance(3 * 365 * DAY - DAY);
    expect(await h.services.retention.runOnce()).toBe(0);
    expect((await h.runtime.database.manager.findOneByOrFail(SubscriberEntity, { id: STEPPE.id })).msisdn).toBe(STEPPE.msisdn);

    // Three calendar years and a second after the end: Steppe is erased; Nurlan (2 years) and the active ones are not.
    h.clock.set(new Date(endedAt.getTime()));
    const threeYears = new Date(endedAt.getTime());
    threeYears.setUTCFullYear(threeYears.getUTCFullYear() + 3);
    h.clock.set(new Date(threeYears.getTime() + 1000));
    expect(await h.services.retention.runOnce()).toBe(1);

    const erased = await h.runtime.database.manager.findOneByOrFail(SubscriberEntity, { id: STEPPE.id });
    expect(erased).toMatchObject({
      msisdn: null,
      email: null,
      verifiedEmail: null,
      emailVerifiedAt: null,
      login: `erased:${STEPPE.id}`,
      passwordHash: null,
      passwordKdf: null,
      // kept: who the record is about, not who the person is
      kind: 'MOBILE',
      partyType: 'LEGAL_ENTITY',
      accessStatus: 'TERMINATED',
    });
    expect(erased.erasedAt).toEqual(h.clock.now());
    expect(erased.contractEndedAt).toEqual(endedAt);

    const sessions = await h.runtime.database.manager.findBy(SessionEntity, { subjectId: STEPPE.id });
    expect(sessions.length).toBeGreaterThan(0);
    expect(sessions.every((s) => s.device === null && s.clientAddress === null)).toBe(true);
    expect(await h.runtime.database.manager.countBy(CabinetNotificationEntity, { subscriberId: STEPPE.id })).toBe(0);
    expect(await h.runtime.database.manager.countBy(AshyqRecordEntity, { subscriberId: STEPPE.id })).toBe(0);

    const activity = await h.runtime.database.manager.find(ActivityEntryEntity, { where: { subscriberId: STEPPE.id }, order: { at: 'ASC' } });
    expect(activity).toHaveLength(activityBefore + 1);
    const [last] = activity.slice(-1);
    expect(last).toMatchObject({ action: 'PERSONAL_DATA_ERASED', actorKind: 'SYSTEM' });
    expect(activity.slice(0, -1).every((e) => e.details === null && e.detailCode === null && e.detailParams === null)).toBe(true);
    expect(JSON.stringify(activity)).not.toContain(STEPPE.msisdn);
    expect(await h.runtime.database.manager.countBy(ConsentHistoryEntity, { subscriberId: STEPPE.id })).toBe(consentsBefore);
    expect(await h.runtime.database.manager.countBy(TermsAcceptanceEntity, { subscriberId: STEPPE.id })).toBe(acceptancesBefore);

    const events = await h.runtime.database.manager.findBy(OutboxEventEntity, { type: 'SubscriberDataErased' });
    expect(events.map((e) => e.payload)).toEqual([{ subscriberId: STEPPE.id, contractEndedAt: endedAt.toISOString(), erasedAt: h.clock.now().toISOString() }]);

    for (const other of [NURLAN.id, AIGERIM.id, HOME.id]) {
      const row = await h.runtime.database.manager.findOneByOrFail(SubscriberEntity, { id: other });
      expect(row.erasedAt).toBeNull();
      expect(row.login).not.toMatch(/^erased:/);
    }

    // Nothing is left to log in with, and a second run finds nothing to do.
    expect(code(await h.gql('mutation { login(login: "+77772223344", password: "Demo-2026", channel: WEB) { accessToken } }'))).toBe('INVALID_CREDENTIALS');
    expect(await h.services.retention.runOnce()).toBe(0);
  });
});

describe('the retention job runs by itself on its schedule', () => {
  it('erases a contract past retention without anybody calling it (interval from IDENTITY_RETENTION_INTERVAL_SECONDS)', async () => {
    const clock = new ManualClock(new Date());
    const h = await IdentityHarness.start({ clock, identity: { retention: identityOptionsFromEnv({ IDENTITY_RETENTION_INTERVAL_SECONDS: '1' }).retention } });
    try {
      const admin = await h.staffLogin('ADMIN');
      expect((await h.gql(TERMINATE, { id: HOME.id }, { token: admin })).errors).toBeUndefined();
      clock.advance(3 * 366 * DAY);
      const row = await waitFor(async () => {
        const current = await h.runtime.database.manager.findOneByOrFail(SubscriberEntity, { id: HOME.id });
        return current.erasedAt ? current : undefined;
      }, 10_000, 'the retention job to erase the home line');
      expect(row.erasedAt).not.toBeNull();
      expect(row.login).toBe(`erased:${HOME.id}`);
    } finally {
      await h.stop();
    }
  });
});
