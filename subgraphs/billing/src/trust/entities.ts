import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { DateTimeColumn, MoneyColumn } from '@selfcare/shared';

export enum TrustPaymentStatus {
  OPEN = 'OPEN',
  REPAID = 'REPAID',
  /** Not repaid in time: what was left became a debit of the balance (terms 3.3: debt may suspend access). */
  EXPIRED = 'EXPIRED',
}

/** A trust payment: a short credit of the balance, repaid from the next card payment or taken back at expiry. */
@Entity({ name: 'trust_payments' })
@Index('ix_trust_payments_account_id_granted_at', ['accountId', 'grantedAt'])
@Index('ix_trust_payments_status_expires_at', ['status', 'expiresAt'])
@Index('uq_trust_payments_open_account_id', ['openAccountId'], { unique: true })
export class TrustPaymentEntity {
  @PrimaryColumn('varchar', { length: 36 })
  id: string;

  @Column('varchar', { name: 'account_id', length: 36 })
  accountId: string;

  @Column('varchar', { name: 'subscriber_id', length: 36 })
  subscriberId: string;

  /** The account's id while OPEN, else null: at most one open per account, kept by a unique index. */
  @Column('varchar', { name: 'open_account_id', length: 36, nullable: true })
  openAccountId: string | null;

  @MoneyColumn({ name: 'amount_minor' })
  amountMinor: number;

  @MoneyColumn({ name: 'outstanding_minor' })
  outstandingMinor: number;

  @Column('varchar', { length: 20 })
  status: TrustPaymentStatus;

  @Column('varchar', { name: 'actor_id', length: 36 })
  actorId: string;

  @DateTimeColumn({ name: 'granted_at' })
  grantedAt: Date;

  @DateTimeColumn({ name: 'expires_at' })
  expiresAt: Date;

  @DateTimeColumn({ name: 'settled_at', nullable: true })
  settledAt: Date | null;
}
