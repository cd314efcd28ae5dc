import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { DateTimeColumn, MoneyColumn, TariffRates, Texts } from '@selfcare/shared';

export type SubscriberKindValue = 'MOBILE' | 'HOME_INTERNET';
export type PartyTypeValue = 'INDIVIDUAL' | 'LEGAL_ENTITY';
export type AllowanceUnitValue = 'MINUTES' | 'SMS' | 'MEGABYTES';

export interface AllowanceSpecValue {
  unit: AllowanceUnitValue;
  amount: number;
}

/**
 * One published version of a tariff plan's terms and prices (terms 2.2, 2.6). Versions are never changed
 * once published: a price change is a new version, so an order can record exactly which one was accepted.
 */
@Entity({ name: 'tariff_plan_versions' })
@Index('uq_tariff_plan_versions_plan_terms', ['tariffPlanId', 'termsVersion'], { unique: true })
export class TariffPlanVersionEntity {
  @PrimaryColumn('varchar', { length: 36 })
  id: string;

  @Column('varchar', { name: 'tariff_plan_id', length: 36 })
  tariffPlanId: string;

  /** The label subscribers accept, e.g. "2025-11-01" (contract `termsVersion`). */
  @Column('varchar', { name: 'terms_version', length: 40 })
  termsVersion: string;

  @Column('varchar', { name: 'terms_url', length: 255 })
  termsUrl: string;

  @MoneyColumn({ name: 'monthly_fee_minor' })
  monthlyFeeMinor: number;

  @MoneyColumn({ name: 'switch_fee_minor' })
  switchFeeMinor: number;

  @Column('simple-json')
  allowances: AllowanceSpecValue[];

  /** Per-unit rates (home, roaming per zone); null on versions published before rates were. */
  @Column('simple-json', { nullable: true })
  rates: TariffRates | null;

  @DateTimeColumn({ name: 'effective_from' })
  effectiveFrom: Date;

  @DateTimeColumn({ name: 'created_at' })
  createdAt: Date;
}

/** A tariff plan of the managed catalog (terms 2.6: the operator may withdraw it or publish new terms at any time). */
@Entity({ name: 'tariff_plans' })
export class TariffPlanEntity {
  @PrimaryColumn('varchar', { length: 36 })
  id: string;

  @Column('varchar', { length: 40, unique: true })
  code: string;

  @Column('varchar', { length: 20 })
  kind: SubscriberKindValue;

  /** null: open to individuals and legal entities alike. */
  @Column('varchar', { name: 'party_type', length: 20, nullable: true })
  partyType: PartyTypeValue | null;

  @Column('simple-json')
  name: Texts;

  @Column('simple-json')
  description: Texts;

  /** false: withdrawn from sale (terms 2.6); subscribers already on it keep it. */
  @Column('boolean')
  active: boolean;

  /** Made obsolete by the operator: off sale, and its lines were moved to another tariff. */
  @DateTimeColumn({ name: 'obsolete_at', nullable: true })
  obsoleteAt: Date | null;

  @Column('int', { name: 'sort_order' })
  sortOrder: number;

  @Column('varchar', { name: 'current_version_id', length: 36, nullable: true })
  currentVersionId: string | null;

  @ManyToOne(() => TariffPlanVersionEntity, { nullable: true, createForeignKeyConstraints: false })
  @JoinColumn({ name: 'current_version_id' })
  currentVersion: TariffPlanVersionEntity | null;

  @DateTimeColumn({ name: 'created_at' })
  createdAt: Date;

  @DateTimeColumn({ name: 'updated_at' })
  updatedAt: Date;
}

/** One published version of a service's terms and prices (terms 2.2). */
@Entity({ name: 'service_versions' })
@Index('uq_service_versions_service_terms', ['serviceId', 'termsVersion'], { unique: true })
export class ServiceVersionEntity {
  @PrimaryColumn('varchar', { length: 36 })
  id: string;

  @Column('varchar', { name: 'service_id', length: 36 })
  serviceId: string;

  @Column('varchar', { name: 'terms_version', length: 40 })
  termsVersion: string;

  @Column('varchar', { name: 'terms_url', length: 255 })
  termsUrl: string;

  @MoneyColumn({ name: 'connection_fee_minor' })
  connectionFeeMinor: number;

  @MoneyColumn({ name: 'monthly_fee_minor' })
  monthlyFeeMinor: number;

  @DateTimeColumn({ name: 'effective_from' })
  effectiveFrom: Date;

  @DateTimeColumn({ name: 'created_at' })
  createdAt: Date;
}

/** An optional service (option) a subscriber may connect (terms 2.1). */
@Entity({ name: 'services' })
export class ServiceEntity {
  @PrimaryColumn('varchar', { length: 36 })
  id: string;

  @Column('varchar', { length: 40, unique: true })
  code: string;

  @Column('varchar', { length: 40 })
  category: string;

  @Column('simple-json')
  name: Texts;

  @Column('simple-json')
  description: Texts;

  /** false: withdrawn from sale (terms 2.6); subscribers who have it keep it. */
  @Column('boolean')
  active: boolean;

  /** Made obsolete by the operator: off sale, and every connection of it was ended. */
  @DateTimeColumn({ name: 'obsolete_at', nullable: true })
  obsoleteAt: Date | null;

  @Column('int', { name: 'sort_order' })
  sortOrder: number;

  @Column('varchar', { name: 'current_version_id', length: 36, nullable: true })
  currentVersionId: string | null;

  @ManyToOne(() => ServiceVersionEntity, { nullable: true, createForeignKeyConstraints: false })
  @JoinColumn({ name: 'current_version_id' })
  currentVersion: ServiceVersionEntity | null;

  @DateTimeColumn({ name: 'created_at' })
  createdAt: Date;

  @DateTimeColumn({ name: 'updated_at' })
  updatedAt: Date;
}

/**
 * Availability rule: the service may be connected by subscribers of `subscriberKind`, on any tariff
 * (tariffPlanId null) or on that tariff only. A service without a matching rule is not offered.
 */
@Entity({ name: 'service_rules' })
@Index('ix_service_rules_service_id', ['serviceId'])
export class ServiceRuleEntity {
  @PrimaryColumn('varchar', { length: 36 })
  id: string;

  @Column('varchar', { name: 'service_id', length: 36 })
  serviceId: string;

  @Column('varchar', { name: 'subscriber_kind', length: 20 })
  subscriberKind: SubscriberKindValue;

  @Column('varchar', { name: 'tariff_plan_id', length: 36, nullable: true })
  tariffPlanId: string | null;

  @DateTimeColumn({ name: 'created_at' })
  createdAt: Date;
}

/** Two services that cannot be connected at the same time (INCOMPATIBLE_SERVICE); symmetric. */
@Entity({ name: 'service_conflicts' })
export class ServiceConflictEntity {
  @PrimaryColumn('varchar', { name: 'service_id', length: 36 })
  serviceId: string;

  @PrimaryColumn('varchar', { name: 'conflicting_service_id', length: 36 })
  conflictingServiceId: string;

  @DateTimeColumn({ name: 'created_at' })
  createdAt: Date;
}
