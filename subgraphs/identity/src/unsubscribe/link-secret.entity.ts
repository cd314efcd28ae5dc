import { Column, Entity, PrimaryColumn } from 'typeorm';
import { DateTimeColumn } from '@selfcare/shared';

/**
 * Keys for signed links (unsubscribe, 6.4). Kept in identity's database so links in e-mails already sent keep
 * working across restarts and instances; created once on first use unless configuration supplies the key.
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
