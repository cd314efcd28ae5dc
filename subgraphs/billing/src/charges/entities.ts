import { Entity, PrimaryColumn } from 'typeorm';
import { DateTimeColumn, MoneyColumn } from '@selfcare/shared';

/**
 * A charge refused for insufficient funds (INSUFFICIENT_FUNDS), kept so that a retry of the same request — the same
 * reference — gets the same answer even after a top-up: the order that asked was told "refused" and must not be
 * charged later by a late duplicate.
 */
@Entity({ name: 'refused_charges' })
export class RefusedChargeEntity {
  @PrimaryColumn('varchar', { name: 'account_id', length: 36 })
  accountId: string;

  @PrimaryColumn('varchar', { length: 100 })
  reference: string;

  @MoneyColumn({ name: 'amount_minor' })
  amountMinor: number;

  @MoneyColumn({ name: 'balance_minor' })
  balanceMinor: number;

  @MoneyColumn({ name: 'credit_limit_minor' })
  creditLimitMinor: number;

  @DateTimeColumn({ name: 'created_at' })
  createdAt: Date;
}
