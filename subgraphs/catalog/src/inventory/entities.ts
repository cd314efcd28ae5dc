import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { DateTimeColumn } from '@selfcare/shared';
import type { PartyTypeValue, SubscriberKindValue } from '../offers/entities';

export type AccessStatusValue = 'ACTIVE' | 'SUSPENDED' | 'BLOCKED' | 'TERMINATED';

/**
 * The catalog's record of one subscriber line (a mobile number or a home-internet contract): its kind and
 * its current tariff, with the tariff terms version it runs under (terms 2.2). Created when identity provisions
 * the line (SubscriberProvisioned); tariff changes (orders) update it later.
 */
@Entity({ name: 'subscriber_lines' })
@Index('ix_subscriber_lines_tariff_plan_id', ['tariffPlanId'])
export class SubscriberLineEntity {
  @PrimaryColumn('varchar', { name: 'subscriber_id', length: 36 })
  subscriberId: string;

  @Column('varchar', { length: 20 })
  kind: SubscriberKindValue;

  @Column('varchar', { name: 'party_type', length: 20 })
  partyType: PartyTypeValue;

  @Column('varchar', { name: 'tariff_plan_id', length: 36 })
  tariffPlanId: string;

  /** The tariff version (terms and prices) accepted when the tariff was given. */
  @Column('varchar', { name: 'tariff_version_id', length: 36 })
  tariffVersionId: string;

  @DateTimeColumn({ name: 'tariff_since' })
  tariffSince: Date;

  /** identity's access status of the line (AccessStatusChanged): orders need it ACTIVE (terms 3.3). */
  @Column('varchar', { name: 'access_status', length: 20, default: 'ACTIVE' })
  accessStatus: AccessStatusValue;

  /** When the contract ended (terms 3.3): no fees for the days after. */
  @DateTimeColumn({ name: 'terminated_at', nullable: true })
  terminatedAt: Date | null;

  @DateTimeColumn({ name: 'created_at' })
  createdAt: Date;

  @DateTimeColumn({ name: 'updated_at' })
  updatedAt: Date;
}

/**
 * A service connected to a line. Rows are kept after disconnection (disconnected_at set) as the line's
 * product history; the version accepted at connection is recorded (terms 2.2).
 */
@Entity({ name: 'connected_services' })
@Index('ix_connected_services_subscriber_id_disconnected_at', ['subscriberId', 'disconnectedAt'])
export class ConnectedServiceEntity {
  @PrimaryColumn('varchar', { length: 36 })
  id: string;

  @Column('varchar', { name: 'subscriber_id', length: 36 })
  subscriberId: string;

  @Column('varchar', { name: 'service_id', length: 36 })
  serviceId: string;

  @Column('varchar', { name: 'service_version_id', length: 36 })
  serviceVersionId: string;

  @DateTimeColumn({ name: 'connected_at' })
  connectedAt: Date;

  @DateTimeColumn({ name: 'disconnected_at', nullable: true })
  disconnectedAt: Date | null;

  /** The order that connected it (null: seeded, or from before orders existed). */
  @Column('varchar', { name: 'order_id', length: 36, nullable: true })
  orderId: string | null;
}

/**
 * Which tariff a line was on from when to when: written at provisioning and at every tariff change (the change's
 * instant closes one period and opens the next). Fees (the tariff a line ends a day on) and rating (the tariff at the
 * time of use) read it; never rewritten otherwise.
 */
@Entity({ name: 'tariff_periods' })
@Index('ix_tariff_periods_subscriber_id_starts_at', ['subscriberId', 'startsAt'])
export class TariffPeriodEntity {
  @PrimaryColumn('varchar', { length: 36 })
  id: string;

  @Column('varchar', { name: 'subscriber_id', length: 36 })
  subscriberId: string;

  @Column('varchar', { name: 'tariff_plan_id', length: 36 })
  tariffPlanId: string;

  /** The version accepted when the period began (terms 2.2). */
  @Column('varchar', { name: 'tariff_version_id', length: 36 })
  tariffVersionId: string;

  @DateTimeColumn({ name: 'starts_at' })
  startsAt: Date;

  /** null: the line is still on it */
  @DateTimeColumn({ name: 'ends_at', nullable: true })
  endsAt: Date | null;

  /** The order (or the operator's migration, null) that began it. */
  @Column('varchar', { name: 'order_id', length: 36, nullable: true })
  orderId: string | null;
}
