import { Column, Entity, PrimaryColumn } from 'typeorm';
import { DateTimeColumn, MoneyColumn } from '@selfcare/shared';

/**
 * The periodic-fee run of one Almaty day: its cursor (the last line whose fees are posted — committed with them),
 * who runs it until when (a lease, so overlapping instances do not both work on it), and when it was done. The first
 * run of a new system writes a `skipped` row for the day before, the day fees start after.
 */
@Entity({ name: 'fee_runs' })
export class FeeRunEntity {
  @PrimaryColumn('varchar', { length: 10 })
  day: string;

  @Column('varchar', { name: 'after_subscriber_id', length: 36, nullable: true })
  afterSubscriberId: string | null;

  @Column('int')
  lines: number;

  @Column('int')
  charged: number;

  @MoneyColumn({ name: 'amount_minor' })
  amountMinor: number;

  @Column('boolean')
  skipped: boolean;

  @Column('varchar', { name: 'lease_owner', length: 36, nullable: true })
  leaseOwner: string | null;

  @DateTimeColumn({ name: 'lease_until', nullable: true })
  leaseUntil: Date | null;

  @DateTimeColumn({ name: 'started_at' })
  startedAt: Date;

  @DateTimeColumn({ name: 'completed_at', nullable: true })
  completedAt: Date | null;
}
