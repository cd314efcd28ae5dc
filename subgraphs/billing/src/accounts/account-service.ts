import DataLoader from 'dataloader';
import { In, IsNull } from 'typeorm';
import {
  AccessPolicy,
  Database,
  ErrorCode,
  GraphQLContext,
  badInput,
  byKeys,
  decodeCursor,
  groupByKeys,
  pageSize,
  requireSubscriber,
  toConnection,
} from '@selfcare/shared';
import { BillingError } from '../errors';
import { AccountEntity, LedgerEntryEntity, SavedCardEntity } from './entities';
import { Account, LedgerConnection, SavedCard, toAccount, toLedgerEntry, toSavedCard } from './types';

interface EntriesPage {
  accountId: string;
  limit: number;
  afterSeq: number | null;
}

/**
 * Read side of billing: the personal account, its ledger and saved cards. Every read is authorized for
 * the account's number (2.5): the owner, or whoever the owner handed management to (4.3).
 */
export class AccountService {
  constructor(
    private readonly database: Database,
    private readonly accessPolicy: AccessPolicy,
  ) {}

  async accountOf(ctx: GraphQLContext, subscriberId: string): Promise<Account> {
    requireSubscriber(ctx);
    // The fetch runs alongside the access check so all lines of a request share one batch; nothing leaves before the check.
    const row = this.accountBySubscriber(ctx).load(subscriberId);
    row.catch(() => undefined);
    await this.accessPolicy.assertMayManage(ctx, subscriberId);
    const account = await row;
    if (!account) throw new BillingError(ErrorCode.NOT_FOUND);
    return toAccount(account);
  }

  /** Account as a federation entity: authorized by its owner's number like every other read. */
  async accountReference(ctx: GraphQLContext, accountId: string): Promise<Account | null> {
    requireSubscriber(ctx);
    const row = await this.accountById(ctx).load(accountId);
    if (!row) return null;
    await this.accessPolicy.assertMayManage(ctx, row.subscriberId);
    return toAccount(row);
  }

  /** Newest first; `after` is the cursor of the last entry seen. */
  async entriesOf(ctx: GraphQLContext, account: Account, first: number | null | undefined, after: string | null | undefined): Promise<LedgerConnection> {
    const limit = pageSize(first);
    const cursor = decodeCursor(after);
    if (cursor && (typeof cursor.k !== 'number' || !Number.isInteger(cursor.k))) throw badInput('after');
    await this.accessPolicy.assertMayManage(ctx, account.subscriberId);
    const rows = await this.entriesLoader(ctx).load({ accountId: account.id, limit, afterSeq: cursor ? (cursor.k as number) : null });
    const connection = toConnection(rows, limit, (row) => ({ k: row.seq, id: row.id }));
    return Object.assign(new LedgerConnection(), {
      edges: connection.edges.map((edge) => ({ cursor: edge.cursor, node: toLedgerEntry(edge.node, ctx.language) })),
      pageInfo: connection.pageInfo,
    });
  }

  async cardsOf(ctx: GraphQLContext, account: Account): Promise<SavedCard[]> {
    await this.accessPolicy.assertMayManage(ctx, account.subscriberId);
    const rows = await this.cardsLoader(ctx).load(account.id);
    return rows.map(toSavedCard);
  }

  private accountBySubscriber(ctx: GraphQLContext): DataLoader<string, AccountEntity | null> {
    return ctx.loaders.get('billing.accountBySubscriber', () =>
      new DataLoader<string, AccountEntity | null>(async (ids) => {
        const rows = await this.database.manager.find(AccountEntity, { where: { subscriberId: In([...ids]) } });
        return byKeys(ids, rows, (row) => row.subscriberId);
      }),
    );
  }

  private accountById(ctx: GraphQLContext): DataLoader<string, AccountEntity | null> {
    return ctx.loaders.get('billing.accountById', () =>
      new DataLoader<string, AccountEntity | null>(async (ids) => {
        const rows = await this.database.manager.find(AccountEntity, { where: { id: In([...ids]) } });
        return byKeys(ids, rows, (row) => row.id);
      }),
    );
  }

  private cardsLoader(ctx: GraphQLContext): DataLoader<string, SavedCardEntity[]> {
    return ctx.loaders.get('billing.cardsByAccount', () =>
      new DataLoader<string, SavedCardEntity[]>(async (ids) => {
        const rows = await this.database.manager.find(SavedCardEntity, { where: { accountId: In([...ids]), removedAt: IsNull() }, order: { createdAt: 'ASC', id: 'ASC' } });
        return groupByKeys(ids, rows, (row) => row.accountId);
      }),
    );
  }

  /**
   * One page of entries for many accounts in one statement per distinct (limit, after): the newest
   * `limit + 1` entries of each account, ranked with ROW_NUMBER() (SQLite ≥ 3.25 and MariaDB ≥ 10.2 have it).
   */
  private entriesLoader(ctx: GraphQLContext): DataLoader<EntriesPage, LedgerEntryEntity[], string> {
    return ctx.loaders.get('billing.entriesPage', () =>
      new DataLoader<EntriesPage, LedgerEntryEntity[], string>(
        async (pages) => {
          const groups = new Map<string, EntriesPage[]>();
          for (const page of pages) {
            const key = `${page.limit}:${page.afterSeq ?? ''}`;
            groups.set(key, [...(groups.get(key) ?? []), page]);
          }
          const byPage = new Map<EntriesPage, LedgerEntryEntity[]>();
          await Promise.all(
            [...groups.values()].map(async (group) => {
              const { limit, afterSeq } = group[0]!;
              const accountIds = [...new Set(group.map((p) => p.accountId))];
              const ranked =
                'SELECT ranked.id FROM (SELECT le.id AS id, ROW_NUMBER() OVER (PARTITION BY le.account_id ORDER BY le.seq DESC) AS rn ' +
                `FROM ledger_entries le WHERE le.account_id IN (:...accountIds)${afterSeq !== null ? ' AND le.seq < :afterSeq' : ''}) ranked ` +
                'WHERE ranked.rn <= :take';
              const rows = await this.database.manager
                .createQueryBuilder(LedgerEntryEntity, 'entry')
                .where(`entry.id IN (${ranked})`, { accountIds, afterSeq, take: limit + 1 })
                .orderBy('entry.seq', 'DESC')
                .getMany();
              const perAccount = groupByKeys(accountIds, rows, (row) => row.accountId);
              for (const page of group) byPage.set(page, perAccount[accountIds.indexOf(page.accountId)]!);
            }),
          );
          return pages.map((page) => byPage.get(page) ?? []);
        },
        { cacheKeyFn: (page) => `${page.accountId}:${page.limit}:${page.afterSeq ?? ''}` },
      ),
    );
  }
}
