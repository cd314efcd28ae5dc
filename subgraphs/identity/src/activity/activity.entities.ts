import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { DateTimeColumn, bigintNumberTransformer } from '@selfcare/shared';

/**
 * One action on a number (terms 2.4, 3.5, 4.3). Append-only: nothing updates or deletes these rows, except the
 * retention job, which blanks the details of a contract ended 3 years ago (terms 2.11) and keeps the rest.
 * Entries from other subgraphs carry their stream and event id, unique, so a redelivered event is not stored twice.
 */
@Entity({ name: 'activity_entries' })
@Index('ix_activity_entries_subscriber_id_at', ['subscriberId', 'at'])
@Index('uq_activity_entries_source_stream_source_event_id', ['sourceStream', 'sourceEventId'], { unique: true })
export class ActivityEntryEntity {
  @PrimaryColumn('varchar', { length: 36 })
  id: string;

  @Column('varchar', { name: 'subscriber_id', length: 36 })
  subscriberId: string;

  @Column('varchar', { name: 'actor_id', length: 36, nullable: true })
  actorId: string | null;

  @Column('varchar', { name: 'actor_kind', length: 16 })
  actorKind: 'SUBSCRIBER' | 'STAFF' | 'SYSTEM';

  @Column('boolean', { name: 'via_management' })
  viaManagement: boolean;

  @Column('varchar', { length: 16, nullable: true })
  channel: 'WEB' | 'MOBILE_APP' | null;

  @Column('varchar', { length: 64 })
  action: string;

  /** as recorded, in English (identity's own entries) or as the producing subgraph sent it */
  @Column('text', { nullable: true })
  details: string | null;

  /** identity's own entries: what `details` says, as a code of activity/activity-details.ts, rendered per reader */
  @Column('varchar', { name: 'detail_code', length: 64, nullable: true })
  detailCode: string | null;

  @Column('simple-json', { name: 'detail_params', nullable: true })
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- TypeORM's insert types cannot take `unknown` JSON values
  detailParams: Record<string, any> | null;

  @DateTimeColumn({ name: 'at' })
  at: Date;

  /** 'identity' for own entries, else the producing subgraph */
  @Column('varchar', { name: 'source_stream', length: 40 })
  sourceStream: string;

  @Column('bigint', { name: 'source_event_id', nullable: true, transformer: bigintNumberTransformer })
  sourceEventId: number | null;
}
