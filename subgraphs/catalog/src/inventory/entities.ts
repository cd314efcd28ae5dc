import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { DateTimeColumn } from '@selfcare/shared';
import type { PartyTypeValue, SubscriberKindValue } from '../offers/entities';

/**
 * The catalog's record of one subscriber line (a mobile number or a home-internet contract): its kind and
 * its current tariff, with the tariff terms version it runs under (2.2). Created when identity provisions
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

  @DateTimeColumn({ name: 'created_at' })
  createdAt: Date;

  @DateTimeColumn({ name: 'updated_at' })
  updatedAt: Date;
}

/**
 * A service connected to a line. Rows are kept after disconnection (disconnected_at set) as the line's
 * product history; the version accepted at connection is recorded (2.2).
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
}
