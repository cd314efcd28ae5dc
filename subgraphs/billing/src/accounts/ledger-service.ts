import { randomInt, randomUUID } from 'node:crypto';
import { In } from 'typeorm';
import type { EntityManager } from 'typeorm';
import { Clock, ContractEvent, ContractOutbox, Database, ErrorCode, Texts, billingEvents, insertRows, sqlDateTime } from '@selfcare/shared';
import { BillingError } from '../errors';
import { AccountEntity, LedgerEntryEntity, LedgerEntryKind } from './entities';
import type { RecentLedgerEntries } from './recent-entries';

/** Money in (+), out (−), or either way (ADJUSTMENT). */
const DIRECTION: Record<LedgerEntryKind, 1 | -1 | 0> = {
  [LedgerEntryKind.PAYMENT]: 1,
  [LedgerEntryKind.REFUND]: 1,
  [LedgerEntryKind.TRANSFER_IN]: 1,
  [LedgerEntryKind.CHARGE]: -1,
  [LedgerEntryKind.TRANSFER_OUT]: -1,
  [LedgerEntryKind.ADJUSTMENT]: 0,
};

export function isInDebt(balanceMinor: number, creditLimitMinor: number): boolean {
  return balanceMinor < -creditLimitMinor;
}

export interface Posting {
  /** signed: > 0 credits the account, < 0 debits it; the sign must fit the kind */
  amountMinor: number;
  kind: LedgerEntryKind;
  description: Texts;
  /** business key (payment id, order id…): a second posting with it returns the first entry */
  reference?: string | null;
  /** business time of the entry; the clock's now by default */
  at?: Date;
}

export interface PostingResult {
  entry: LedgerEntryEntity;
  account: AccountEntity;
  /** true when the reference had been posted before and nothing changed */
  duplicate: boolean;
}

/**
 * The only way a balance changes: append ledger entries and move the stored balance in the same transaction, under
 * the account's row lock (MariaDB) or the serialized writer (SQLite). Invariants: balance = Σ amounts; each entry's
 * balanceAfter = previous balanceAfter + amount; seq is 1, 2, 3… per account. `postMany` appends several entries to
 * one account under one lock (one account read and update, one insert): the lever for a hot account.
 */
export class LedgerService {
  constructor(
    private readonly database: Database,
    /** billing's stream: shared/src/contracts/billing-events.ts */
    private readonly outbox: ContractOutbox<typeof billingEvents>,
    private readonly clock: Clock,
    /** the credit limit of a new account until staff set its own (BILLING_DEFAULT_CREDIT_LIMIT); prepaid: 0 */
    private readonly defaultCreditLimitMinor = 0,
    /** told of the entries each transaction inserts, for the balance feeds of this process */
    private readonly recent?: RecentLedgerEntries,
  ) {}

  async post(manager: EntityManager, accountId: string, posting: Posting): Promise<PostingResult> {
    const [result] = await this.postMany(manager, accountId, [posting]);
    return result!;
  }

  /** The account, locked for the rest of the transaction (MariaDB; SQLite's writer is serialized). */
  async lockAccount(manager: EntityManager, accountId: string): Promise<AccountEntity> {
    if (!manager.queryRunner?.isTransactionActive) throw new Error('LedgerService must run inside database.transaction()');
    const account = await manager.findOne(AccountEntity, { where: { id: accountId }, lock: this.database.lockMode });
    if (!account) throw new BillingError(ErrorCode.NOT_FOUND, { extensions: { accountId } });
    return account;
  }

  /**
   * Appends the postings in order; one whose reference was posted before (now or earlier in the list) returns the
   * first entry and changes nothing. `locked` is the account as `lockAccount` returned it in this transaction;
   * `referencesChecked`: the caller read, under that lock, that none of the references was posted.
   */
  async postMany(manager: EntityManager, accountId: string, postings: readonly Posting[], locked?: AccountEntity, options: { referencesChecked?: boolean } = {}): Promise<PostingResult[]> {
    if (!manager.queryRunner?.isTransactionActive) throw new Error('LedgerService.post must run inside database.transaction()');
    const account = locked ?? (await this.lockAccount(manager, accountId));
    const [results] = await this.postToAccounts(manager, [{ account, postings }], options);
    return results!;
  }

  /**
   * `postMany` for several accounts in one transaction (ChargeService's group commit): each account as `lockAccount`
   * returned it in this transaction, its postings in order; one INSERT for every account's entries, one UPDATE per
   * account, one INSERT for every event. `referencesChecked`: the caller read, under the locks, that none of the
   * references was posted.
   */
  async postToAccounts(manager: EntityManager, batches: readonly { account: AccountEntity; postings: readonly Posting[] }[], options: { referencesChecked?: boolean } = {}): Promise<PostingResult[][]> {
    if (!manager.queryRunner?.isTransactionActive) throw new Error('LedgerService.post must run inside database.transaction()');
    for (const { postings } of batches) for (const posting of postings) validatePosting(posting);
    const earlier = new Map<string, LedgerEntryEntity>();
    const referenceKey = (accountId: string, reference: string) => `${accountId}\u0000${reference}`;
    // A caller holding the locks that has read the references already (ChargeService) saves the statement.
    if (!options.referencesChecked) {
      for (const { account, postings } of batches) {
        const references = [...new Set(postings.map((p) => p.reference).filter((r): r is string => !!r))];
        if (!references.length) continue;
        for (const entry of await manager.find(LedgerEntryEntity, { where: { accountId: account.id, reference: In(references) } })) earlier.set(referenceKey(account.id, entry.reference!), entry);
      }
    }
    const now = this.clock.now();
    const allResults: PostingResult[][] = [];
    const fresh: LedgerEntryEntity[] = [];
    const changed: AccountEntity[] = [];
    // One INSERT for the batch's events, each debt crossing right after the posting that caused it (terms 3.3:
    // identity suspends access for unpaid debt and restores it when the debt is paid).
    const events: ContractEvent<typeof billingEvents>[] = [];
    for (const { account, postings } of batches) {
      const results: PostingResult[] = [];
      let balance = account.balanceMinor;
      let seq = account.lastEntrySeq;
      let inDebt = account.inDebt;
      let posted = 0;
      for (const posting of postings) {
        const known = posting.reference ? earlier.get(referenceKey(account.id, posting.reference)) : undefined;
        if (known) {
          results.push({ entry: known, account, duplicate: true });
          continue;
        }
        const balanceAfter = balance + posting.amountMinor;
        if (!Number.isSafeInteger(balanceAfter)) throw new BillingError(ErrorCode.BAD_USER_INPUT, { field: 'amount' });
        seq += 1;
        const entry = manager.create(LedgerEntryEntity, {
          id: randomUUID(),
          accountId: account.id,
          seq,
          kind: posting.kind,
          amountMinor: posting.amountMinor,
          balanceAfterMinor: balanceAfter,
          description: posting.description,
          reference: posting.reference ?? null,
          at: posting.at ?? now,
        });
        fresh.push(entry);
        posted += 1;
        if (entry.reference) earlier.set(referenceKey(account.id, entry.reference), entry);
        balance = balanceAfter;
        events.push({
          type: 'BalanceChanged',
          payload: {
            subscriberId: account.subscriberId,
            accountId: account.id,
            entryId: entry.id,
            seq: entry.seq,
            kind: entry.kind,
            amountMinor: entry.amountMinor,
            balanceMinor: entry.balanceAfterMinor,
            at: entry.at.toISOString(),
          },
        });
        const nowInDebt = isInDebt(balance, account.creditLimitMinor);
        if (nowInDebt !== inDebt) {
          events.push({
            type: nowInDebt ? 'DebtIncurred' : 'DebtSettled',
            payload: { subscriberId: account.subscriberId, accountId: account.id, balanceMinor: entry.balanceAfterMinor, creditLimitMinor: account.creditLimitMinor },
          });
        }
        inDebt = nowInDebt;
        results.push({ entry, account, duplicate: false });
      }
      allResults.push(results);
      if (posted === 0) continue;
      Object.assign(account, { balanceMinor: balance, lastEntrySeq: seq, inDebt, updatedAt: now });
      changed.push(account);
    }
    if (fresh.length === 0) return allResults;
    for (let i = 0; i < fresh.length; i += 500) {
      await insertRows(
        manager,
        'ledger_entries',
        ['id', 'account_id', 'seq', 'kind', 'amount_minor', 'balance_after_minor', 'description', 'reference', '`at`'],
        fresh.slice(i, i + 500).map((e) => [e.id, e.accountId, e.seq, e.kind, e.amountMinor, e.balanceAfterMinor, JSON.stringify(e.description), e.reference, sqlDateTime(e.at)]),
      );
    }
    this.recent?.written(manager, fresh);
    // The accounts' new running totals in one statement per 500 (one UPDATE per account cost a statement a posting).
    for (let i = 0; i < changed.length; i += 500) {
      const chunk = changed.slice(i, i + 500);
      const cases = chunk.map(() => 'WHEN ? THEN ?').join(' ');
      const params: unknown[] = [];
      for (const a of chunk) params.push(a.id, a.balanceMinor);
      for (const a of chunk) params.push(a.id, a.lastEntrySeq);
      for (const a of chunk) params.push(a.id, a.inDebt ? 1 : 0);
      params.push(sqlDateTime(now), ...chunk.map((a) => a.id));
      await manager.query(
        `UPDATE accounts SET balance_minor = CASE id ${cases} END, last_entry_seq = CASE id ${cases} END, in_debt = CASE id ${cases} END, updated_at = ? WHERE id IN (${chunk.map(() => '?').join(', ')})`,
        params,
      );
    }
    await this.outbox.addMany(manager, events);
    return allResults;
  }

  /**
   * Staff set an account's credit limit (its own, from then on). Debt is judged again at once: a lower limit can put
   * the balance in debt (DebtIncurred), a higher one take it out (DebtSettled).
   */
  async setCreditLimit(manager: EntityManager, accountId: string, creditLimitMinor: number): Promise<{ account: AccountEntity; previousMinor: number }> {
    if (!Number.isSafeInteger(creditLimitMinor) || creditLimitMinor < 0) throw new BillingError(ErrorCode.BAD_USER_INPUT, { field: 'amount' });
    const account = await this.lockAccount(manager, accountId);
    const previousMinor = account.creditLimitMinor;
    const inDebt = isInDebt(account.balanceMinor, creditLimitMinor);
    const now = this.clock.now();
    await manager.update(AccountEntity, { id: accountId }, { creditLimitMinor, inDebt, updatedAt: now });
    const flipped = inDebt !== account.inDebt;
    Object.assign(account, { creditLimitMinor, inDebt, updatedAt: now });
    if (flipped) await this.debtEvent(manager, account, inDebt, account.balanceMinor);
    return { account, previousMinor };
  }

  private async debtEvent(manager: EntityManager, account: AccountEntity, inDebt: boolean, balanceMinor: number): Promise<void> {
    await this.outbox.add(manager, inDebt ? 'DebtIncurred' : 'DebtSettled', {
      subscriberId: account.subscriberId,
      accountId: account.id,
      balanceMinor,
      creditLimitMinor: account.creditLimitMinor,
    });
  }

  /**
   * Opens the personal account of a new line (SubscriberProvisioned), or returns the one it has.
   * Numbers: KZ-1xxxxxxxx for mobile lines, KZ-2xxxxxxxx for home internet.
   */
  async openAccount(
    manager: EntityManager,
    line: { subscriberId: string; kind: 'MOBILE' | 'HOME_INTERNET'; partyType: 'INDIVIDUAL' | 'LEGAL_ENTITY' },
    options: { number?: string; creditLimitMinor?: number } = {},
  ): Promise<{ account: AccountEntity; opened: boolean }> {
    const existing = await manager.findOne(AccountEntity, { where: { subscriberId: line.subscriberId } });
    if (existing) return { account: existing, opened: false };
    const number = options.number ?? (await this.freeAccountNumber(manager, line.kind === 'HOME_INTERNET' ? '2' : '1'));
    const now = this.clock.now();
    const account = manager.create(AccountEntity, {
      id: randomUUID(),
      number,
      subscriberId: line.subscriberId,
      currency: 'KZT',
      balanceMinor: 0,
      creditLimitMinor: options.creditLimitMinor ?? this.defaultCreditLimitMinor,
      lastEntrySeq: 0,
      inDebt: false,
      createdAt: now,
      updatedAt: now,
    });
    await manager.insert(AccountEntity, account);
    return { account, opened: true };
  }

  private async freeAccountNumber(manager: EntityManager, prefix: string): Promise<string> {
    for (let attempt = 0; attempt < 10; attempt += 1) {
      const candidate = `KZ-${prefix}${String(randomInt(0, 100_000_000)).padStart(8, '0')}`;
      if (!(await manager.exists(AccountEntity, { where: { number: candidate } }))) return candidate;
    }
    throw new Error('no free account number found');
  }
}

function validatePosting(posting: Posting): void {
  const { amountMinor, kind } = posting;
  if (!Number.isSafeInteger(amountMinor) || amountMinor === 0) {
    throw new BillingError(ErrorCode.BAD_USER_INPUT, { field: 'amount', texts: { KK: 'Сома нөл болмауы керек', RU: 'Сумма должна быть ненулевой', EN: 'The amount must not be zero' } });
  }
  const direction = DIRECTION[kind];
  if (direction === undefined) throw new BillingError(ErrorCode.BAD_USER_INPUT, { field: 'kind' });
  if (direction !== 0 && Math.sign(amountMinor) !== direction) {
    throw new BillingError(ErrorCode.BAD_USER_INPUT, {
      field: 'amount',
      texts: { KK: '{kind} сомасының таңбасы қате', RU: 'Неверный знак суммы для {kind}', EN: 'Wrong sign of the amount for {kind}' },
      params: { kind },
    });
  }
}
