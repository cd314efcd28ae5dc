import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { DateTimeColumn, MoneyColumn, Texts, bigintNumberTransformer } from '@selfcare/shared';

export enum UsageKind {
  CALL = 'CALL',
  SMS = 'SMS',
  DATA = 'DATA',
  /** one-off and periodic charges (monthly fees, connection fees) */
  CHARGE = 'CHARGE',
}

export enum Direction {
  INCOMING = 'INCOMING',
  OUTGOING = 'OUTGOING',
}

export type AllowanceUnitValue = 'MINUTES' | 'SMS' | 'MEGABYTES';

/**
 * One rated usage record of a line (a call, an SMS, a data session, a charge), as the rating engine hands it
 * over: what happened, where (home network or roaming), what it cost, and what it took from the tariff's
 * package (`allowance_unit`/`allowance_used`: minutes rounded up per call, megabytes per session).
 */
@Entity({ name: 'usage_records' })
@Index('ix_usage_records_subscriber_id_started_at', ['subscriberId', 'startedAt'])
export class UsageRecordEntity {
  @PrimaryColumn('varchar', { length: 36 })
  id: string;

  @Column('varchar', { name: 'subscriber_id', length: 36 })
  subscriberId: string;

  @Column('varchar', { length: 10 })
  kind: UsageKind;

  @DateTimeColumn({ name: 'started_at' })
  startedAt: Date;

  @Column('varchar', { length: 10, nullable: true })
  direction: Direction | null;

  /** the other number of a call or SMS, or the service of a data session */
  @Column('varchar', { length: 64, nullable: true })
  counterparty: string | null;

  @Column('int', { nullable: true })
  seconds: number | null;

  @Column('bigint', { nullable: true, transformer: bigintNumberTransformer })
  bytes: number | null;

  @Column('boolean')
  roaming: boolean;

  /** ISO 3166 country of the visited network while roaming */
  @Column('varchar', { name: 'roaming_country', length: 2, nullable: true })
  roamingCountry: string | null;

  /** terms 2.10: traffic of the My Beeline app on the home network is not charged (in roaming it is). */
  @Column('boolean', { name: 'zero_rated' })
  zeroRated: boolean;

  @MoneyColumn({ name: 'charge_minor' })
  chargeMinor: number;

  @Column('varchar', { name: 'allowance_unit', length: 10, nullable: true })
  allowanceUnit: AllowanceUnitValue | null;

  @Column('int', { name: 'allowance_used', nullable: true })
  allowanceUsed: number | null;

  @Column('simple-json')
  description: Texts;

  /** the rating engine's id of the record: ingesting it twice is a no-op */
  @Column('varchar', { name: 'source_ref', length: 100, nullable: true, unique: true })
  sourceRef: string | null;

  /** the network's revision of the record: a higher one is a correction, rated again (terms 2.10) */
  @Column('int', { default: 0 })
  revision: number;

  /** the operator's own app whose traffic this is (terms 2.10: MY_BEELINE), null for other traffic */
  @Column('varchar', { length: 32, nullable: true })
  app: string | null;

  /** start of the allowance period (catalog's) whose counter the record took from; null: seeded */
  @Column({ type: 'datetime', precision: 3, name: 'period_start', nullable: true })
  periodStart: Date | null;

  /** the tariff version the record was rated against (null: seeded, or a charge priced by the network) */
  @Column('varchar', { name: 'tariff_version_id', length: 36, nullable: true })
  tariffVersionId: string | null;

  @DateTimeColumn({ name: 'created_at' })
  createdAt: Date;
}
