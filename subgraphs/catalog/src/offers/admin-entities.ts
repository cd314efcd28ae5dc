import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { DateTimeColumn, bigintNumberTransformer } from '@selfcare/shared';

export type OfferKindValue = 'TARIFF' | 'SERVICE';

/**
 * The operator's changes to the catalog (terms 2.6), append-only: who (staff id and role) did what to which offer, when.
 * Changes that reach subscribers (a held offer's new price or terms, an offer made obsolete) are also written to
 * each holder's activity record (terms 2.4) by the holder jobs.
 */
@Entity({ name: 'catalog_changes' })
@Index('ix_catalog_changes_offer_id_at', ['offerId', 'at'])
export class CatalogChangeEntity {
  @PrimaryColumn('varchar', { length: 36 })
  id: string;

  @Column('varchar', { name: 'offer_kind', length: 10 })
  offerKind: OfferKindValue;

  @Column('varchar', { name: 'offer_id', length: 36 })
  offerId: string;

  @Column('varchar', { name: 'offer_code', length: 40 })
  offerCode: string;

  /** TARIFF_CREATED, TARIFF_VERSION_PUBLISHED, TARIFF_RETIRED, TARIFF_MADE_OBSOLETE, SERVICE_… */
  @Column('varchar', { length: 40 })
  action: string;

  @Column('varchar', { name: 'staff_id', length: 36 })
  staffId: string;

  @Column('varchar', { name: 'staff_role', length: 20 })
  staffRole: string;

  /** What changed, in English, as recorded. */
  @Column('varchar', { length: 1000 })
  details: string;

  @DateTimeColumn()
  at: Date;
}

export type HolderJobKind = 'NOTIFY_NEW_VERSION' | 'MIGRATE_TARIFF' | 'END_SERVICE';

/**
 * Work on every holder of an offer, done in batches after the staff operation that caused it: telling holders of a
 * new version (terms 2.8), moving the lines of an obsolete tariff, ending the connections of an obsolete service. The cursor
 * (the last line done) commits with each batch, so a restart resumes where it stopped and no holder is done twice.
 */
@Entity({ name: 'offer_holder_jobs' })
@Index('ix_offer_holder_jobs_finished_at', ['finishedAt'])
export class OfferHolderJobEntity {
  @PrimaryColumn('varchar', { length: 36 })
  id: string;

  @Column('varchar', { length: 30 })
  kind: HolderJobKind;

  @Column('varchar', { name: 'offer_kind', length: 10 })
  offerKind: OfferKindValue;

  @Column('varchar', { name: 'offer_id', length: 36 })
  offerId: string;

  @Column('varchar', { name: 'version_id', length: 36, nullable: true })
  versionId: string | null;

  @Column('varchar', { name: 'replacement_id', length: 36, nullable: true })
  replacementId: string | null;

  @Column('varchar', { name: 'staff_id', length: 36 })
  staffId: string;

  @Column('varchar', { name: 'after_subscriber_id', length: 36, nullable: true })
  afterSubscriberId: string | null;

  @Column('int')
  done: number;

  @DateTimeColumn({ name: 'lease_until', nullable: true })
  leaseUntil: Date | null;

  @DateTimeColumn({ name: 'created_at' })
  createdAt: Date;

  @DateTimeColumn({ name: 'finished_at', nullable: true })
  finishedAt: Date | null;
}

/**
 * One row: the offers' generation, raised in the transaction of every change of tariffs, services, their versions,
 * rules or conflicts (the admin's `record`, the demo seed). Readers keep the offer tables in memory and read only this
 * row per request (OfferCache); the row lock orders the changes, so a reader that sees generation G sees every change
 * up to G.
 */
@Entity({ name: 'offer_generation' })
export class OfferGenerationEntity {
  @PrimaryColumn('int')
  id: number;

  @Column('bigint', { transformer: bigintNumberTransformer })
  generation: number;
}
