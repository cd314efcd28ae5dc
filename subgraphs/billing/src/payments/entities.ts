import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { DateTimeColumn, MoneyColumn } from '@selfcare/shared';

/** Contract `PaymentStatus`: PENDING (outcome not known yet), REQUIRES_ACTION (3-D Secure), SUCCEEDED, FAILED. */
export enum PaymentStatus {
  PENDING = 'PENDING',
  REQUIRES_ACTION = 'REQUIRES_ACTION',
  SUCCEEDED = 'SUCCEEDED',
  FAILED = 'FAILED',
}

export const OPEN_PAYMENT_STATUSES = [PaymentStatus.PENDING, PaymentStatus.REQUIRES_ACTION];

export enum PaymentOrigin {
  /** payByCard */
  SUBSCRIBER = 'SUBSCRIBER',
  /** the account's autopay, after a charge took the balance below its threshold */
  AUTOPAY = 'AUTOPAY',
}

/**
 * A card payment (terms 2.1) and where it stands with the provider. Written before the provider is asked, so a crash
 * never loses a charge we may have made: an open payment is reconciled until the provider says how it ended, and the
 * ledger is credited once (`payment:<id>` is the entry's reference) in the transaction that records success.
 */
@Entity({ name: 'payments' })
@Index('uq_payments_idempotency_key', ['idempotencyKey'], { unique: true })
@Index('ix_payments_account_id_created_at', ['accountId', 'createdAt'])
@Index('ix_payments_status_next_check_at', ['status', 'nextCheckAt'])
export class PaymentEntity {
  @PrimaryColumn('varchar', { length: 36 })
  id: string;

  /** The account credited. */
  @Column('varchar', { name: 'account_id', length: 36 })
  accountId: string;

  /** The number paid for (the account's subscriber). */
  @Column('varchar', { name: 'subscriber_id', length: 36 })
  subscriberId: string;

  /** Who paid; null for autopay. */
  @Column('varchar', { name: 'actor_id', length: 36, nullable: true })
  actorId: string | null;

  /** terms 4.3: the payer tops up a number they manage. */
  @Column('boolean', { name: 'via_management' })
  viaManagement: boolean;

  @Column('varchar', { length: 20, nullable: true })
  channel: string | null;

  @Column('varchar', { length: 20 })
  origin: PaymentOrigin;

  /** The client's key scoped by its payer (`<actorId>:<key>`), or `autopay:<ledger entry id>`. */
  @Column('varchar', { name: 'idempotency_key', length: 120 })
  idempotencyKey: string;

  /** SHA-256 of the request's arguments: the same key with other arguments is IDEMPOTENCY_CONFLICT. */
  @Column('varchar', { name: 'request_hash', length: 64 })
  requestHash: string;

  @MoneyColumn({ name: 'amount_minor' })
  amountMinor: number;

  @Column('varchar', { length: 3 })
  currency: string;

  /** The provider's single-use token of a new card (never the card number); cleared once the outcome is known. */
  @Column('varchar', { name: 'card_token', length: 100, nullable: true })
  cardToken: string | null;

  /** The saved card paid with, or the card this payment saved. */
  @Column('varchar', { name: 'saved_card_id', length: 36, nullable: true })
  savedCardId: string | null;

  /** Where a card saved by this payment goes: the payer's own account. */
  @Column('varchar', { name: 'save_to_account_id', length: 36, nullable: true })
  saveToAccountId: string | null;

  @Column('varchar', { length: 20 })
  status: PaymentStatus;

  /** Contract ErrorCode of a FAILED payment. */
  @Column('varchar', { name: 'failure_code', length: 40, nullable: true })
  failureCode: string | null;

  @Column('varchar', { name: 'provider_charge_id', length: 64, nullable: true })
  providerChargeId: string | null;

  @Column('varchar', { name: 'action_url', length: 500, nullable: true })
  actionUrl: string | null;

  /** The card's display data as the provider reported it (receipts, activity). */
  @Column('varchar', { name: 'card_brand', length: 20, nullable: true })
  cardBrand: string | null;

  @Column('varchar', { name: 'card_last4', length: 4, nullable: true })
  cardLast4: string | null;

  /** How often the provider was asked about it after its first answer was missing (back-off of the reconciliation). */
  @Column('int')
  checks: number;

  /** When the reconciliation job asks the provider next; null once the outcome is known. */
  @DateTimeColumn({ name: 'next_check_at', nullable: true })
  nextCheckAt: Date | null;

  /** Whoever drives the payment (the request, or the reconciliation on some replica) holds it until then. */
  @DateTimeColumn({ name: 'lease_until', nullable: true })
  leaseUntil: Date | null;

  @DateTimeColumn({ name: 'created_at' })
  createdAt: Date;

  @DateTimeColumn({ name: 'updated_at' })
  updatedAt: Date;

  @DateTimeColumn({ name: 'completed_at', nullable: true })
  completedAt: Date | null;
}

/** Each provider webhook event taken, once (a replay finds its row). */
@Entity({ name: 'payment_webhook_events' })
export class PaymentWebhookEventEntity {
  @PrimaryColumn('varchar', { name: 'event_id', length: 64 })
  eventId: string;

  @Column('varchar', { length: 40 })
  type: string;

  @Column('varchar', { name: 'charge_id', length: 64 })
  chargeId: string;

  @Column('varchar', { name: 'payment_id', length: 36, nullable: true })
  paymentId: string | null;

  @DateTimeColumn({ name: 'received_at' })
  receivedAt: Date;
}
