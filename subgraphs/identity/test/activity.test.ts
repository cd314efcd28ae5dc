import type { DomainEvent } from '@selfcare/shared';
import { ManualClock, activityRecorded } from '@selfcare/shared';
import { suiteFixture, waitFor } from '@selfcare/shared/testing';
import { ActivityEntryEntity } from '../src/activity/activity.entities';
import { AIGERIM, NURLAN, STEPPE } from './support/identity';
import { IdentityHarness } from './support/identity-harness';

const code = IdentityHarness.code;

const ACTIVITY = `query ($first: Int, $after: String) { me { activity(first: $first, after: $after) {
  edges { cursor node { id at action viaManagement channel details actorKind actor { id msisdn } } }
  pageInfo { hasNextPage endCursor } } } }`;

describe('the activity record of a number (terms 2.4, 3.5, 4.3)', () => {
  // The relay is poked on every write; a slow poll keeps background statements out of the N+1 count.
  const h = suiteFixture(() => IdentityHarness.start({ relayPollMs: 60_000, clock: new ManualClock(new Date()) }));
  let nextId = 1;

  function activityEvent(stream: string, payload: Record<string, unknown>, type = 'ActivityRecorded'): DomainEvent {
    return { stream, id: nextId++, type, payload, occurredAt: h.clock.now().toISOString() };
  }

  it("identity's own actions are recorded with who, channel and what, newest first", async () => {
    h.clock.advance(1000);
    const token = await h.token(AIGERIM.msisdn, undefined, 'MOBILE_APP');
    h.clock.advance(1000);
    await h.gql('mutation { setConsent(purpose: MARKETING_SMS, granted: false) { granted } }', {}, { token });
    const result = await h.gql(ACTIVITY, { first: 2 }, { token, language: 'en' });
    expect(result.errors).toBeUndefined();
    const nodes = result.data!.me.activity.edges.map((e: { node: unknown }) => e.node);
    expect(nodes).toEqual([
      expect.objectContaining({ action: 'CONSENT_WITHDRAWN', details: 'MARKETING_SMS', channel: 'MOBILE_APP', viaManagement: false, actorKind: 'SUBSCRIBER', actor: { id: AIGERIM.id, msisdn: AIGERIM.msisdn } }),
      expect.objectContaining({ action: 'LOGGED_IN', channel: 'MOBILE_APP', actor: { id: AIGERIM.id, msisdn: AIGERIM.msisdn } }),
    ]);
    expect(nodes[0].at).toBe(h.clock.now().toISOString());
    expect(result.data!.me.activity.pageInfo.hasNextPage).toBe(true);
  });

  it('actions of the other subgraphs arrive as ActivityRecorded events from their streams, once each, including those done through number management (terms 4.3)', async () => {
    const at = new Date(h.clock.now().getTime() + 5000).toISOString();
    const events = [
      activityEvent('catalog', { subscriberId: AIGERIM.id, actorId: NURLAN.id, viaManagement: true, channel: 'MOBILE_APP', action: 'SERVICE_CONNECTED', details: 'ROAMING_PLUS, terms 2025.3 accepted (2.2)', at }),
      activityEvent('catalog', { subscriberId: AIGERIM.id, tariffCode: 'BEELINE_L' }, 'TariffChanged'),
      // malformed: must be skipped without holding up the stream
      activityEvent('catalog', { subscriberId: 'not-an-id', action: 'x' }),
      activityEvent('catalog', { subscriberId: AIGERIM.id, actorId: AIGERIM.id, viaManagement: false, channel: 'WEB', action: 'TARIFF_CHANGED', details: 'BEELINE_M -> BEELINE_L', at }),
    ];
    await h.platform.bus.publish('catalog', events);
    const billing = activityEvent('billing', { subscriberId: AIGERIM.id, actorId: null, viaManagement: false, channel: null, action: 'PAYMENT_RECEIVED', details: '5000.00 KZT by card', at });
    await h.platform.bus.publish('billing', [billing]);
    await h.platform.bus.publish('delegation', [
      activityEvent('delegation', { subscriberId: AIGERIM.id, actorId: AIGERIM.id, viaManagement: false, channel: 'WEB', action: 'MANAGEMENT_GRANTED', details: 'to +77071112233', at }),
    ]);
    await h.platform.bus.publish('detailing', [
      activityEvent('detailing', { subscriberId: AIGERIM.id, actorId: NURLAN.id, viaManagement: true, channel: 'WEB', action: 'STATEMENT_ORDERED', details: 'CSV 2026-01', at }),
    ]);

    const stored = await h.runtime.database.manager.find(ActivityEntryEntity, { where: { subscriberId: AIGERIM.id }, order: { at: 'DESC' } });
    const bySource = stored.filter((e) => e.sourceStream !== 'identity');
    expect(bySource.map((e) => [e.sourceStream, e.action]).sort()).toEqual([
      ['billing', 'PAYMENT_RECEIVED'],
      ['catalog', 'SERVICE_CONNECTED'],
      ['catalog', 'TARIFF_CHANGED'],
      ['delegation', 'MANAGEMENT_GRANTED'],
      ['detailing', 'STATEMENT_ORDERED'],
    ]);
    const billingEntry = bySource.find((e) => e.action === 'PAYMENT_RECEIVED')!;
    expect(billingEntry).toMatchObject({ actorId: null, actorKind: 'SYSTEM', channel: null, sourceEventId: billing.id });

    // A redelivered event (same stream and id) is stored once.
    await h.runtime.database.transaction((m) => h.services.activity.store(activityRecorded.parse(billing.payload), billing, m));
    expect(await h.runtime.database.manager.countBy(ActivityEntryEntity, { sourceStream: 'billing', sourceEventId: billing.id })).toBe(1);

    const token = await h.token(AIGERIM.msisdn);
    const result = await h.gql(ACTIVITY, { first: 50 }, { token });
    const managed = result.data!.me.activity.edges.map((e: { node: any }) => e.node).find((n: { action: string }) => n.action === 'SERVICE_CONNECTED');
    expect(managed).toMatchObject({ viaManagement: true, channel: 'MOBILE_APP', actorKind: 'SUBSCRIBER', actor: { id: NURLAN.id, msisdn: NURLAN.msisdn }, details: 'ROAMING_PLUS, terms 2025.3 accepted (2.2)', at });
  });

  it('pages with cursors, newest first, without gaps or repeats', async () => {
    const token = await h.token(AIGERIM.msisdn);
    const all = (await h.gql(ACTIVITY, { first: 100 }, { token })).data!.me.activity.edges.map((e: { node: { id: string } }) => e.node.id);
    const seen: string[] = [];
    let after: string | null = null;
    for (;;) {
      const page: any = (await h.gql(ACTIVITY, { first: 3, after }, { token })).data!.me.activity;
      seen.push(...page.edges.map((e: { node: { id: string } }) => e.node.id));
      if (!page.pageInfo.hasNextPage) break;
      after = page.pageInfo.endCursor;
    }
    expect(seen).toEqual(all);
    expect(code(await h.gql(ACTIVITY, { first: 3, after: 'garbage' }, { token }))).toBe('BAD_USER_INPUT');
  });

  it('still reads cursors handed out before the kit paged the record: {k: time in ms, id}, base64url JSON', async () => {
    const token = await h.token(AIGERIM.msisdn);
    const [, second, ...rest] = (await h.gql(ACTIVITY, { first: 100 }, { token })).data!.me.activity.edges as { node: { id: string; at: string } }[];
    expect(rest.length).toBeGreaterThan(0);
    const old = Buffer.from(JSON.stringify({ k: new Date(second!.node.at).getTime(), id: second!.node.id })).toString('base64url');
    const page = (await h.gql(ACTIVITY, { first: 100, after: old }, { token })).data!.me.activity;
    expect(page.edges.map((e: { node: { id: string } }) => e.node.id)).toEqual(rest.map((e) => e.node.id));
    // One whose key is no time (or whose id no id of ours) is the caller's mistake, not an empty page or a crash.
    for (const forged of [{ k: 'yesterday', id: second!.node.id }, { k: 1, id: 'x'.repeat(65) }, { k: 9e15, id: second!.node.id }]) {
      expect(code(await h.gql(ACTIVITY, { first: 3, after: Buffer.from(JSON.stringify(forged)).toString('base64url') }, { token }))).toBe('BAD_USER_INPUT');
    }
  });

  it('reading the record costs the same number of SQL statements however many entries and actors it has (no N+1)', async () => {
    await h.services.broadcasts.stop();
    const token = await h.token(NURLAN.msisdn);
    const query = `{ me { consents { purpose } notifyBy notifications(first: 20) { edges { node { id } } } termsAcceptances { version }
      activity(first: 100) { edges { node { action actor { msisdn } } } } } }`;
    const measure = async () => {
      // The outbox relay's round after the writes below runs on the same database: done first, not counted.
      await h.running.relaySettled();
      const before = h.runtime.database.counter.count;
      const result = await h.gql(query, {}, { token });
      expect(result.errors).toBeUndefined();
      return { statements: h.runtime.database.counter.count - before, entries: result.data!.me.activity.edges.length };
    };
    const recorder = h.services.activity;
    // One entry by another actor already, so both measurements load actors other than the caller.
    await h.runtime.database.transaction((m) =>
      recorder.record(m, { subscriberId: NURLAN.id, actorId: AIGERIM.id, actorKind: 'SUBSCRIBER', viaManagement: true, channel: 'WEB', action: 'TEST_ACTION', details: 'first' }),
    );
    await measure();
    const few = await measure();
    await h.runtime.database.transaction(async (m) => {
      for (let i = 0; i < 30; i += 1) {
        await recorder.record(m, { subscriberId: NURLAN.id, actorId: i % 2 ? AIGERIM.id : NURLAN.id, actorKind: 'SUBSCRIBER', viaManagement: i % 2 === 1, channel: 'WEB', action: 'TEST_ACTION', details: String(i) });
      }
    });
    const many = await measure();
    expect(many.entries).toBeGreaterThan(few.entries + 25);
    expect(many.statements).toBe(few.statements);
    expect(many.statements).toBeLessThanOrEqual(8);
  });

  it('the recorder takes only well-formed actions (the record is read by people and other systems)', async () => {
    const recorder = h.services.activity;
    await expect(
      h.runtime.database.transaction((m) => recorder.record(m, { subscriberId: AIGERIM.id, actorId: null, actorKind: 'SYSTEM', viaManagement: false, channel: null, action: 'drop table' })),
    ).rejects.toThrow(/UPPER_SNAKE_CASE/);
  });

  it("details come in the reader's language (Accept-Language: kk, ru, en); a manager reads them in theirs; other subgraphs' text as sent", async () => {
    const token = await h.token(NURLAN.msisdn);
    await h.gql('mutation { setNotifyBy(channels: [CABINET, SMS]) }', {}, { token });
    const admin = await h.staffLogin('ADMIN');
    await h.gql('mutation ($id: ID!) { setAccessStatus(subscriberId: $id, status: SUSPENDED, reason: BREACH) { id } }', { id: NURLAN.id }, { token: admin });
    await h.gql('mutation ($id: ID!) { setAccessStatus(subscriberId: $id, status: ACTIVE) { id } }', { id: NURLAN.id }, { token: admin });
    h.clock.advance(1000); // the frozen clock: a token of the very instant of a revocation is revoked too
    const latest = async (language: string, action: string, as = token) => {
      const page = await h.gql('{ me { activity(first: 50) { edges { node { action details } } } } }', {}, { token: as, language });
      return page.data!.me.activity.edges.map((e: { node: { action: string; details: string } }) => e.node).find((n: { action: string }) => n.action === action)?.details;
    };
    const fresh = await h.token(NURLAN.msisdn);
    expect(await latest('en', 'NOTIFY_BY_CHANGED', fresh)).toBe('CABINET -> CABINET,SMS');
    expect(await latest('ru', 'NOTIFY_BY_CHANGED', fresh)).toBe('кабинет → кабинет, SMS');
    expect(await latest('kk', 'NOTIFY_BY_CHANGED', fresh)).toBe('кабинет → кабинет, SMS');
    // The employee is named in each language; the status and reason are words, not codes, in kk and ru.
    expect(await latest('en', 'ACCESS_STATUS_CHANGED', fresh)).toBe('SUSPENDED/BREACH -> ACTIVE by admin admin');
    expect(await latest('ru', 'ACCESS_STATUS_CHANGED', fresh)).toBe('приостановлен (нарушение договора) → активен — администратор admin');
    expect(await latest('kk', 'ACCESS_STATUS_CHANGED', fresh)).toBe('тоқтатылды (шартты бұзу) → белсенді — әкімші admin');
    // Without Accept-Language (or with one naming none of kk, ru, en), a subscriber reads their own language: Nurlan's is kk.
    expect(await latest('', 'ACCESS_STATUS_CHANGED', fresh)).toBe('тоқтатылды (шартты бұзу) → белсенді — әкімші admin');
    expect(await latest('de-DE', 'ACCESS_STATUS_CHANGED', fresh)).toBe('тоқтатылды (шартты бұзу) → белсенді — әкімші admin');
    expect(await latest('kk', 'PASSWORD_REQUESTED', fresh)).toBeUndefined();
    // What is stored: the code, its parameters, and the English text as recorded.
    const row = await h.runtime.database.manager.findOneOrFail(ActivityEntryEntity, { where: { subscriberId: NURLAN.id, action: 'NOTIFY_BY_CHANGED' } });
    expect(row).toMatchObject({ detailCode: 'NOTIFY_BY_CHANGED', detailParams: { from: ['CABINET'], to: ['CABINET', 'SMS'] }, details: 'CABINET -> CABINET,SMS' });
    // A manager reads the owner's record in the manager's own language.
    const grant = await h.grant(AIGERIM.id, NURLAN.id, NURLAN.msisdn);
    try {
      const aigerim = await h.token(AIGERIM.msisdn);
      const managed = await h.gql('query ($m: PhoneNumber!) { subscriber(msisdn: $m) { activity(first: 50) { edges { node { action details } } } } }', { m: NURLAN.msisdn }, { token: aigerim, language: 'kk' });
      const entry = managed.data!.subscriber.activity.edges.find((e: { node: { action: string } }) => e.node.action === 'NOTIFY_BY_CHANGED').node;
      expect(entry.details).toBe('кабинет → кабинет, SMS');
    } finally {
      await grant.end();
    }
    // Another subgraph's entry has the one text it was sent with, in every language.
    for (const language of ['kk', 'ru', 'en']) expect(await latest(language, 'SERVICE_CONNECTED', await h.token(AIGERIM.msisdn))).toBe('ROAMING_PLUS, terms 2025.3 accepted (2.2)');
    // One that came with detailTexts is read in the reader's language.
    const detailTexts = { KK: 'Роуминг+ қосылды', RU: 'Подключена услуга Роуминг+', EN: 'Roaming+ connected' };
    await h.platform.bus.publish('catalog', [activityEvent('catalog', { subscriberId: AIGERIM.id, actorId: AIGERIM.id, channel: 'WEB', action: 'SERVICE_TEXTS', details: 'Roaming+ connected', detailTexts })]);
    const aigerim = await h.token(AIGERIM.msisdn);
    await waitFor(async () => (await latest('kk', 'SERVICE_TEXTS', aigerim)) ?? undefined, 10_000, 'the entry with detailTexts');
    for (const [language, text] of [['kk', detailTexts.KK], ['ru', detailTexts.RU], ['en', detailTexts.EN]] as const) expect(await latest(language, 'SERVICE_TEXTS', aigerim)).toBe(text);
  });

  it('an entry whose code or parameters this version cannot render shows the text it was recorded with, never an error', async () => {
    const recorder = h.services.activity;
    await h.runtime.database.transaction((m) => recorder.record(m, { subscriberId: STEPPE.id, actorId: STEPPE.id, actorKind: 'SUBSCRIBER', viaManagement: false, channel: 'WEB', action: 'TEST_ODD', details: 'as recorded' }));
    await h.runtime.database.transaction((m) =>
      m.update(ActivityEntryEntity, { subscriberId: STEPPE.id, action: 'TEST_ODD' }, { detailCode: 'NO_SUCH_CODE', detailParams: { x: 'y' } as Record<string, any> }),
    );
    await h.runtime.database.transaction((m) =>
      recorder.record(m, { subscriberId: STEPPE.id, actorId: STEPPE.id, actorKind: 'SUBSCRIBER', viaManagement: false, channel: 'WEB', action: 'TEST_BROKEN', detail: { code: 'CONSENT_CHANGED', params: { purpose: { nested: true }, with: 'not a list', ashyqRecordsDeleted: 'many' } } }),
    );
    const token = await h.token(STEPPE.msisdn);
    for (const language of ['kk', 'ru', 'en']) {
      const page = await h.gql('{ me { activity(first: 10) { edges { node { action details } } } } }', {}, { token, language });
      expect(page.errors).toBeUndefined();
      const nodes = page.data!.me.activity.edges.map((e: { node: unknown }) => e.node);
      expect(nodes).toContainEqual({ action: 'TEST_ODD', details: 'as recorded' });
      expect(nodes.find((n: { action: string }) => n.action === 'TEST_BROKEN').details).toEqual(expect.any(String));
    }
  });

  it('a caller without a token gets nothing', async () => {
    const result = await h.gql('{ me { activity { edges { node { id } } } } }');
    expect(result.data).toEqual({ me: null });
  });
});
