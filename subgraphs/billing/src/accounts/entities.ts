import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { DateTimeColumn, MoneyColumn, Texts } from '@selfcare/shared';

export enum LedgerEntryKind {
  PAYMENT = 'PAYMENT',
  CHARGE = 'CHARGE',
  REFUND = 'REFUND',
  ADJUSTMENT = 'ADJUSTMENT',
  TRANSFER_IN = 'TRANSFER_IN',
  TRANSFER_OUT = 'TRANSFER_OUT',
}

/**
 * A subscriber's personal account in KZT (terms 2.1). `balance_minor` is the running sum of the ledger,
 * kept on the row and changed only in the transaction that appends an entry (see LedgerService.post).
 */
@Entity({ name: 'accounts' })
export class AccountEntity {
  @PrimaryColumn('varchar', { length: 36 })
  id: string;

  /** The account number printed on bills, e.g. KZ-100000001. */
  @Column('varchar', { length: 20, unique: true })
  number: string;

  @Column('varchar', { name: 'subscriber_id', length: 36, unique: true })
  subscriberId: string;

  @Column('varchar', { length: 3 })
  currency: string;

  @MoneyColumn({ name: 'balance_minor' })
  balanceMinor: number;

  /** How far below zero the balance may go before it is debt (post-paid legal entities); 0 for prepaid. */
  @MoneyColumn({ name: 'credit_limit_minor' })
  creditLimitMinor: number;

  /** Sequence number of the last ledger entry; entries are numbered 1, 2, 3… per account. */
  @Column('int', { name: 'last_entry_seq' })
  lastEntrySeq: number;

  /** Balance below minus the credit limit (terms 3.3: unpaid debt may suspend access); flips publish DebtIncurred/DebtSettled. */
  @Column('boolean', { name: 'in_debt' })
  inDebt: boolean;

  @DateTimeColumn({ name: 'created_at' })
  createdAt: Date;

  @DateTimeColumn({ name: 'updated_at' })
  updatedAt: Date;
}

/**
 * One movement of money on an account. Append-only: never updated or deleted; a mistake is corrected by a
 * new entry (REFUND or ADJUSTMENT). `amount_minor` is signed (credit > 0, debit < 0).
 */
@Entity({ name: 'ledger_entries' })
@Index('uq_ledger_entries_account_id_seq', ['accountId', 'seq'], { unique: true })
@Index('uq_ledger_entries_account_id_reference', ['accountId', 'reference'], { unique: true })
export class LedgerEntryEntity {
  @PrimaryColumn('varchar', { length: 36 })
  id: string;

  @Column('varchar', { name: 'account_id', length: 36 })
  accountId: string;

  @Column('int')
  seq: number;

  @Column('varchar', { length: 20 })
  kind: LedgerEntryKind;

  @MoneyColumn({ name: 'amount_minor' })
  amountMinor: number;

  @MoneyColumn({ name: 'balance_after_minor' })
  balanceAfterMinor: number;

  @Column('simple-json')
  description: Texts;

  /** The business key of what caused the entry (payment id, order id…): posting it twice is a no-op. */
  @Column('varchar', { length: 100, nullable: true })
  reference: string | null;

  @DateTimeColumn()
  at: Date;
}

/** A card saved at the payment provider; only its token and display data are kept (the number never is). */
@Entity({ name: 'saved_cards' })
@Index('ix_saved_cards_account_id', ['accountId'])
export class SavedCardEntity {
  @PrimaryColumn('varchar', { length: 36 })
  id: string;

  @Column('varchar', { name: 'account_id', length: 36 })
  accountId: string;

  @Column('varchar', { length: 20 })
  brand: string;

  @Column('varchar', { length: 4 })
  last4: string;

  @Column('int', { name: 'exp_month' })
  expMonth: number;

  @Column('int', { name: 'exp_year' })
  expYear: number;

  @Column('varchar', { name: 'provider_token', length: 255 })
  providerToken: string;

  @DateTimeColumn({ name: 'created_at' })
  createdAt: Date;

  @DateTimeColumn({ name: 'removed_at', nullable: true })
  removedAt: Date | null;
}
