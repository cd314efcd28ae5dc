import { randomUUID } from 'node:crypto';
import { In } from 'typeorm';
import { DEMO_PASSWORD, ManualClock } from '@selfcare/shared';
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

    // Somebody else's notification is as good as unknown (2.5); so is a made-up id.
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
    const reachable = 5 + extra.length - 1; // the terminated contract has no cabinet (3.3)

    const job = await h.runtime.database.transaction((m) =>
      h.services.broadcasts.enqueue(m, { purpose: 'NOTICE', title: 'Resumable', body: 'b', kindFilter: null, byEmail: false, bySms: false, termsVersion: null, createdBy: null }),
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
    const activity = await h.gql('{ me { activity(first: 1) { edges { node { action details channel } } } } }', {}, { token });
    expect(activity.data!.me.activity.edges[0].node).toEqual({ action: 'NOTIFY_BY_CHANGED', details: 'CABINET -> EMAIL,SMS', channel: 'MOBILE_APP' });
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
    // A Home Internet contract has no mobile number to text (terms section 1): SMS is refused, e-mail is fine.
    const home = await h.token(HOME.login, DEMO_PASSWORD, 'WEB');
    const sms = await h.gql('mutation { setNotifyBy(channels: [SMS]) }', {}, { token: home });
    expect(code(sms)).toBe('BAD_USER_INPUT');
    expect(sms.errors![0]!.extensions!.field).toBe('channels');
    expect((await h.gql('mutation { setNotifyBy(channels: [EMAIL]) }', {}, { token: home })).data).toEqual({ setNotifyBy: ['EMAIL'] });
  });

  it('delegation reads the owner preferences over the internal API (5.1), with the internal token only', async () => {
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
});
