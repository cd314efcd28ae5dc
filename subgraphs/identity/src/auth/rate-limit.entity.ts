import { Column, Entity, PrimaryColumn } from 'typeorm';
import { DateTimeColumn } from '@selfcare/shared';

/**
 * A fixed-window counter with an optional lock, kept in identity's database so every replica sees the same
 * limits (password requests per number and per address, failed logins per login and per address).
 * The key is a hash of scope + value: no phone numbers or addresses in this table.
 */
@Entity({ name: 'rate_limits' })
export class RateLimitEntity {
  @PrimaryColumn('varchar', { name: 'bucket_key', length: 64 })
  key: string;

  @DateTimeColumn({ name: 'window_started_at' })
  windowStartedAt: Date;

  @Column('int')
  hits: number;

  @DateTimeColumn({ name: 'locked_until', nullable: true })
  lockedUntil: Date | null;

  @DateTimeColumn({ name: 'updated_at' })
  updatedAt: Date;
}
