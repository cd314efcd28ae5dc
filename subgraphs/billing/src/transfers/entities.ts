import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { DateTimeColumn, MoneyColumn } from '@selfcare/shared';

export enum TransferStatus {
  /** The code went to the payer's number by SMS. */
  AWAITING_CONFIRMATION = 'AWAITING_CONFIRMATION',
  COMPLETED = 'COMPLETED',
  /** The code was not entered in time. */
  EXPIRED = 'EXPIRED',
  /** Three wrong codes in a row. */
  VOIDED = 'VOIDED',
  /** Confirmed, but the balance or the daily limit no longer allowed it. */
  FAILED = 'FAILED',
}

/** A transfer of balance from one Beeline number's account to another's, confirmed by a code sent to the payer. */
@Entity({ name: 'balance_transfers' })
@Index('uq_balance_transfers_idempotency_key', ['idempotencyKey'], { unique: true })
@Index('ix_balance_transfers_from_account_id_created_at', ['fromAccountId', 'createdAt'])
export class TransferEntity {
  @PrimaryColumn('varchar', { length: 36 })
  id: string;

  @Column('varchar', { name: 'from_account_id', length: 36 })
  fromAccountId: string;

  @Column('varchar', { name: 'from_subscriber_id', length: 36 })
  fromSubscriberId: string;

  @Column('varchar', { name: 'to_account_id', length: 36 })
  toAccountId: string;

  @Column('varchar', { name: 'to_subscriber_id', length: 36 })
  toSubscriberId: string;

  @Column('varchar', { name: 'to_msisdn', length: 16 })
  toMsisdn: string;

  @MoneyColumn({ name: 'amount_minor' })
  amountMinor: number;

  @Column('varchar', { length: 24 })
  status: TransferStatus;

  /** SHA-256 of the transfer id and the code; the code itself is only in the SMS. */
  @Column('varchar', { name: 'code_hash', length: 64 })
  codeHash: string;

  @DateTimeColumn({ name: 'code_expires_at' })
  codeExpiresAt: Date;

  @Column('int', { name: 'attempts_left' })
  attemptsLeft: number;

  @Column('varchar', { name: 'failure_code', length: 40, nullable: true })
  failureCode: string | null;

  /** `<actorId>:<key>` */
  @Column('varchar', { name: 'idempotency_key', length: 120 })
  idempotencyKey: string;

  @Column('varchar', { name: 'request_hash', length: 64 })
  requestHash: string;

  @Column('varchar', { name: 'actor_id', length: 36 })
  actorId: string;

  @Column('boolean', { name: 'via_management' })
  viaManagement: boolean;

  @Column('varchar', { length: 20, nullable: true })
  channel: string | null;

  @DateTimeColumn({ name: 'created_at' })
  createdAt: Date;

  @DateTimeColumn({ name: 'completed_at', nullable: true })
  completedAt: Date | null;
}

/**
 * One request to transfer from an account, whatever came of it (a number not found included): what the hourly limit
 * counts, so the limit also bounds looking up which numbers are Beeline's.
 */
@Entity({ name: 'transfer_attempts' })
@Index('ix_transfer_attempts_from_account_id_at', ['fromAccountId', 'at'])
export class TransferAttemptEntity {
  @PrimaryColumn('varchar', { length: 36 })
  id: string;

  @Column('varchar', { name: 'from_account_id', length: 36 })
  fromAccountId: string;

  @DateTimeColumn()
  at: Date;
}

/**
 * billing's own view of the lines identity provisions (SubscriberProvisioned, SubscriberLanguageChanged,
 * AccessStatusChanged, SubscriberDataErased): which subscriber a Beeline number is, and the language of its SMS.
 */
@Entity({ name: 'billing_lines' })
@Index('ix_billing_lines_msisdn', ['msisdn'])
export class LineEntity {
  @PrimaryColumn('varchar', { name: 'subscriber_id', length: 36 })
  subscriberId: string;

  /** E.164; null for home internet, or once erased (terms 2.11). */
  @Column('varchar', { length: 16, nullable: true })
  msisdn: string | null;

  @Column('varchar', { length: 2 })
  language: string;

  /** The contract ended (TERMINATED): the number takes no transfers. */
  @Column('boolean')
  ended: boolean;

  @DateTimeColumn({ name: 'updated_at' })
  updatedAt: Date;
}
