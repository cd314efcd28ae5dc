import { Column, Entity, PrimaryColumn } from 'typeorm';
import { DateTimeColumn } from '@selfcare/shared';

/**
 * Every token revocation identity made (a status change, an ended session, a withdrawn consent), kept as long as an
 * access token can live: the shared store (Redis) may lose its contents, and identity writes them back from here.
 */
@Entity({ name: 'token_revocations' })
export class TokenRevocationEntity {
  /** 'subject:<id>' or 'session:<id>' */
  @PrimaryColumn('varchar', { length: 48 })
  key: string;

  /** tokens issued at or before this instant are void */
  @DateTimeColumn({ name: 'revoked_since' })
  since: Date;

  @Column('varchar', { length: 32 })
  code: string;

  @DateTimeColumn({ name: 'expires_at' })
  expiresAt: Date;
}
