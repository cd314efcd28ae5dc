import { NUMBER_QUARANTINE_MS, OutboxEventEntity, PersonalDataErasure, mentionsUntil, msisdnMention, redactOutboxMentions } from '../src';
import { OpenedDatabase, openEventDatabase } from './event-fixtures';

/** terms 2.11: the kit's part of an erasure — erasers in order, then the outbox cleaned of what they found. */
describe('personal data erasure kit (terms 2.11)', () => {
  let db: OpenedDatabase;
  const now = new Date('2030-01-01T00:00:00Z');
  beforeEach(async () => {
    db = await openEventDatabase('erasure');
  });
  afterEach(async () => {
    await db.close();
  });

  const endedAt = new Date(now.getTime() - 3 * 366 * 24 * 3600_000);
  const row = (type: string, payload: Record<string, unknown>, published: boolean, occurredAt = endedAt) => ({
    stream: 'billing',
    type,
    // simple-json: typeorm's partial-entity type does not follow an unknown-valued record.
    payload: payload as never,
    occurredAt,
    publishSeq: null,
    publishedAt: published ? now : null,
    attempts: 0,
    nextAttemptAt: null,
    lastError: null,
    abandonedAt: null,
  });

  it('finds every stored form of a number by its national digits', () => {
    expect(msisdnMention('+77051234567')).toBe('7051234567');
    for (const form of ['+77051234567', '77051234567', '87051234567', '7051234567']) expect(form).toContain(msisdnMention('+77051234567'));
    expect(msisdnMention('')).toBeNull();
  });

  it('redacts published rows and gives up unsent notifications that name a mention; other rows and unsent events stay', async () => {
    const m = db.database.manager;
    await m.insert(OutboxEventEntity, [
      row('ActivityRecorded', { details: 'Transfer to +77051234567' }, true),
      row('notification.sms', { to: '+77051234567', text: 'code 123456' }, false),
      row('BalanceChanged', { details: 'to 7051234567' }, false),
      row('ActivityRecorded', { details: 'Transfer to +77071112233' }, true),
      // "_" and "%" in an address match themselves only, not any character.
      row('notification.email', { to: 'aXgerim@example.kz' }, false),
      row('notification.email', { to: 'a_gerim@example.kz' }, false),
      // The number's next holder, after the quarantine: theirs, not the erased subscriber's.
      row('notification.sms', { to: '+77051234567', text: 'your password' }, false, now),
      row('ActivityRecorded', { details: 'Transfer to +77051234567' }, true, new Date(endedAt.getTime() + NUMBER_QUARANTINE_MS + 1)),
    ]);
    const until = mentionsUntil({ contractEndedAt: endedAt });
    await db.database.transaction((manager) => redactOutboxMentions(manager, ['7051234567', 'a_gerim@example.kz', '12'], until, now));
    const rows = await m.find(OutboxEventEntity, { order: { id: 'ASC' } });
    expect(rows.map((r) => [r.payload, r.abandonedAt?.toISOString() ?? null])).toEqual([
      [{ redacted: true, reason: 'terms 2.11' }, null],
      [{ redacted: true, reason: 'terms 2.11' }, now.toISOString()],
      // Its consumers still need it; the relay's retention deletes it days after it went out.
      [{ details: 'to 7051234567' }, null],
      [{ details: 'Transfer to +77071112233' }, null],
      [{ to: 'aXgerim@example.kz' }, null],
      [{ redacted: true, reason: 'terms 2.11' }, now.toISOString()],
      [{ to: '+77051234567', text: 'your password' }, null],
      [{ details: 'Transfer to +77051234567' }, null],
    ]);
  });

  it('runs the erasers in registration order in the caller transaction, each told what the earlier ones found; twice is the same', async () => {
    const erasure = new PersonalDataErasure();
    const seen: string[][] = [];
    erasure.register('lines', async (_m, subject) => {
      subject.mentions.add('7051234567');
    });
    erasure.register('transfers', async (_m, subject) => {
      seen.push([...subject.mentions]);
    });
    expect(() => erasure.register('lines', async () => undefined)).toThrow(/twice/);
    expect(erasure.names).toEqual(['lines', 'transfers']);
    await db.database.manager.insert(OutboxEventEntity, row('ActivityRecorded', { details: 'Transfer to +77051234567' }, true));
    for (let i = 0; i < 2; i += 1) {
      const subject = await db.database.transaction((manager) => erasure.erase(manager, { subscriberId: 'sub-1', contractEndedAt: endedAt, erasedAt: now }));
      expect([...subject.mentions]).toEqual(['7051234567']);
    }
    expect(seen).toEqual([['7051234567'], ['7051234567']]);
    expect((await db.database.manager.find(OutboxEventEntity))[0]!.payload).toEqual({ redacted: true, reason: 'terms 2.11' });
  });
});
