import { Column, Entity, PrimaryColumn } from 'typeorm';
import { DateTimeColumn } from '@selfcare/shared';

/**
 * The secret of signed links (e-mail verification, unsubscribe: terms 6.4) when IDENTITY_LINK_SECRET is not set: kept in
 * identity's database so links in e-mails already sent keep working across restarts and instances. One row, named
 * `unsubscribe-link` since the unsubscribe links were its first use.
 */
@Entity({ name: 'link_secrets' })
export class LinkSecretEntity {
  @PrimaryColumn('varchar', { length: 40 })
  name: string;

  @Column('varchar', { length: 128 })
  secret: string;

  @DateTimeColumn({ name: 'created_at' })
  createdAt: Date;
}
