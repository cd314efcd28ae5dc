import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { DateTimeColumn, MoneyColumn } from '@selfcare/shared';
import type { OfferKindValue } from '../offers/admin-entities';

export type OrderKindValue = 'CONNECT_SERVICE' | 'DISCONNECT_SERVICE' | 'CHANGE_TARIFF';
export type OrderStatusValue = 'ACKNOWLEDGED' | 'IN_PROGRESS' | 'COMPLETED' | 'FAILED' | 'REJECTED';
/**
 * Where the saga stands (the status says it to clients): ACCEPTED (checks passed) → CHARGING (the fee is asked of
 * billing) → CHARGED → DONE; or, when the change cannot be made once charged, REFUNDING → DONE (FAILED).
 */
export type OrderStepValue = 'ACCEPTED' | 'CHARGING' | 'CHARGED' | 'REFUNDING' | 'DONE';
export type ActorKindValue = 'SUBSCRIBER' | 'STAFF' | 'SYSTEM';

export const OPEN_STATUSES: OrderStatusValue[] = ['ACKNOWLEDGED', 'IN_PROGRESS'];

/**
 * A product order (TMF622 style): connect or disconnect a service, change the tariff. Kept for good — it is the
 * record of what the subscriber accepted (terms 2.2: the terms version and the price) and the idempotency record of the
 * request (one order per caller and idempotency key).
 */
@Entity({ name: 'product_orders' })
@Index('uq_product_orders_actor_id_idempotency_key', ['actorId', 'idempotencyKey'], { unique: true })
@Index('ix_product_orders_subscriber_id_created_at', ['subscriberId', 'createdAt'])
@Index('ix_product_orders_status_lease_until', ['status', 'leaseUntil'])
export class ProductOrderEntity {
  @PrimaryColumn('varchar', { length: 36 })
  id: string;

  @Column('varchar', { length: 30 })
  kind: OrderKindValue;

  @Column('varchar', { length: 20 })
  status: OrderStatusValue;

  @Column('varchar', { length: 20 })
  step: OrderStepValue;

  /** The number the order is for. */
  @Column('varchar', { name: 'subscriber_id', length: 36 })
  subscriberId: string;

  /** Who placed it: the owner, or a manager of the number (terms 4.3). */
  @Column('varchar', { name: 'actor_id', length: 36 })
  actorId: string;

  @Column('varchar', { name: 'actor_kind', length: 20 })
  actorKind: ActorKindValue;

  @Column('boolean', { name: 'via_management' })
  viaManagement: boolean;

  @Column('varchar', { length: 20, nullable: true })
  channel: 'WEB' | 'MOBILE_APP' | null;

  @Column('varchar', { name: 'idempotency_key', length: 200 })
  idempotencyKey: string;

  /** sha256 of the arguments: the same key with other arguments is IDEMPOTENCY_CONFLICT */
  @Column('varchar', { name: 'request_hash', length: 64 })
  requestHash: string;

  @Column('varchar', { name: 'offer_kind', length: 10 })
  offerKind: OfferKindValue;

  /** null: the code named no offer (REJECTED NOT_FOUND) */
  @Column('varchar', { name: 'offer_id', length: 36, nullable: true })
  offerId: string | null;

  @Column('varchar', { name: 'offer_code', length: 40 })
  offerCode: string;

  @Column('varchar', { name: 'offer_version_id', length: 36, nullable: true })
  offerVersionId: string | null;

  /** terms 2.2: the terms version accepted with the order (for a disconnection, the one the service ran under) */
  @Column('varchar', { name: 'accepted_terms_version', length: 40 })
  acceptedTermsVersion: string;

  /** terms 2.2: the monthly fee of the accepted version */
  @MoneyColumn({ name: 'accepted_price_minor', nullable: true })
  acceptedPriceMinor: number | null;

  /** the one-off fee the order charges: connection fee or switch fee (0 for a disconnection) */
  @MoneyColumn({ name: 'fee_minor' })
  feeMinor: number;

  /** CHANGE_TARIFF: the tariff the line was on */
  @Column('varchar', { name: 'previous_tariff_plan_id', length: 36, nullable: true })
  previousTariffPlanId: string | null;

  @Column('varchar', { name: 'failure_code', length: 40, nullable: true })
  failureCode: string | null;

  /** the refusal's extensions (conflicting service, current terms version…), replayed to a retry */
  @Column('simple-json', { name: 'failure_details', nullable: true })
  failureDetails: Record<string, string | number> | null;

  /** Who drives the saga now and until when (another process takes over once it passed). */
  @Column('varchar', { name: 'lease_owner', length: 36, nullable: true })
  leaseOwner: string | null;

  @DateTimeColumn({ name: 'lease_until', nullable: true })
  leaseUntil: Date | null;

  @Column('int')
  attempts: number;

  @DateTimeColumn({ name: 'created_at' })
  createdAt: Date;

  @DateTimeColumn({ name: 'updated_at' })
  updatedAt: Date;

  @DateTimeColumn({ name: 'completed_at', nullable: true })
  completedAt: Date | null;
}
