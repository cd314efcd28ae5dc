import DataLoader from 'dataloader';
import { In, IsNull } from 'typeorm';
import { AccessPolicy, Database, ErrorCode, GraphQLContext, KeysetPages, byKeys, groupByKeys, requireSubscriber } from '@selfcare/shared';
import { BillingError } from '../errors';
import { AccountEntity, LedgerEntryEntity, SavedCardEntity } from './entities';
import { Account, LedgerConnection, SavedCard, toAccount, toLedgerEntry, toSavedCard } from './types';

/**
 * Read side of billing: the personal account, its ledger and saved cards. Every read is authorized for
 * the account's number (terms 2.5): the owner, or whoever the owner handed management to (terms 4.3).
 */
export class AccountService {
  /** Newest first by the account's entry sequence; the cursors are the ones balanceChanged resumes from. */
  private readonly entries: KeysetPages<LedgerEntryEntity>;

  constructor(
    private readonly database: Database,
    private readonly accessPolicy: AccessPolicy,
  ) {
    this.entries = new KeysetPages({
      name: 'billing.entries',
      entity: LedgerEntryEntity,
      manager: () => this.database.manager,
      parent: 'accountId',
      sortBy: 'seq',
      sortKind: 'integer',
      order: 'NEWEST_FIRST',
    });
  }

  async accountOf(ctx: GraphQLContext, subscriberId: string): Promise<Account> {
    const account = await this.accessPolicy.whenMayManage(ctx, subscriberId, () => this.accountBySubscriber(ctx).load(subscriberId));
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
    const page = await this.accessPolicy.whenMayManage(ctx, account.subscriberId, () => this.entries.load(ctx, { parent: account.id, first, after }));
    return LedgerConnection.from(page, (row) => toLedgerEntry(row, ctx.language));
  }

  async cardsOf(ctx: GraphQLContext, account: Account): Promise<SavedCard[]> {
    const rows = await this.accessPolicy.whenMayManage(ctx, account.subscriberId, () => this.cardsLoader(ctx).load(account.id));
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
}
