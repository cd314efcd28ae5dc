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
  request: ChargeRequest;
  resolve: (answer: ChargeAnswer) => void;
  reject: (error: unknown) => void;
}

/**
 * Charges and refunds other services ask for (catalog's orders), idempotent by reference: the entry posted, or the
 * refusal (INSUFFICIENT_FUNDS) recorded, answers every later request with that reference. Requests to one account
 * that arrive while its transaction runs are posted together in the next one (at most `batchSize`): one row lock,
 * read and update of the account for all of them — what lets a hot account take thousands of postings a second.
 * Funds are judged one request after the other, in arrival order, against the running balance.
 */
export class ChargeService {
  private readonly queues = new Map<string, Pending[]>();
  /** subscriber → account: an account is never moved to another subscriber, so it is read once. */
  private readonly accountIds = new Map<string, string>();

  constructor(
    private readonly database: Database,
    private readonly ledger: LedgerService,
    private readonly clock: Clock,
    private readonly batchSize: number,
  ) {}

  async charge(request: ChargeRequest): Promise<ChargeAnswer> {
    const account = { id: this.accountIds.get(request.subscriberId) ?? (await this.accountIdOf(request.subscriberId)) };
    if (this.batchSize <= 1) return (await this.post(account.id, [request]))[0]!;
    return new Promise<ChargeAnswer>((resolve, reject) => {
      const queue = this.queues.get(account.id);
      if (queue) {
        queue.push({ request, resolve, reject });
        return;
      }
      this.queues.set(account.id, [{ request, resolve, reject }]);
      void this.drain(account.id);
    });
  }

  private async accountIdOf(subscriberId: string): Promise<string> {
    const account = await this.database.manager.findOne(AccountEntity, { select: { id: true }, where: { subscriberId } });
    if (!account) throw new BillingError(ErrorCode.NOT_FOUND, { texts: { KK: 'Шот табылмады', RU: 'Счёт не найден', EN: 'Account not found' } });
    if (this.accountIds.size >= 100_000) this.accountIds.clear();
    this.accountIds.set(subscriberId, account.id);
    return account.id;
  }

  /** Posts what waits for the account, batch after batch, until nothing does. */
  private async drain(accountId: string): Promise<void> {
    const queue = this.queues.get(accountId)!;
    try {
      while (queue.length) {
        const batch = queue.splice(0, this.batchSize);
        try {
          const answers = await this.post(accountId, batch.map((p) => p.request));
          batch.forEach((pending, i) => pending.resolve(answers[i]!));
        } catch (error) {
          if (batch.length === 1) {
            batch[0]!.reject(error);
            continue;
          }
          // One bad request (a refund of an unknown charge, say) must not fail the others: each on its own.
          for (const pending of batch) {
            await this.post(accountId, [pending.request]).then(
              (answers) => pending.resolve(answers[0]!),
              (failure) => pending.reject(failure),
            );
          }
        }
      }
    } finally {
      this.queues.delete(accountId);
    }
  }

  private post(accountId: string, requests: readonly ChargeRequest[]): Promise<ChargeAnswer[]> {
    return this.database.transaction(async (manager) => {
      const account = await this.ledger.lockAccount(manager, accountId);
      const references = [...new Set(requests.flatMap((r) => (r.refundOf ? [r.reference, r.refundOf] : [r.reference])))];
      const [entries, refusals] = await Promise.all([
        manager.find(LedgerEntryEntity, { where: { accountId, reference: In(references) } }),
        manager.find(RefusedChargeEntity, { where: { accountId, reference: In(references) } }),
      ]);
      const posted = new Map(entries.map((e) => [e.reference!, e.amountMinor]));
      const refused = new Set(refusals.map((r) => r.reference));
      const postings: Posting[] = [];
      const outcomes: ({ refused: true; balance: number } | { reference: string })[] = [];
      let balance = account.balanceMinor;
      for (const request of requests) {
        if (posted.has(request.reference)) {
          outcomes.push({ reference: request.reference });
          continue;
        }
        if (refused.has(request.reference)) {
          outcomes.push({ refused: true, balance });
          continue;
        }
        if (request.kind === 'REFUND') {
          const charged = request.refundOf ? posted.get(request.refundOf) : undefined;
          if (charged === undefined || charged >= 0 || request.amountMinor > -charged) {
            throw new BillingError(ErrorCode.CONFLICT, { texts: { KK: 'Қайтарылатын төлем жоқ', RU: 'Нет списания для возврата', EN: 'No charge to refund for that much' } });
          }
        } else if (request.requireFunds && balance + account.creditLimitMinor < request.amountMinor) {
          await this.refuse(manager, account, request, balance);
          refused.add(request.reference);
          outcomes.push({ refused: true, balance });
          continue;
        }
        const amountMinor = request.kind === 'CHARGE' ? -request.amountMinor : request.amountMinor;
        postings.push({ kind: request.kind === 'CHARGE' ? LedgerEntryKind.CHARGE : LedgerEntryKind.REFUND, amountMinor, description: request.description, reference: request.reference });
        posted.set(request.reference, amountMinor);
        balance += amountMinor;
        outcomes.push({ reference: request.reference });
      }
      const results = postings.length ? await this.ledger.postMany(manager, accountId, postings, account, { referencesChecked: true }) : [];
      const entryOf = new Map([...entries, ...results.map((r) => r.entry)].map((e) => [e.reference!, e]));
      return outcomes.map((outcome) =>
        'refused' in outcome
          ? { outcome: 'INSUFFICIENT_FUNDS' as const, entryId: null, balanceMinor: outcome.balance, creditLimitMinor: account.creditLimitMinor }
          : { outcome: 'POSTED' as const, entryId: entryOf.get(outcome.reference)!.id, balanceMinor: account.balanceMinor, creditLimitMinor: account.creditLimitMinor },
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
