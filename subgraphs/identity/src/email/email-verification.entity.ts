import { Column, Entity, PrimaryColumn } from 'typeorm';
import { DateTimeColumn } from '@selfcare/shared';

/** One e-mail verification link sent by setEmail; single use, short-lived. */
@Entity({ name: 'email_verifications' })
export class EmailVerificationEntity {
  @PrimaryColumn('varchar', { length: 36 })
  id: string;

  @Column('varchar', { name: 'subscriber_id', length: 36 })
  subscriberId: string;

  @Column('varchar', { length: 254 })
  email: string;

  @DateTimeColumn({ name: 'created_at' })
  createdAt: Date;

  @DateTimeColumn({ name: 'expires_at' })
  expiresAt: Date;

  @DateTimeColumn({ name: 'used_at', nullable: true })
  usedAt: Date | null;
}
