import { Column, Entity, PrimaryColumn } from 'typeorm';
import { DateTimeColumn, MoneyColumn } from '@selfcare/shared';

/**
 * An account's autopay: when a charge takes the balance below `threshold`, `amount` is paid from the saved card —
 * once per such charge. A payment that fails turns it off (`failureCode`) and the subscriber is told.
 */
@Entity({ name: 'autopay_settings' })
export class AutopayEntity {
  @PrimaryColumn('varchar', { name: 'account_id', length: 36 })
  accountId: string;

  @Column('varchar', { name: 'subscriber_id', length: 36 })
  subscriberId: string;

  @Column('varchar', { name: 'saved_card_id', length: 36 })
  savedCardId: string;

  @MoneyColumn({ name: 'threshold_minor' })
  thresholdMinor: number;

  @MoneyColumn({ name: 'amount_minor' })
  amountMinor: number;

  @Column('boolean')
  enabled: boolean;

  /** Why it was turned off by the system (PAYMENT_DECLINED); null when on, or turned off by the subscriber. */
  @Column('varchar', { name: 'failure_code', length: 40, nullable: true })
  failureCode: string | null;

  /** Who set it up. */
  @Column('varchar', { name: 'set_by', length: 36 })
  setBy: string;

  @DateTimeColumn({ name: 'created_at' })
  createdAt: Date;

  @DateTimeColumn({ name: 'updated_at' })
  updatedAt: Date;
}
