import { ManualClock } from '@selfcare/shared';
import { suiteFixture, waitFor } from '@selfcare/shared/testing';
import { ActivityEntryEntity } from '../src/activity/activity.entities';
import { INITIAL_TERMS } from '../src/migrations/1764200000000-identity-features';
import { CabinetNotificationEntity, NoticeBroadcastEntity } from '../src/notices/notice.entities';
import { TermsAcceptanceEntity } from '../src/terms/terms.entities';
import { AIGERIM, NURLAN, STEPPE, UNREGISTERED } from './support/identity';
import { IdentityHarness } from './support/identity-harness';

const code = IdentityHarness.code;

const CURRENT = '{ currentTerms { version url publishedAt } }';
const PUBLISH = 'mutation ($v: String!, $u: String!) { publishTerms(version: $v, url: $u) { version url publishedAt } }';
const ACCEPT = 'mutation ($v: String!) { acceptTerms(version: $v) { version } }';
const ACCEPTANCES = '{ me { termsAcceptances { version acceptedAt channel method } } }';

describe('terms versions, their publication and acceptance (terms 6.1, 6.2, 6.6, 3.5)', () => {
  const h = suiteFixture(() => IdentityHarness.start({ clock: new ManualClock(new Date()) }));

  async function waitForTermsDelivery(version: string): Promise<NoticeBroadcastEntity> {
    return waitFor(async () => {
      const job = await h.runtime.database.manager.findOneBy(NoticeBroadcastEntity, { purpose: 'TERMS', termsVersion: version });
      return job?.status === 'DONE' ? job : undefined;
    }, 15_000, 'the terms notification job to finish');
  }

  it('currentTerms answers without a login, with the version installed with the system', async () => {
    const result = await h.gql(CURRENT);
    expect(result.errors).toBeUndefined();
    expect(result.data!.currentTerms).toEqual({ version: INITIAL_TERMS.version, url: INITIAL_TERMS.url, publishedAt: INITIAL_TERMS.publishedAt });
  });

  it('registration records acceptance of the version in force with time and channel (terms 6.1, 6.2)', async () => {
    await h.gql('mutation ($m: PhoneNumber!) { requestPassword(msisdn: $m) }', { m: UNREGISTERED.msisdn });
    const [, password] = await h.waitForSms(UNREGISTERED.msisdn, /: ([A-Za-z0-9]{10})\./);
    const token = await h.token(UNREGISTERED.msisdn, password!, 'MOBILE_APP');
    const result = await h.gql(ACCEPTANCES, {}, { token });
    expect(result.data!.me.termsAcceptances).toEqual([
      { version: INITIAL_TERMS.version, acceptedAt: h.clock.now().toISOString(), channel: 'MOBILE_APP', method: 'REGISTRATION' },
    ]);
  });

  it('only staff publish terms: anonymous UNAUTHENTICATED, a subscriber FORBIDDEN', async () => {
    expect(code(await h.gql(PUBLISH, { v: '2030.1', u: 'https://beeline.kz/terms/2030.1' }))).toBe('UNAUTHENTICATED');
    const subscriber = await h.token(AIGERIM.msisdn);
    expect(code(await h.gql(PUBLISH, { v: '2030.1', u: 'https://beeline.kz/terms/2030.1' }, { token: subscriber }))).toBe('FORBIDDEN');
    expect((await h.gql(CURRENT)).data!.currentTerms.version).toBe(INITIAL_TERMS.version);
  });

  it('refuses a malformed version or URL and a version published before', async () => {
    const staff = await h.staffLogin();
    for (const [v, u, field] of [
      ['', 'https://beeline.kz/t', 'version'],
      ['bad version!', 'https://beeline.kz/t', 'version'],
      ['2031.1', 'javascript:alert(1)', 'url'],
      ['2031.1', 'not a url', 'url'],
    ] as const) {
      const result = await h.gql(PUBLISH, { v, u }, { token: staff });
      expect(code(result)).toBe('BAD_USER_INPUT');
      expect(result.errors![0]!.extensions!.field).toBe(field);
    }
    const duplicate = await h.gql(PUBLISH, { v: INITIAL_TERMS.version, u: 'https://beeline.kz/t' }, { token: staff });
    expect(code(duplicate)).toBe('CONFLICT');
  });

  it('a published version is in force at once; each subscriber is told per their notifyBy: in the cabinet, by SMS, by e-mail (terms 6.6, 5.1)', async () => {
    const nurlan = await h.token(NURLAN.msisdn);
    expect((await h.gql('mutation { setNotifyBy(channels: [SMS]) }', {}, { token: nurlan })).data).toEqual({ setNotifyBy: ['SMS'] });
    const aigerim = await h.token(AIGERIM.msisdn);
    expect((await h.gql('mutation { setNotifyBy(channels: [CABINET, EMAIL]) }', {}, { token: aigerim })).data).toEqual({ setNotifyBy: ['CABINET', 'EMAIL'] });

    h.clock.advance(60_000);
    const staff = await h.staffLogin();
    const published = await h.gql(PUBLISH, { v: '2026.1', u: 'https://beeline.kz/terms/2026.1' }, { token: staff });
    expect(published.errors).toBeUndefined();
    expect(published.data!.publishTerms).toEqual({ version: '2026.1', url: 'https://beeline.kz/terms/2026.1', publishedAt: h.clock.now().toISOString() });
    expect((await h.gql(CURRENT)).data!.currentTerms.version).toBe('2026.1');

    const job = await waitForTermsDelivery('2026.1');
    expect(job.createdBy).not.toBeNull();
    // Nurlan (KK, SMS only): an SMS in Kazakh with the version and the link, nothing in the cabinet.
    const [sms] = await h.waitForSms(NURLAN.msisdn, /2026\.1/);
    expect(sms).toContain('https://beeline.kz/terms/2026.1');
    expect(sms).toContain('шарттары');
    expect(await h.runtime.database.manager.countBy(CabinetNotificationEntity, { subscriberId: NURLAN.id, dedupeKey: `broadcast:${job.id}` })).toBe(0);
    // Aigerim (RU, cabinet + e-mail): both.
    const mail = await h.waitForMail(AIGERIM.email, (m) => m.text.includes('2026.1'));
    expect(mail.subject).toBe('Изменились условия пользования');
    const notices = await h.gql('{ me { notifications(first: 5) { edges { node { title body read } } } } }', {}, { token: aigerim });
    expect(notices.data!.me.notifications.edges[0].node).toMatchObject({ title: 'Изменились условия пользования', read: false });
    expect(notices.data!.me.notifications.edges[0].node.body).toContain('https://beeline.kz/terms/2026.1');
    // Read in another language, the same notice is in that language (a manager, or the app set to Kazakh).
    const inKazakh = await h.gql('{ me { notifications(first: 5) { edges { node { title } } } } }', {}, { token: aigerim, language: 'kk' });
    expect(inKazakh.data!.me.notifications.edges[0].node.title).toBe('Пайдалану шарттары өзгерді');
    // Steppe (EN, default CABINET): in the cabinet only, in English.
    const steppe = await h.runtime.database.manager.findOneByOrFail(CabinetNotificationEntity, { subscriberId: STEPPE.id, dedupeKey: `broadcast:${job.id}` });
    expect(steppe.title).toBe('The terms of use have changed');
    expect(h.sms(STEPPE.msisdn).some((m) => m.text.includes('2026.1'))).toBe(false);
  });

  it('acceptTerms accepts only the version in force, once, with time and channel', async () => {
    const token = await h.token(AIGERIM.msisdn, undefined, 'MOBILE_APP');
    const old = await h.gql(ACCEPT, { v: INITIAL_TERMS.version }, { token });
    expect(code(old)).toBe('BAD_USER_INPUT');
    expect(old.errors![0]!.extensions!.field).toBe('version');
    const unknown = await h.gql(ACCEPT, { v: '1999.9' }, { token });
    expect(code(unknown)).toBe('NOT_FOUND');
    expect(code(await h.gql(ACCEPT, { v: '2026.1' }))).toBe('UNAUTHENTICATED');

    // Aigerim logged in after the change: that login already accepted it by continued use (terms 3.5, 6.6).
    const before = await h.runtime.database.manager.findOneByOrFail(TermsAcceptanceEntity, { subscriberId: AIGERIM.id, version: '2026.1' });
    expect(before.method).toBe('CONTINUED_USE');
    const accepted = await h.gql(ACCEPT, { v: '2026.1' }, { token });
    expect(accepted.data).toEqual({ acceptTerms: { version: '2026.1' } });
    expect(await h.runtime.database.manager.countBy(TermsAcceptanceEntity, { subscriberId: AIGERIM.id, version: '2026.1' })).toBe(1);
  });

  it('a subscriber who had not logged in since the change accepts it by logging in (continued use, terms 3.5/6.6), once, with time and channel', async () => {
    // Steppe has had no session since 2026.1 was published.
    expect(await h.runtime.database.manager.countBy(TermsAcceptanceEntity, { subscriberId: STEPPE.id, version: '2026.1' })).toBe(0);
    h.clock.advance(5000);
    const token = await h.token(STEPPE.msisdn, undefined, 'MOBILE_APP');
    const acceptance = await h.runtime.database.manager.findOneByOrFail(TermsAcceptanceEntity, { subscriberId: STEPPE.id, version: '2026.1' });
    expect(acceptance).toMatchObject({ method: 'CONTINUED_USE', channel: 'MOBILE_APP', acceptedAt: h.clock.now() });
    const entries = await h.runtime.database.manager.find(ActivityEntryEntity, { where: { subscriberId: STEPPE.id, action: 'TERMS_ACCEPTED' }, order: { at: 'ASC' } });
    expect(entries.map((e) => e.details)).toEqual([
      `version ${INITIAL_TERMS.version} (at registration, terms 6.1/6.2)`,
      'version 2026.1 (by continued use, terms 3.5/6.6)',
    ]);
    expect(entries[1]).toMatchObject({ channel: 'MOBILE_APP', actorId: STEPPE.id, actorKind: 'SUBSCRIBER', viaManagement: false });
    await h.token(STEPPE.msisdn);
    expect(await h.runtime.database.manager.countBy(TermsAcceptanceEntity, { subscriberId: STEPPE.id, version: '2026.1' })).toBe(1);
    const list = await h.gql(ACCEPTANCES, {}, { token });
    expect(list.data!.me.termsAcceptances[0]).toMatchObject({ version: '2026.1', method: 'CONTINUED_USE', channel: 'MOBILE_APP' });
  });
});
