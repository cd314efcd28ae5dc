import { EntityManager, In, MoreThan } from 'typeorm';
import {
  TokenVerifier,
  liveAccessCheck,
  Database,
  FeedWakeups,
  GraphQLContext,
  Logger,
  badInput,
  decodeCursor,
  encodeCursor,
  liveFeed,
  requireSubscriber,
} from '@selfcare/shared';
import { FeedKind, ManagementFeedEntity, ManagementFeedHeadEntity, ManagementRequestEntity, ManagementStatus } from './entities';
import type { ManagementRequest } from './types';

/** The feed key of a subscriber: what a change of a request they are party to wakes. */
export const feedKey = (subscriberId: string) => `management:${subscriberId}`;

export interface FeedEntry {
  subscriberId: string;
  kind: FeedKind;
  requestId: string;
  status: ManagementStatus;
}

/** A request as a subscription event shows it: as it was at that change (its status then), with the feed position. */
export type PresentRequest = (row: ManagementRequestEntity, options: { status: ManagementStatus; cursor: string }) => ManagementRequest;

/**
 * Each subscriber's feed of request changes, behind `managementRequestReceived` (new requests for the owner's number)
 * and `managementRequestUpdated` (every change of a request one is party to). Rows are numbered per subscriber: a writer
 * first bumps the subscriber's head row in its transaction, so the row lock orders writers and every number is visible
 * only after all smaller ones of that subscriber committed — a reader that has seen number n has missed nothing below
 * it. A cursor is `{k: seq, id: subscriberId}`: the same for both subscriptions, and nobody else's is accepted.
 */
export class ManagementFeed {
  constructor(
    private readonly database: Database,
    private readonly verifier: TokenVerifier,
    private readonly logger: Logger,
    private readonly wakeups: FeedWakeups,
  ) {
    wakeups.wakeOn('ManagementRequestChanged', (payload) =>
      [payload.requesterId, payload.ownerId].filter((id): id is string => typeof id === 'string').map(feedKey),
    );
  }

  /** On SQLite a read outside `transaction()` could see a change that is still open and may roll back. */
  private read<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    return this.database.dialect === 'sqlite' ? this.database.transaction(work) : work(this.database.manager);
  }

  private async bump(manager: EntityManager, subscriberId: string, by: number): Promise<void> {
    const sql =
      this.database.dialect === 'sqlite'
        ? 'INSERT INTO management_feed_heads (subscriber_id, last_seq) VALUES (?, ?) ON CONFLICT (subscriber_id) DO UPDATE SET last_seq = last_seq + excluded.last_seq'
        : 'INSERT INTO management_feed_heads (subscriber_id, last_seq) VALUES (?, ?) ON DUPLICATE KEY UPDATE last_seq = last_seq + VALUES(last_seq)';
    await manager.query(sql, [subscriberId, by]);
  }

  /**
   * Takes these subscribers' head rows for the rest of the transaction (in one order, so two writers never wait on
   * each other crosswise): what is decided under them — a rate limit, "is there an open request" — holds until commit.
   */
  async lock(manager: EntityManager, subscriberIds: string[]): Promise<void> {
    for (const id of [...new Set(subscriberIds)].sort()) await this.bump(manager, id, 0);
  }

  /** Appends these entries, numbered after each subscriber's head. */
  async append(manager: EntityManager, entries: FeedEntry[], at: Date): Promise<void> {
    if (entries.length === 0) return;
    const counts = new Map<string, number>();
    for (const entry of entries) counts.set(entry.subscriberId, (counts.get(entry.subscriberId) ?? 0) + 1);
    const ids = [...counts.keys()].sort();
    for (const id of ids) await this.bump(manager, id, counts.get(id)!);
    const heads = await manager.find(ManagementFeedHeadEntity, { where: { subscriberId: In(ids) } });
    const next = new Map(heads.map((head) => [head.subscriberId, head.lastSeq - counts.get(head.subscriberId)!]));
    const rows = entries.map((entry) => {
      const seq = next.get(entry.subscriberId)! + 1;
      next.set(entry.subscriberId, seq);
      return { subscriberId: entry.subscriberId, seq, requestId: entry.requestId, kind: entry.kind, status: entry.status, at };
    });
    await manager.insert(ManagementFeedEntity, rows);
  }

  /** The subscriber's newest position: where a subscription without `after` starts, and the lists' cursor. */
  async head(subscriberId: string, manager?: EntityManager): Promise<number> {
    const read = (m: EntityManager) => m.findOne(ManagementFeedHeadEntity, { where: { subscriberId } });
    const head = manager ? await read(manager) : await this.read(read);
    return head?.lastSeq ?? 0;
  }

  cursor(subscriberId: string, seq: number): string {
    return encodeCursor({ k: seq, id: subscriberId });
  }

  /**
   * Entries of `kind` after the caller's `after` (missed while disconnected), then each new one as it commits; woken by
   * the outbox's `ManagementRequestChanged` (or the service's safety poll), never polling per subscription. The caller's
   * token is checked again before each event: a revoked token ends the stream.
   */
  async subscribe(ctx: GraphQLContext, kind: FeedKind, after: string | null | undefined, present: PresentRequest): Promise<AsyncIterableIterator<ManagementRequest>> {
    const subscriberId = requireSubscriber(ctx).subscriberId;
    const head = await this.head(subscriberId);
    const cursor = decodeCursor(after);
    let start = head;
    if (cursor) {
      const seq = cursor.k;
      // Another subscriber's cursor, or a position this feed never reached, is no place to resume from.
      if (cursor.id !== subscriberId || typeof seq !== 'number' || !Number.isInteger(seq) || seq < 0 || seq > head) throw badInput('after', { KK: 'Курсор қате', RU: 'Неверный курсор', EN: 'Invalid cursor' });
      start = seq;
    }
    const rows = liveFeed<{ entry: ManagementFeedEntity; request: ManagementRequestEntity }, number>({
      startAt: async () => start,
      fetchAfter: (seq, limit) =>
        this.read(async (manager) => {
          const entries = await manager.find(ManagementFeedEntity, { where: { subscriberId, kind, seq: MoreThan(seq ?? 0) }, order: { seq: 'ASC' }, take: limit });
          if (entries.length === 0) return [];
          const requests = await manager.find(ManagementRequestEntity, { where: { id: In([...new Set(entries.map((e) => e.requestId))]) } });
          const byId = new Map(requests.map((r) => [r.id, r]));
          return entries.filter((entry) => byId.has(entry.requestId)).map((entry) => ({ entry, request: byId.get(entry.requestId)! }));
        }),
      cursorOf: (row) => row.entry.seq,
      wakeups: this.wakeups,
      key: feedKey(subscriberId),
      onError: (error) => this.logger.warn({ err: error }, 'management feed read failed; retrying'),
    });
    const stillAllowed = liveAccessCheck(ctx, this.verifier);
    const events: AsyncIterableIterator<ManagementRequest> = {
      next: async () => {
        const next = await rows.next();
        if (next.done) return { done: true, value: undefined };
        await stillAllowed().catch(async (error) => {
          await rows.return?.();
          throw error;
        });
        const { entry, request } = next.value;
        return { done: false, value: present(request, { status: entry.status, cursor: this.cursor(subscriberId, entry.seq) }) };
      },
      return: async () => {
        await rows.return?.();
        return { done: true, value: undefined };
      },
      [Symbol.asyncIterator]: () => events,
    };
    return events;
  }
}
