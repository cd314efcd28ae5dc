import { Field, ObjectType } from 'type-graphql';
import { EntityManager, MoreThan } from 'typeorm';
import {
  TokenVerifier,
  liveAccessCheck,
  Database,
  ErrorCode,
  FeedWakeups,
  GraphQLContext,
  Logger,
  Money,
  AccessPolicy,
  badInput,
  decodeCursor,
  encodeCursor,
  liveFeed,
  requireSubscriber,
} from '@selfcare/shared';
import { BillingError } from '../errors';
import { AccountEntity, LedgerEntryEntity } from './entities';
import type { RecentLedgerEntries } from './recent-entries';
import { LedgerEntry, Subscriber, toLedgerEntry } from './types';

/** The feed key of an account: what a posting's BalanceChanged event wakes. */
const accountKey = (accountId: string) => `account:${accountId}`;

@ObjectType({ description: 'terms 2.1: a change of the personal account balance, pushed to real-time clients' })
export class BalanceChange {
  @Field(() => Subscriber)
  subscriber: Subscriber;

  @Field(() => Money)
  balance: Money;

  @Field(() => Money)
  delta: Money;

  @Field(() => LedgerEntry)
  entry: LedgerEntry;

  @Field(() => String, { description: 'Give it as `after` when resubscribing to get what was missed' })
  cursor: string;
}

/**
 * `balanceChanged`: the account's ledger entries after the client's cursor, then each new one as it is posted.
 * The ledger is the source, so a reconnecting client misses nothing and every replica sees every entry; the feed
 * reads it only when a posting to the account commits (its BalanceChanged outbox event wakes the feed) or the
 * service's shared safety poll says so. The caller's token is checked before each event (`liveAccessCheck`) and the
 * right to the number when its grant ends (GrantWatch): a revoked token (access status change) or an ended
 * management grant (terms 4.4) ends the stream.
 */
export class BalanceFeed {
  constructor(
    private readonly database: Database,
    private readonly accessPolicy: AccessPolicy,
    private readonly verifier: TokenVerifier,
    private readonly logger: Logger,
    private readonly wakeups: FeedWakeups,
    /** entries this process just committed: a posting's own feed event needs no read */
    private readonly recent?: RecentLedgerEntries,
  ) {
    wakeups.wakeOn('BalanceChanged', (payload) => (typeof payload.accountId === 'string' ? [accountKey(payload.accountId)] : []));
  }

  /**
   * On SQLite every transaction shares one connection: a read outside `transaction()` could see a posting that is
   * still open and may roll back. Queued behind the writers, it sees only committed entries.
   */
  private read<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    return this.database.dialect === 'sqlite' ? this.database.transaction(work) : work(this.database.manager);
  }

  async subscribe(ctx: GraphQLContext, subscriberId: string, after: string | null | undefined): Promise<AsyncIterableIterator<BalanceChange>> {
    requireSubscriber(ctx);
    await this.accessPolicy.assertMayManage(ctx, subscriberId);
    const account = await this.read((manager) => manager.findOne(AccountEntity, { where: { subscriberId } }));
    if (!account) throw new BillingError(ErrorCode.NOT_FOUND);
    // `after` is a ledger entry's cursor: one from an earlier balanceChanged event or from `account.entries`,
    // so a client can load the ledger and then subscribe from its newest entry without a gap.
    const cursor = decodeCursor(after);
    if (cursor) {
      const { id, k: seq } = cursor;
      const entry =
        typeof seq === 'number' && Number.isInteger(seq)
          ? await this.read((manager) => manager.findOne(LedgerEntryEntity, { where: { id, accountId: account.id, seq } }))
          : null;
      if (!entry) throw badInput('after');
    }
    // Without a cursor the feed starts at the account's newest entry as of now; the account row just read has it.
    const start = cursor ? (cursor.k as number) : account.lastEntrySeq;
    const rows = liveFeed<LedgerEntryEntity, number>({
      startAt: async () => start,
      fetchAfter: async (seq, limit) =>
        this.recent?.after(account.id, seq ?? 0, limit) ??
        this.read((manager) => manager.find(LedgerEntryEntity, { where: { accountId: account.id, seq: MoreThan(seq ?? 0) }, order: { seq: 'ASC' }, take: limit })),
      cursorOf: (row) => row.seq,
      wakeups: this.wakeups,
      key: accountKey(account.id),
      onError: (error) => this.logger.warn({ err: error }, 'balance feed read failed; retrying'),
    });
    const stillAllowed = liveAccessCheck(ctx, this.verifier, { policy: this.accessPolicy, subscriberId });
    const changes: AsyncIterableIterator<BalanceChange> = {
      next: async (): Promise<IteratorResult<BalanceChange>> => {
        const next = await rows.next();
        if (next.done) return { done: true, value: undefined };
        await stillAllowed().catch(async (error) => {
          await rows.return?.();
          throw error;
        });
        const row = next.value;
        return {
          done: false,
          value: Object.assign(new BalanceChange(), {
            subscriber: Object.assign(new Subscriber(), { id: subscriberId }),
            balance: Money.fromMinor(row.balanceAfterMinor),
            delta: Money.fromMinor(row.amountMinor),
            entry: toLedgerEntry(row, ctx.language),
            cursor: encodeCursor({ k: row.seq, id: row.id }),
          }),
        };
      },
      return: async (): Promise<IteratorResult<BalanceChange>> => {
        await rows.return?.();
        return { done: true, value: undefined };
      },
      [Symbol.asyncIterator]: () => changes,
    };
    return changes;
  }
}
