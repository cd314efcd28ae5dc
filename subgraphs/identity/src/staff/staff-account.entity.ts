import { Column, Entity, PrimaryColumn } from 'typeorm';
import { DateTimeColumn } from '@selfcare/shared';

/** An operator's employee (terms 3.1.2 office passwords, provisioning, access status). Seeded from configuration. */
@Entity({ name: 'staff_accounts' })
export class StaffAccountEntity {
  @PrimaryColumn('varchar', { length: 36 })
  id: string;

  @Column('varchar', { length: 64 })
  login: string;

  @Column('varchar', { length: 16 })
  role: 'OPERATOR' | 'ADMIN';

  /** self-contained scrypt hash `scrypt$ln=..,r=..,p=..$<salt>$<key>` */
  @Column('varchar', { name: 'password_hash', length: 200 })
  passwordHash: string;

  /** false when the account was removed from the configuration: kept for the activity record, never logs in */
  @Column('boolean')
  active: boolean;

  @DateTimeColumn({ name: 'created_at' })
  createdAt: Date;

  @DateTimeColumn({ name: 'updated_at' })
  updatedAt: Date;
}
