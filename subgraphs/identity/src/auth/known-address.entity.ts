import { Entity, Index, PrimaryColumn } from 'typeorm';
import { DateTimeColumn } from '@selfcare/shared';

/**
 * A client address a login was used from successfully (hashed, like the rate-limit buckets): past the per-login
 * ceiling of failures, only such addresses may still try, so strangers cannot lock the owner out. Forgotten after
 * IDENTITY_KNOWN_ADDRESS_DAYS without a successful login from it.
 */
@Entity({ name: 'known_login_addresses' })
@Index('ix_known_login_addresses_last_success_at', ['lastSuccessAt'])
export class KnownLoginAddressEntity {
  @PrimaryColumn('varchar', { name: 'login_key', length: 64 })
  loginKey: string;

  @PrimaryColumn('varchar', { name: 'address_key', length: 64 })
  addressKey: string;

  @DateTimeColumn({ name: 'last_success_at' })
  lastSuccessAt: Date;
}
