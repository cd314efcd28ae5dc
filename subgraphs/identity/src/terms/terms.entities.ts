import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { DateTimeColumn } from '@selfcare/shared';

/** A published version of the terms of use (terms 6.1, 6.6); the highest ordinal is the current one. */
@Entity({ name: 'terms_versions' })
@Index('uq_terms_versions_version', ['version'], { unique: true })
@Index('uq_terms_versions_ordinal', ['ordinal'], { unique: true })
export class TermsVersionEntity {
  @PrimaryColumn('varchar', { length: 36 })
  id: string;

  @Column('varchar', { length: 32 })
  version: string;

  @Column('int')
  ordinal: number;

  @Column('varchar', { length: 500 })
  url: string;

  @DateTimeColumn({ name: 'published_at' })
  publishedAt: Date;

  /** staff id; null for the version installed with the system */
  @Column('varchar', { name: 'published_by', length: 36, nullable: true })
  publishedBy: string | null;
}

/** How a version was accepted: at registration (terms 6.2), explicitly, or by continued use at the next login (terms 3.5, 6.6). */
export type AcceptanceMethod = 'REGISTRATION' | 'EXPLICIT' | 'CONTINUED_USE';

@Entity({ name: 'terms_acceptances' })
@Index('uq_terms_acceptances_subscriber_id_version', ['subscriberId', 'version'], { unique: true })
export class TermsAcceptanceEntity {
  @PrimaryColumn('varchar', { length: 36 })
  id: string;

  @Column('varchar', { name: 'subscriber_id', length: 36 })
  subscriberId: string;

  @Column('varchar', { length: 32 })
  version: string;

  @DateTimeColumn({ name: 'accepted_at' })
  acceptedAt: Date;

  @Column('varchar', { length: 16, nullable: true })
  channel: 'WEB' | 'MOBILE_APP' | null;

  @Column('varchar', { length: 16 })
  method: AcceptanceMethod;
}
