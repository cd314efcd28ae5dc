import { randomUUID } from 'node:crypto';
import { In } from 'typeorm';
import { DEMO_PASSWORD, DomainError, ManualClock, cabinetNotice, notifyPreferences } from '@selfcare/shared';
import { suiteFixture, waitFor } from '@selfcare/shared/testing';
import { BroadcastWorker } from '../src/notices/broadcast-worker';
import { CabinetNotificationEntity, NoticeBroadcastEntity } from '../src/notices/notice.entities';
import { SubscriberEntity } from '../src/subscribers/subscriber.entity';
import { AIGERIM, HOME, NURLAN, STEPPE } from './support/identity';
import { IdentityHarness } from './support/identity-harness';

const code = IdentityHarness.code;

const BROADCAST = `mutation ($t: String!, $b: String!, $k: SubscriberKind) { broadcastNotice(title: $t, body: $b, kind: $k) { id status kind delivered } }`;
const STATUS = `query ($id: ID!) { noticeBroadcast(id: $id) { status delivered finishedAt } }`;
const NOTIFICATIONS = `query ($first: Int, $after: String) { me { notifications(first: $first, after: $after) { edges { cursor node { id title body createdAt read } } pageInfo { hasNextPage endCursor } } } }`;

describe('in-cabinet notifications and the operator broadcast (terms 2.8)', () => {
  const h = suiteFixture(() => IdentityHarness.start({ clock: new ManualClock(new Date()) }));
  let operator: string;
  beforeAll(async () => {
    operator = await h.staffLogin('OPERATOR');
  });

  async function finished(id: string): Promise<{ status: string; delivered: number }> {
    return waitFor(async () => {
      const result = await h.gql(STATUS, { id }, { token: operator });
      return result.data?.noticeBroadcast?.status === 'DONE' ? result.data.noticeBroadcast : undefined;
    }, 15_000, `broadcast ${id} to finish`);
  }

  it('only staff broadcast: anonymous UNAUTHENTICATED, a subscriber FORBIDDEN; bad input is BAD_USER_INPUT with the field', async () => {
    expect(code(await h.gql(BROADCAST, { t: 'x', b: 'y' }))).toBe('UNAUTHENTICATED');
    const subscriber = await h.token(AIGERIM.msisdn);
    expect(code(await h.gql(BROADCAST, { t: 'x', b: 'y' }, { token: subscriber }))).toBe('FORBIDDEN');
    expect(code(await h.gql(STATUS, { id: randomUUID() }, { token: subscriber }))).toBe('FORBIDDEN');
    const blank = await h.gql(BROADCAST, { t: '   ', b: 'y' }, { token: operator });
    expect(code(blank)).toBe('BAD_USER_INPUT');
    expect(blank.errors![0]!.extensions!.field).toBe('title');
    const long = await h.gql(BROADCAST, { t: 'x', b: 'y'.repeat(4001) }, { token: operator });
    expect(long.errors![0]!.extensions!.field).toBe('body');
    expect(code(await h.gql(BROADCAST, { t: 'x', b: 'y', k: 'SATELLITE' }, { token: operator }))).toBe('BAD_USER_INPUT');
  });

  it('a notice to one kind reaches only that kind, in the background', async () => {
    const queued = await h.gql(BROADCAST, { t: 'Home Internet maintenance', b: 'Works on 1 December 02:00-04:00' }, { token: operator });
    void queued;
    const home = await h.gql(BROADCAST, { t: 'Router firmware', b: 'Update your router', k: 'HOME_INTERNET' }, { token: operator });
    expect(home.errors).toBeUndefined();
    expect(home.data!.broadcastNotice).toMatchObject({ kind: 'HOME_INTERNET' });
    expect(['PENDING', 'RUNNING', 'DONE']).toContain(home.data!.broadcastNotice.status);
    const done = await finished(home.data!.broadcastNotice.id);
    expect(done.delivered).toBe(1);
    const rows = await h.runtime.database.manager.findBy(CabinetNotificationEntity, { dedupeKey: `broadcast:${home.data!.broadcastNotice.id}` });
    expect(rows.map((r) => r.subscriberId)).toEqual([HOME.id]);
    const all = await finished(queued.data!.broadcastNotice.id);
    expect(all.delivered).toBe(5);
  });

  it("a broadcast given in kk, ru and en: each reader reads their own language, in the cabinet, by e-mail and by SMS", async () => {
    const TEXTS = `mutation ($texts: [NoticeTextInput!], $t: String, $b: String) {
      broadcastNotice(texts: $texts, title: $t, body: $b, byEmail: true, bySms: true) { id texts { language title body } } }`;
    const texts = [
      { language: 'KK', title: 'Жөндеу жұмыстары', body: '1 желтоқсан түнінде байланыс үзілуі мүмкін' },
      { language: 'RU', title: 'Плановые работы', body: 'В ночь на 1 декабря возможны перерывы связи' },
      { language: 'EN', title: 'Maintenance', body: 'The network may be down on the night of 1 December' },
    ];
    const queued = await h.gql(TEXTS, { texts }, { token: operator });
    expect(queued.errors).toBeUndefined();
    expect(queued.data!.broadcastNotice.texts).toEqual(texts);
    const id = queued.data!.broadcastNotice.id;
    await finished(id);
    const aigerim = await h.token(AIGERIM.msisdn);
    const read = async (token: string, language: string) => {
      const page = await h.gql('{ me { notifications(first: 10) { edges { node { title body } } } } }', {}, { token, language });
      return page.data!.me.notifications.edges.map((e: { node: { title: string; body: string } }) => e.node).find((n: { title: string }) => texts.some((t) => t.title === n.title));
    };
    expect(await read(aigerim, 'kk')).toEqual({ title: texts[0]!.title, body: texts[0]!.body });
    expect(await read(aigerim, 'ru')).toEqual({ title: texts[1]!.title, body: texts[1]!.body });
    expect(await read(aigerim, 'en')).toEqual({ title: texts[2]!.title, body: texts[2]!.body });
    // Kept once with the broadcast, not in each subscriber's row; the row holds the subscriber's own language as delivered.
    const nurlanRow = await h.runtime.database.manager.findOneByOrFail(CabinetNotificationEntity, { subscriberId: NURLAN.id, dedupeKey: `broadcast:${id}` });
    expect(nurlanRow).toMatchObject({ title: texts[0]!.title, texts: null, broadcastId: id });
    // E-mail and SMS go out in each subscriber's language (Aigerim ru, Steppe en, Nurlan kk).
    expect((await h.waitForMail(AIGERIM.email, (m) => m.subject === texts[1]!.title)).text).toContain(texts[1]!.body);
    expect((await h.waitForMail(STEPPE.email, (m) => m.subject === texts[2]!.title)).text).toContain(texts[2]!.body);
    await h.waitForSms(NURLAN.msisdn, new RegExp(`^Beeline: ${texts[0]!.title}\\. `));

    // Languages not given take the one title and body.
    const partial = await h.gql(TEXTS, { texts: [texts[0]], t: 'Works tonight', b: 'Short interruptions' }, { token: operator });
    await finished(partial.data!.broadcastNotice.id);
    expect(partial.data!.broadcastNotice.texts.map((t: { language: string; title: string }) => [t.language, t.title])).toEqual([
      ['KK', texts[0]!.title],
      ['RU', 'Works tonight'],
      ['EN', 'Works tonight'],
    ]);
    expect((await read(aigerim, 'kk'))?.title).toBe(texts[0]!.title);
  });

  it('refuses per-language texts that leave a language without a text, repeat a language, or are empty or too long', async () => {
    const Q = 'mutation ($texts: [NoticeTextInput!], $t: String, $b: String) { broadcastNotice(texts: $texts, title: $t, body: $b) { id } }';
    const kk = { language: 'KK', title: 'Тақырып', body: 'Мәтін' };
    const cases: [Record<string, unknown>, string][] = [
      [{ texts: [kk] }, 'texts'],
      [{ texts: [kk, { ...kk }] , t: 'x', b: 'y' }, 'texts'],
      [{ texts: [kk, { language: 'RU', title: ' ', body: 'b' }, { language: 'EN', title: 't', body: 'b' }] }, 'texts'],
      [{ texts: [kk, { language: 'RU', title: 't', body: 'b'.repeat(4001) }, { language: 'EN', title: 't', body: 'b' }] }, 'texts'],
      [{}, 'title'],
      [{ t: 'only a title' }, 'body'],
      [{ texts: [] }, 'title'],
    ];
    for (const [variables, field] of cases) {
      const refused = await h.gql(Q, variables, { token: operator });
      expect({ code: code(refused), field: refused.errors?.[0]?.extensions?.field }).toEqual({ code: 'BAD_USER_INPUT', field });
    }
    expect(code(await h.gql(Q, { texts: [{ language: 'DE', title: 't', body: 'b' }], t: 'x', b: 'y' }, { token: operator }))).toBe('BAD_USER_INPUT');
    // The message of the refusal is in the caller's language too.
    expect((await h.gql(Q, { texts: [kk] }, { token: operator, language: 'kk' })).errors?.[0]?.message).toMatch(/қазақ, орыс және ағылшын/);
  });

  it('other services may give a notice per language over the internal API; each reader reads theirs', async () => {
    const key = `internal-${randomUUID()}`;
    const texts = [
      { language: 'KK', title: 'Сұраныс', body: 'Нөміріңізді басқару сұранысы' },
      { language: 'EN', title: 'Request', body: 'A request to manage your number' },
    ];
    const sent = await h.internal('/internal/notices', { body: { subscriberId: STEPPE.id, title: 'Запрос', body: 'Запрос на управление номером', texts, key } });
    expect(sent.status).toBe(200);
    const token = await h.token(STEPPE.msisdn);
    const titles = async (language: string) =>
      ((await h.gql('{ me { notifications(first: 20) { edges { node { title } } } } }', {}, { token, language })).data!.me.notifications.edges as { node: { title: string } }[]).map((e) => e.node.title);
    expect(await titles('kk')).toContain('Сұраныс');
    expect(await titles('en')).toContain('Request');
    expect(await titles('ru')).toContain('Запрос');
    const bad = await h.internal('/internal/notices', { body: { subscriberId: STEPPE.id, texts: [{ language: 'KK', title: 'x', body: 'y' }] } });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { field: string } }).error.field).toBe('texts');
    expect((await h.internal('/internal/notices', { body: { subscriberId: STEPPE.id, title: 't', body: 'b', texts: 'all' } })).status).toBe(400);
    expect((await h.internal('/internal/notices', { body: { subscriberId: STEPPE.id, title: 't', body: 'b', texts: [{ language: 'KK', title: 1, body: 'b' }] } })).status).toBe(400);
  });

  it('notifications: newest first, paged with cursors, marked read by their owner only', async () => {
    const token = await h.token(AIGERIM.msisdn);
    for (const title of ['First', 'Second', 'Third']) {
      h.clock.advance(1000);
      await h.runtime.database.transaction((m) => h.services.notices.notify(m, AIGERIM.id, { title, body: `${title} body`, key: `test-${title}` }));
    }
    // The same key again leaves one notification (idempotent delivery).
    await h.runtime.database.transaction((m) => h.services.notices.notify(m, AIGERIM.id, { title: 'Third', body: 'again', key: 'test-Third' }));

    const page1 = await h.gql(NOTIFICATIONS, { first: 2 }, { token });
    expect(page1.errors).toBeUndefined();
    const c1 = page1.data!.me.notifications;
    expect(c1.edges.map((e: { node: { title: string } }) => e.node.title)).toEqual(['Third', 'Second']);
    expect(c1.pageInfo.hasNextPage).toBe(true);
    const page2 = await h.gql(NOTIFICATIONS, { first: 2, after: c1.pageInfo.endCursor }, { token });
    const titles2 = page2.data!.me.notifications.edges.map((e: { node: { title: string } }) => e.node.title);
    expect(titles2[0]).toBe('First');

    const id = c1.edges[0].node.id;
    h.clock.advance(1000);
    const read = await h.gql('mutation ($id: ID!) { markNotificationRead(id: $id) { id read } }', { id }, { token });
    expect(read.data).toEqual({ markNotificationRead: { id, read: true } });
    expect((await h.gql(NOTIFICATIONS, { first: 1 }, { token })).data!.me.notifications.edges[0].node.read).toBe(true);

    // Somebody else's notification is as good as unknown (terms 2.5); so is a made-up id.
    const nurlan = await h.token(NURLAN.msisdn);
    for (const other of [id, randomUUID()]) {
      const refused = await h.gql('mutation ($id: ID!) { markNotificationRead(id: $id) { id } }', { id: other }, { token: nurlan });
      expect(code(refused)).toBe('NOT_FOUND');
    }
  });

  it('refuses a bad page size or cursor with BAD_USER_INPUT', async () => {
    const token = await h.token(AIGERIM.msisdn);
    // A well-formed cursor whose key is no timestamp was not made by us: refused, not read as an empty page.
    const forged = Buffer.from(JSON.stringify({ k: 'abc', id: 'x' })).toString('base64url');
    const outOfRange = Buffer.from(JSON.stringify({ k: 1e20, id: 'x' })).toString('base64url');
    for (const variables of [{ first: 0 }, { first: 101 }, { first: 5, after: 'not-a-cursor' }, { first: 5, after: forged }, { first: 5, after: outOfRange }]) {
      const refused = await h.gql(NOTIFICATIONS, variables, { token });
      expect(code(refused)).toBe('BAD_USER_INPUT');
      expect(refused.errors?.[0]?.extensions?.field).toBe(variables.after ? 'after' : 'first');
    }
  });

  it('delivery is batched, survives a worker that dies mid-way (resumes after the last committed batch) and never gives anyone a second copy', async () => {
    // The service's own worker is stopped: two workers are driven by hand, the first one "crashes" after one batch.
    await h.services.broadcasts.stop();
    const now = h.clock.now();
    const extra = Array.from({ length: 23 }, (_, i) => ({
      id: randomUUID(),
      kind: 'MOBILE' as const,
      partyType: 'INDIVIDUAL' as const,
      msisdn: `+7701${String(5550000 + i)}`,
      login: `+7701${String(5550000 + i)}`,
      language: 'RU' as const,
      email: null,
      emailVerifiedAt: null,
      verifiedEmail: null,
      notifyBy: ['CABINET'],
      accessStatus: (i === 0 ? 'TERMINATED' : 'ACTIVE') as 'TERMINATED' | 'ACTIVE',
      accessReason: null,
      accessChangedAt: now,
      debtOutstanding: false,
      registered: false,
      registeredAt: null,
      passwordKdf: null,
      passwordHash: null,
      passwordSetAt: null,
      pendingPasswordHash: null,
      pendingPasswordExpiresAt: null,
      contractEndedAt: i === 0 ? now : null,
      erasedAt: null,
      createdAt: now,
      updatedAt: now,
    }));
    await h.runtime.database.transaction((m) => m.insert(SubscriberEntity, extra));
    const reachable = 5 + extra.length - 1; // the terminated contract has no cabinet (terms 3.3)

    const job = await h.runtime.database.transaction((m) =>
      h.services.broadcasts.enqueue(m, { purpose: 'NOTICE', title: 'Resumable', body: 'b', texts: null, kindFilter: null, byEmail: false, bySms: false, termsVersion: null, createdBy: null }),
    );
    const options = { batchSize: 10, leaseMs: 30_000, pollMs: 60_000 };
    const first = new BroadcastWorker(h.runtime, h.services.consents, h.services.mailer, options);
    const second = new BroadcastWorker(h.runtime, h.services.consents, h.services.mailer, options);

    expect((await first.claim())!.id).toBe(job.id);
    expect(await first.processBatch(job.id)).toBe('more');
    const afterCrash = await h.runtime.database.manager.findOneByOrFail(NoticeBroadcastEntity, { id: job.id });
    expect(afterCrash).toMatchObject({ status: 'RUNNING', delivered: 10, leaseOwner: first.workerId });

    // While the first worker's lease runs, nobody else takes the job.
    expect(await second.claim()).toBeNull();
    expect(await second.processBatch(job.id)).toBe('lost');
    h.clock.advance(options.leaseMs + 1);
    expect((await second.claim())!.id).toBe(job.id);
    // The first worker wakes up: the job is no longer its own.
    expect(await first.processBatch(job.id)).toBe('lost');
    let outcome = await second.processBatch(job.id);
    while (outcome === 'more') outcome = await second.processBatch(job.id);
    expect(outcome).toBe('done');

    const done = await h.runtime.database.manager.findOneByOrFail(NoticeBroadcastEntity, { id: job.id });
    expect(done).toMatchObject({ status: 'DONE', delivered: reachable, leaseOwner: null });
    const rows = await h.runtime.database.manager.findBy(CabinetNotificationEntity, { dedupeKey: `broadcast:${job.id}` });
    expect(rows).toHaveLength(reachable);
    expect(new Set(rows.map((r) => r.subscriberId)).size).toBe(reachable);
    expect(rows.some((r) => r.subscriberId === extra[0]!.id)).toBe(false);

    // Delivering the same job again from the start (e.g. a lost cursor) adds nothing: one copy per subscriber.
    await h.runtime.database.transaction((m) => m.update(NoticeBroadcastEntity, { id: job.id }, { status: 'PENDING', lastSubscriberId: null, leaseOwner: null, leaseUntil: null }));
    expect(await second.drain()).toBe(1);
    expect(await h.runtime.database.manager.countBy(CabinetNotificationEntity, { dedupeKey: `broadcast:${job.id}` })).toBe(reachable);
    expect(await h.runtime.database.manager.countBy(CabinetNotificationEntity, { subscriberId: In([AIGERIM.id, STEPPE.id]), dedupeKey: `broadcast:${job.id}` })).toBe(2);
  });
});

describe('notification preferences (terms 5.1)', () => {
  const h = suiteFixture(() => IdentityHarness.start({ clock: new ManualClock(new Date()) }));

  it('notifyBy defaults to the cabinet; setNotifyBy keeps a fixed order without duplicates and is recorded', async () => {
    const token = await h.token(AIGERIM.msisdn, undefined, 'MOBILE_APP');
    expect((await h.gql('{ me { notifyBy } }', {}, { token })).data).toEqual({ me: { notifyBy: ['CABINET'] } });
    const set = await h.gql('mutation { setNotifyBy(channels: [SMS, EMAIL, SMS]) }', {}, { token });
    expect(set.data).toEqual({ setNotifyBy: ['EMAIL', 'SMS'] });
    expect((await h.gql('{ me { notifyBy } }', {}, { token })).data).toEqual({ me: { notifyBy: ['EMAIL', 'SMS'] } });
    const activity = (language: string) => h.gql('{ me { activity(first: 1) { edges { node { action details channel } } } } }', {}, { token, language });
    expect((await activity('en')).data!.me.activity.edges[0].node).toEqual({ action: 'NOTIFY_BY_CHANGED', details: 'CABINET -> EMAIL,SMS', channel: 'MOBILE_APP' });
    expect((await activity('ru')).data!.me.activity.edges[0].node.details).toBe('кабинет → e-mail, SMS');
  });

  it('EMAIL needs a verified e-mail address: BAD_USER_INPUT on channels otherwise; an empty list is refused too', async () => {
    const nurlan = await h.token(NURLAN.msisdn); // no e-mail at all
    const refused = await h.gql('mutation { setNotifyBy(channels: [CABINET, EMAIL]) }', {}, { token: nurlan });
    expect(code(refused)).toBe('BAD_USER_INPUT');
    expect(refused.errors![0]!.extensions!.field).toBe('channels');
    const empty = await h.gql('mutation { setNotifyBy(channels: []) }', {}, { token: nurlan });
    expect(code(empty)).toBe('BAD_USER_INPUT');
    expect(empty.errors![0]!.extensions!.field).toBe('channels');
    expect(code(await h.gql('mutation { setNotifyBy(channels: [FAX]) }', {}, { token: nurlan }))).toBe('BAD_USER_INPUT');
    expect(code(await h.gql('mutation { setNotifyBy(channels: [SMS]) }'))).toBe('UNAUTHENTICATED');
    expect((await h.gql('mutation { setNotifyBy(channels: [SMS]) }', {}, { token: nurlan })).data).toEqual({ setNotifyBy: ['SMS'] });
    // A Home Internet contract has no mobile number to text (terms 1): SMS is refused, e-mail is fine.
    const home = await h.token(HOME.login, DEMO_PASSWORD, 'WEB');
    const sms = await h.gql('mutation { setNotifyBy(channels: [SMS]) }', {}, { token: home });
    expect(code(sms)).toBe('BAD_USER_INPUT');
    expect(sms.errors![0]!.extensions!.field).toBe('channels');
    expect((await h.gql('mutation { setNotifyBy(channels: [EMAIL]) }', {}, { token: home })).data).toEqual({ setNotifyBy: ['EMAIL'] });
  });

  it('delegation reads the owner preferences over the internal API (terms 5.1), with the internal token only', async () => {
    const response = await h.internal('/internal/notify-preferences', { body: { subscriberIds: [AIGERIM.id, NURLAN.id, randomUUID()] } });
    expect(response.status).toBe(200);
    const body = (await response.json()) as { subscribers: { subscriberId: string; notifyBy: string[]; email: string | null }[] };
    expect(body.subscribers).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ subscriberId: AIGERIM.id, notifyBy: ['EMAIL', 'SMS'], email: AIGERIM.email, msisdn: AIGERIM.msisdn, registered: true }),
        expect.objectContaining({ subscriberId: NURLAN.id, notifyBy: ['SMS'], email: null }),
      ]),
    );
    expect(body.subscribers).toHaveLength(2);
    expect((await h.internal('/internal/notify-preferences', { body: { subscriberIds: [AIGERIM.id] }, token: 'nope' })).status).toBe(401);
    expect((await h.internal('/internal/notify-preferences', { body: { subscriberIds: 'all' } })).status).toBe(400);
  });

  it('serves its internal routes as their contracts (shared/src/contracts/identity-api.ts) declare them', async () => {
    const { internal } = h.runtime;
    const { subscribers } = await internal.call(notifyPreferences, { subscriberIds: [NURLAN.id] });
    expect(subscribers).toEqual([expect.objectContaining({ subscriberId: NURLAN.id, msisdn: NURLAN.msisdn, language: 'KK', registered: true })]);
    const key = `contract-${randomUUID()}`;
    const texts = [
      { language: 'KK' as const, title: 'Хабар', body: 'Мәтін' },
      { language: 'RU' as const, title: 'Сообщение', body: 'Текст' },
      { language: 'EN' as const, title: 'Message', body: 'Text' },
    ];
    expect(await internal.call(cabinetNotice, { subscriberId: NURLAN.id, texts, key })).toEqual({ ok: true });
    expect(await internal.call(cabinetNotice, { subscriberId: NURLAN.id, texts, key })).toEqual({ ok: true });
    expect(await h.runtime.database.manager.countBy(CabinetNotificationEntity, { subscriberId: NURLAN.id, dedupeKey: key })).toBe(1);
    // A notice that leaves a language without text fits the route's shape but not identity's rule: refused, as the caller sees it.
    const refused = await internal.call(cabinetNotice, { subscriberId: NURLAN.id, texts: texts.slice(0, 2) }).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(DomainError);
    // Out of the route's shape, or over its body limit: refused as the caller's mistake, nothing stored.
    const four = await h.internal('/internal/notices', { body: { subscriberId: NURLAN.id, texts: [...texts, texts[0]], key: `${key}-4` } });
    expect([four.status, ((await four.json()) as { error: { code: string; field: string } }).error]).toEqual([400, expect.objectContaining({ code: 'BAD_USER_INPUT', field: 'texts' })]);
    const huge = await h.internal('/internal/notices', { body: { subscriberId: NURLAN.id, title: 't', body: 'b', key: `${key}-huge`, padding: 'x'.repeat(70_000) } });
    expect(huge.status).toBe(413);
    expect(await h.runtime.database.manager.countBy(CabinetNotificationEntity, { subscriberId: NURLAN.id, dedupeKey: In([`${key}-4`, `${key}-huge`]) })).toBe(0);
  });

  it("delivers another service's SubscriberNotificationRequested: in the cabinet and per notifyBy, in the subscriber's language, once per key (terms 2.8, 5.1)", async () => {
    const nurlan = await h.token(NURLAN.msisdn);
    expect((await h.gql('mutation { setNotifyBy(channels: [CABINET, SMS]) }', {}, { token: nurlan })).errors).toBeUndefined();
    const texts = {
      KK: { title: 'Төлем қабылданды', body: '5000.00 ₸ шотқа түсті' },
      RU: { title: 'Платёж принят', body: '5000.00 ₸ зачислено на счёт' },
      EN: { title: 'Payment received', body: '5000.00 KZT credited' },
    };
    const request = (id: number, key: string, extra: Record<string, unknown> = {}) => ({
      stream: 'billing', id, type: 'SubscriberNotificationRequested', occurredAt: h.clock.now().toISOString(),
      payload: { subscriberId: NURLAN.id, key, texts, ...extra },
    });
    const smsBefore = h.sms(NURLAN.msisdn).length;
    // the same key twice (a producer's retry), and the same event redelivered
    await h.platform.bus.publish('billing', [request(9001, 'payment:p1:succeeded'), request(9002, 'payment:p1:succeeded'), request(9001, 'payment:p1:succeeded')]);
    await h.platform.bus.publish('billing', [request(9003, 'payment:p2:cabinet', { delivery: 'CABINET' }), { ...request(9004, 'x'), payload: { subscriberId: NURLAN.id, key: 'bad' } }]);
    await h.drainOutbox();
    const rows = await waitFor(async () => {
      const found = await h.database.manager.find(CabinetNotificationEntity, { where: { subscriberId: NURLAN.id, dedupeKey: In(['billing:payment:p1:succeeded', 'billing:payment:p2:cabinet']) } });
      return found.length === 2 ? found : undefined;
    }, 10_000, 'two requested notices');
    // Nurlan reads Kazakh; the texts of every language are kept for readers of others.
    expect(rows.map((r) => r.title).sort()).toEqual(['Төлем қабылданды', 'Төлем қабылданды']);
    const texts2 = await h.gql('{ me { notifications(first: 20) { edges { node { title body } } } } }', {}, { token: nurlan, language: 'en' });
    expect(texts2.data!.me.notifications.edges.map((e: { node: { title: string } }) => e.node.title)).toContain('Payment received');
    // SMS once, for the PREFERENCES delivery only; the malformed request was skipped.
    const sms = await h.waitForSms(NURLAN.msisdn, /Төлем қабылданды/, smsBefore);
    expect(sms).toHaveLength(1);
    await h.drainOutbox();
    expect(h.sms(NURLAN.msisdn).slice(smsBefore).map((m) => m.text)).toEqual(['Төлем қабылданды: 5000.00 ₸ шотқа түсті']);
  });
});
