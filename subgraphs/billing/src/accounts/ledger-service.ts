import { randomInt, randomUUID } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import { Clock, ContractOutbox, Database, ErrorCode, Texts, billingEvents } from '@selfcare/shared';
import { BillingError } from '../errors';
import { AccountEntity, LedgerEntryEntity, LedgerEntryKind } from './entities';

/** Money in (+), out (−), or either way (ADJUSTMENT). */
const DIRECTION: Record<LedgerEntryKind, 1 | -1 | 0> = {
  [LedgerEntryKind.PAYMENT]: 1,
  [LedgerEntryKind.REFUND]: 1,
  [LedgerEntryKind.TRANSFER_IN]: 1,
  [LedgerEntryKind.CHARGE]: -1,
  [LedgerEntryKind.TRANSFER_OUT]: -1,
  [LedgerEntryKind.ADJUSTMENT]: 0,
};

/** Credit limit given to a new account: prepaid individuals none; legal entities may run 50 000 KZT into credit. */
export function creditLimitFor(partyType: 'INDIVIDUAL' | 'LEGAL_ENTITY'): number {
  return partyType === 'LEGAL_ENTITY' ? 5_000_000 : 0;
}

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
 * The only way a balance changes: append one ledger entry and move the stored balance in the same
 * transaction, under the account's row lock (MariaDB) or the serialized writer (SQLite). Invariants:
 * balance = Σ amounts; each entry's balanceAfter = previous balanceAfter + amount; seq is 1, 2, 3… per account.
 */
export class LedgerService {
  constructor(
    private readonly database: Database,
    /** billing's stream: shared/src/contracts/billing-events.ts */
    private readonly outbox: ContractOutbox<typeof billingEvents>,
    private readonly clock: Clock,
  ) {}

  async post(manager: EntityManager, accountId: string, posting: Posting): Promise<PostingResult> {
    if (!manager.queryRunner?.isTransactionActive) throw new Error('LedgerService.post must run inside database.transaction()');
    validatePosting(posting);
    const account = await manager.findOne(AccountEntity, { where: { id: accountId }, lock: this.database.lockMode });
    if (!account) throw new BillingError(ErrorCode.NOT_FOUND, { extensions: { accountId } });

    if (posting.reference) {
      const earlier = await manager.findOne(LedgerEntryEntity, { where: { accountId, reference: posting.reference } });
      if (earlier) return { entry: earlier, account, duplicate: true };
    }

    const balanceAfter = account.balanceMinor + posting.amountMinor;
    if (!Number.isSafeInteger(balanceAfter)) throw new BillingError(ErrorCode.BAD_USER_INPUT, { field: 'amount' });
    const at = posting.at ?? this.clock.now();
    const entry = manager.create(LedgerEntryEntity, {
      id: randomUUID(),
      accountId,
      seq: account.lastEntrySeq + 1,
      kind: posting.kind,
      amountMinor: posting.amountMinor,
      balanceAfterMinor: balanceAfter,
      description: posting.description,
      reference: posting.reference ?? null,
      at,
    });
    await manager.insert(LedgerEntryEntity, entry);

    const wasInDebt = account.inDebt;
    const nowInDebt = isInDebt(balanceAfter, account.creditLimitMinor);
    account.balanceMinor = balanceAfter;
    account.lastEntrySeq = entry.seq;
    account.inDebt = nowInDebt;
    account.updatedAt = this.clock.now();
    await manager.update(
      AccountEntity,
      { id: accountId },
      { balanceMinor: balanceAfter, lastEntrySeq: entry.seq, inDebt: nowInDebt, updatedAt: account.updatedAt },
    );

    await this.outbox.add(manager, 'BalanceChanged', {
      subscriberId: account.subscriberId,
      accountId,
      entryId: entry.id,
      seq: entry.seq,
      kind: entry.kind,
      amountMinor: entry.amountMinor,
      balanceMinor: balanceAfter,
      at: at.toISOString(),
    });
    if (wasInDebt !== nowInDebt) {
      // terms 3.3: identity suspends access for unpaid debt and restores it when the debt is paid.
      await this.outbox.add(manager, nowInDebt ? 'DebtIncurred' : 'DebtSettled', {
        subscriberId: account.subscriberId,
        accountId,
        balanceMinor: balanceAfter,
        creditLimitMinor: account.creditLimitMinor,
      });
    }
    return { entry, account, duplicate: false };
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
      creditLimitMinor: options.creditLimitMinor ?? creditLimitFor(line.partyType),
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
