import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { DateTimeColumn, bigintNumberTransformer } from '@selfcare/shared';

/**
 * Detailing's own view of identity's lines (SubscriberProvisioned, AccessStatusChanged): which subscriber a number
 * (or a home-internet login) is, so ingestion judges "a known number" without asking identity per record.
 */
@Entity({ name: 'usage_lines' })
@Index('ix_usage_lines_msisdn', ['msisdn'])
@Index('ix_usage_lines_login', ['login'])
export class UsageLineEntity {
  @PrimaryColumn('varchar', { name: 'subscriber_id', length: 36 })
  subscriberId: string;

  /** E.164; null for home internet */
  @Column('varchar', { length: 16, nullable: true })
  msisdn: string | null;

  /** the home-internet contract's login (mobile lines: null) */
  @Column('varchar', { length: 64, nullable: true })
  login: string | null;

  @Column('varchar', { length: 16 })
  kind: 'MOBILE' | 'HOME_INTERNET';

  /** the contract ended (terms 3.3): its number takes no usage any more */
  @Column('boolean')
  ended: boolean;

  @DateTimeColumn({ name: 'updated_at' })
  updatedAt: Date;
}

/**
 * What a line took from its tariff's package in one allowance period (catalog's: the Almaty month cut at a tariff
 * switch), the rating engine's balance counter: locked while a batch is rated, so two batches of one line never both
 * take the same minutes. Created from the period's rated records the first time the period is rated.
 */
@Entity({ name: 'usage_counters' })
export class UsageCounterEntity {
  @PrimaryColumn('varchar', { name: 'subscriber_id', length: 36 })
  subscriberId: string;

  @PrimaryColumn({ type: 'datetime', precision: 3, name: 'period_start' })
  periodStart: Date;

  @Column('int')
  minutes: number;

  @Column('int')
  sms: number;

  @Column('int')
  megabytes: number;

  @DateTimeColumn({ name: 'updated_at' })
  updatedAt: Date;
}

/**
 * The charges of one line's usage on one Almaty day, as rated (`ratedMinor`) and as handed to billing (`postedMinor`):
 * the charge window posts the difference as one ledger entry (terms 2.10), so a day of thousands of records costs the
 * ledger — and balanceChanged, and billing's consumers — one entry per window, not one per record.
 */
@Entity({ name: 'usage_charge_totals' })
@Index('ix_usage_charge_totals_pending', ['pending'])
export class UsageChargeTotalEntity {
  @PrimaryColumn('varchar', { name: 'subscriber_id', length: 36 })
  subscriberId: string;

  /** YYYY-MM-DD in Asia/Almaty */
  @PrimaryColumn('varchar', { length: 10 })
  day: string;

  @Column('bigint', { name: 'rated_minor', transformer: bigintNumberTransformer })
  ratedMinor: number;

  @Column('bigint', { name: 'posted_minor', transformer: bigintNumberTransformer })
  postedMinor: number;

  /** records rated into the total since the last posting */
  @Column('int', { name: 'pending_records' })
  pendingRecords: number;

  /** ledger entries posted for the line-day so far: the next one's reference counts on from it */
  @Column('int')
  postings: number;

  @Column('boolean')
  pending: boolean;

  /** the latest usage start rated into the day: the ledger entry's time */
  @DateTimeColumn({ name: 'last_at' })
  lastAt: Date;

  @DateTimeColumn({ name: 'updated_at' })
  updatedAt: Date;
}
