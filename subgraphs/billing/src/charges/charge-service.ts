import DataLoader from 'dataloader';
import { In } from 'typeorm';
import type { EntityManager } from 'typeorm';
import { Clock, Database, ErrorCode, InternalRequest, InternalResponse, postCharge } from '@selfcare/shared';
import { BillingError } from '../errors';
import { AccountEntity, LedgerEntryEntity, LedgerEntryKind } from '../accounts/entities';
import { LedgerService, Posting } from '../accounts/ledger-service';
import { RefusedChargeEntity } from './entities';

export type ChargeRequest = Omit<InternalRequest<typeof postCharge>, 'requireFunds'> & { requireFunds: boolean };
export type ChargeAnswer = InternalResponse<typeof postCharge>;

interface Pending {
  accountId: string;
  request: ChargeRequest;
  resolve: (answer: ChargeAnswer) => void;
  reject: (error: unknown) => void;
}

/**
 * Charges and refunds other services ask for (catalog's orders, the usage charges), idempotent by reference: the entry
 * posted, or the refusal (INSUFFICIENT_FUNDS) recorded, answers every later request with that reference.
 * Group commit: requests that arrive while a transaction runs are posted together in the next one (at most
 * `batchSize`, whatever their accounts): the accounts locked in one statement (in id order, so two transactions never
 * wait on each other in a cycle), the references read in one, one INSERT for the entries and one for the events.
 * A hot account's postings share one lock, read and update; 1,000 accounts' postings a second do not each pay a
 * transaction of their own (bench/subscriptions.js). At most `concurrency` transactions run at once, never two with
 * the same account, so funds are judged one request after the other, in arrival order, against the running balance.
 */
export class ChargeService {
  private readonly waiting: Pending[] = [];
  /** Accounts of the transactions running now. */
  private readonly busy = new Set<string>();
  private running = 0;
  /** subscriber → account: an account is never moved to another subscriber, so it is read once. */
  private readonly accountIds = new Map<string, string>();
  private readonly concurrency: number;

  constructor(
    private readonly database: Database,
    private readonly ledger: LedgerService,
    private readonly clock: Clock,
    private readonly batchSize: number,
  ) {
    // SQLite has one writer: a second transaction would only queue behind the first.
    this.concurrency = database.dialect === 'sqlite' ? 1 : 2;
  }

  async charge(request: ChargeRequest): Promise<ChargeAnswer> {
    const accountId = this.accountIds.get(request.subscriberId) ?? (await this.accountIdOf(request.subscriberId));
    if (this.batchSize <= 1) return (await this.post([{ accountId, request }]))[0]!;
    return new Promise<ChargeAnswer>((resolve, reject) => {
      this.waiting.push({ accountId, request, resolve, reject });
      this.dispatch();
    });
  }

  /**
   * Account ids of the charges that arrived in one event-loop turn, in one statement (a thousand a second each asked
   * alone). Each HTTP request is read in its own callback of the poll phase, so the batch waits for the check phase:
   * the default (end of the current tick) would close it before the next request of the same turn is read.
   */
  private readonly accountLoader = new DataLoader<string, string | null>(
    async (subscriberIds) => {
      const rows = await this.database.manager.find(AccountEntity, { select: { id: true, subscriberId: true }, where: { subscriberId: In([...subscriberIds]) } });
      const byId = new Map(rows.map((row) => [row.subscriberId, row.id]));
      return subscriberIds.map((id) => byId.get(id) ?? null);
    },
    { cache: false, maxBatchSize: 500, batchScheduleFn: (callback) => setImmediate(callback) },
  );

  private async accountIdOf(subscriberId: string): Promise<string> {
    const accountId = await this.accountLoader.load(subscriberId);
    if (!accountId) throw new BillingError(ErrorCode.NOT_FOUND, { texts: { KK: 'Шот табылмады', RU: 'Счёт не найден', EN: 'Account not found' } });
    if (this.accountIds.size >= 100_000) this.accountIds.clear();
    this.accountIds.set(subscriberId, accountId);
    return accountId;
  }

  /** Starts transactions while there is room: each takes the oldest waiting requests of accounts no other one holds. */
  private dispatch(): void {
    while (this.running < this.concurrency && this.waiting.length) {
      const batch: Pending[] = [];
      const accounts = new Set<string>();
      // An account some earlier request waits for stays behind it: its requests keep their order.
      const passed = new Set<string>();
      for (let i = 0; i < this.waiting.length && batch.length < this.batchSize; ) {
        const pending = this.waiting[i]!;
        if (this.busy.has(pending.accountId) || passed.has(pending.accountId)) {
          passed.add(pending.accountId);
          i += 1;
          continue;
        }
        batch.push(pending);
        accounts.add(pending.accountId);
        this.waiting.splice(i, 1);
      }
      if (batch.length === 0) return;
      for (const account of accounts) this.busy.add(account);
      this.running += 1;
      void this.run(batch).finally(() => {
        for (const account of accounts) this.busy.delete(account);
        this.running -= 1;
        this.dispatch();
      });
    }
  }

  private async run(batch: Pending[]): Promise<void> {
    try {
      const answers = await this.post(batch);
      batch.forEach((pending, i) => pending.resolve(answers[i]!));
    } catch (error) {
      if (batch.length === 1) {
        batch[0]!.reject(error);
        return;
      }
      // One bad request (a refund of an unknown charge, say) must not fail the others: each on its own.
      for (const pending of batch) {
        await this.post([pending]).then(
          (answers) => pending.resolve(answers[0]!),
          (failure) => pending.reject(failure),
        );
      }
    }
  }

  private post(requests: readonly { accountId: string; request: ChargeRequest }[]): Promise<ChargeAnswer[]> {
    return this.database.transaction(async (manager) => {
      const accountIds = [...new Set(requests.map((r) => r.accountId))].sort();
      const locked = await manager.find(AccountEntity, { where: { id: In(accountIds) }, order: { id: 'ASC' }, ...(this.database.lockMode ? { lock: this.database.lockMode } : {}) });
      const accountById = new Map(locked.map((a) => [a.id, a]));
      for (const id of accountIds) if (!accountById.has(id)) throw new BillingError(ErrorCode.NOT_FOUND, { extensions: { accountId: id } });
      const references = [...new Set(requests.flatMap(({ request: r }) => (r.refundOf ? [r.reference, r.refundOf] : [r.reference])))];
      const [entries, refusals] = await Promise.all([
        manager.find(LedgerEntryEntity, { where: { accountId: In(accountIds), reference: In(references) } }),
        manager.find(RefusedChargeEntity, { where: { accountId: In(accountIds), reference: In(references) } }),
      ]);
      const key = (accountId: string, reference: string) => `${accountId}\u0000${reference}`;
      const posted = new Map(entries.map((e) => [key(e.accountId, e.reference!), e.amountMinor]));
      const refused = new Set(refusals.map((r) => key(r.accountId, r.reference)));
      const postingsOf = new Map<string, Posting[]>(accountIds.map((id) => [id, []]));
      const balances = new Map(locked.map((a) => [a.id, a.balanceMinor]));
      const outcomes: ({ refused: true; balance: number; account: AccountEntity } | { reference: string; account: AccountEntity })[] = [];
      for (const { accountId, request } of requests) {
        const account = accountById.get(accountId)!;
        const balance = balances.get(accountId)!;
        if (posted.has(key(accountId, request.reference))) {
          outcomes.push({ reference: request.reference, account });
          continue;
        }
        if (refused.has(key(accountId, request.reference))) {
          outcomes.push({ refused: true, balance, account });
          continue;
        }
        if (request.kind === 'REFUND') {
          const charged = request.refundOf ? posted.get(key(accountId, request.refundOf)) : undefined;
          if (charged === undefined || charged >= 0 || request.amountMinor > -charged) {
            throw new BillingError(ErrorCode.CONFLICT, { texts: { KK: 'Қайтарылатын төлем жоқ', RU: 'Нет списания для возврата', EN: 'No charge to refund for that much' } });
          }
        } else if (request.requireFunds && balance + account.creditLimitMinor < request.amountMinor) {
          await this.refuse(manager, account, request, balance);
          refused.add(key(accountId, request.reference));
          outcomes.push({ refused: true, balance, account });
          continue;
        }
        const amountMinor = request.kind === 'CHARGE' ? -request.amountMinor : request.amountMinor;
        postingsOf.get(accountId)!.push({ kind: request.kind === 'CHARGE' ? LedgerEntryKind.CHARGE : LedgerEntryKind.REFUND, amountMinor, description: request.description, reference: request.reference });
        posted.set(key(accountId, request.reference), amountMinor);
        balances.set(accountId, balance + amountMinor);
        outcomes.push({ reference: request.reference, account });
      }
      const batches = accountIds.filter((id) => postingsOf.get(id)!.length).map((id) => ({ account: accountById.get(id)!, postings: postingsOf.get(id)! }));
      const results = batches.length ? (await this.ledger.postToAccounts(manager, batches, { referencesChecked: true })).flat() : [];
      const entryOf = new Map([...entries, ...results.map((r) => r.entry)].map((e) => [key(e.accountId, e.reference!), e]));
      // The account rows were moved to their final balances by the posting: each answer tells the balance after all.
      return outcomes.map((outcome) =>
        'refused' in outcome
          ? { outcome: 'INSUFFICIENT_FUNDS' as const, entryId: null, balanceMinor: outcome.balance, creditLimitMinor: outcome.account.creditLimitMinor }
          : { outcome: 'POSTED' as const, entryId: entryOf.get(key(outcome.account.id, outcome.reference))!.id, balanceMinor: outcome.account.balanceMinor, creditLimitMinor: outcome.account.creditLimitMinor },
      );
    });
  }

  private async refuse(manager: EntityManager, account: AccountEntity, request: ChargeRequest, balance: number): Promise<void> {
    await manager.insert(RefusedChargeEntity, {
      accountId: account.id,
      reference: request.reference,
      amountMinor: request.amountMinor,
      balanceMinor: balance,
      creditLimitMinor: account.creditLimitMinor,
      createdAt: this.clock.now(),
    });
  }
}
