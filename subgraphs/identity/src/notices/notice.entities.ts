import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { DateTimeColumn } from '@selfcare/shared';

/**
 * An in-cabinet notification (terms 2.8). `dedupe_key` is unique per subscriber, so delivering a broadcast again
 * after a crash never gives anyone a second copy.
 */
@Entity({ name: 'cabinet_notifications' })
@Index('uq_cabinet_notifications_subscriber_id_dedupe_key', ['subscriberId', 'dedupeKey'], { unique: true })
@Index('ix_cabinet_notifications_subscriber_id_created_at', ['subscriberId', 'createdAt'])
export class CabinetNotificationEntity {
  @PrimaryColumn('varchar', { length: 36 })
  id: string;

  @Column('varchar', { name: 'subscriber_id', length: 36 })
  subscriberId: string;

  @Column('varchar', { name: 'dedupe_key', length: 80 })
  dedupeKey: string;

  @Column('varchar', { length: 200 })
  title: string;

  @Column('text')
  body: string;

  /** the text per language, shown in the reader's; null: `title`/`body` for every reader (or the broadcast's texts) */
  @Column('simple-json', { nullable: true })
  texts: NoticeTexts | null;

  /** the broadcast it came with, whose texts it shows (kept once, not in every subscriber's row) */
  @Column('varchar', { name: 'broadcast_id', length: 36, nullable: true })
  broadcastId: string | null;

  @DateTimeColumn({ name: 'created_at' })
  createdAt: Date;

  @DateTimeColumn({ name: 'read_at', nullable: true })
  readAt: Date | null;
}

/** A notice in kk, ru and en. */
export type NoticeTexts = Record<'KK' | 'RU' | 'EN', { title: string; body: string }>;

export type BroadcastPurpose = 'NOTICE' | 'TERMS';
export type BroadcastStatus = 'PENDING' | 'RUNNING' | 'DONE';

/**
 * A delivery job to many subscribers, worked through in batches of subscribers ordered by id. The cursor
 * (`last_subscriber_id`) commits with each batch, so a worker that dies resumes where the last batch ended.
 */
@Entity({ name: 'notice_broadcasts' })
@Index('ix_notice_broadcasts_status', ['status'])
export class NoticeBroadcastEntity {
  @PrimaryColumn('varchar', { length: 36 })
  id: string;

  @Column('varchar', { length: 16 })
  purpose: BroadcastPurpose;

  @Column('varchar', { length: 200 })
  title: string;

  @Column('text')
  body: string;

  /** what each subscriber reads, per language (title/body: the fallback text, or the Russian one) */
  @Column('simple-json', { nullable: true })
  texts: NoticeTexts | null;

  /** 'MOBILE' | 'HOME_INTERNET'; null = everybody */
  @Column('varchar', { name: 'kind_filter', length: 16, nullable: true })
  kindFilter: string | null;

  /** NOTICE: also by e-mail to those who consented to marketing e-mail (terms 6.4) */
  @Column('boolean', { name: 'by_email' })
  byEmail: boolean;

  /** NOTICE: also by SMS to those who consented to marketing SMS (terms 6.4) */
  @Column('boolean', { name: 'by_sms' })
  bySms: boolean;

  @Column('varchar', { name: 'terms_version', length: 32, nullable: true })
  termsVersion: string | null;

  @Column('varchar', { name: 'created_by', length: 36, nullable: true })
  createdBy: string | null;

  @DateTimeColumn({ name: 'created_at' })
  createdAt: Date;

  @Column('varchar', { length: 16 })
  status: BroadcastStatus;

  @Column('varchar', { name: 'last_subscriber_id', length: 36, nullable: true })
  lastSubscriberId: string | null;

  @Column('int')
  delivered: number;

  @Column('int')
  emailed: number;

  @Column('int')
  texted: number;

  /** The worker holding the job, and until when; an expired lease lets another worker resume it. */
  @Column('varchar', { name: 'lease_owner', length: 36, nullable: true })
  leaseOwner: string | null;

  @DateTimeColumn({ name: 'lease_until', nullable: true })
  leaseUntil: Date | null;

  @DateTimeColumn({ name: 'started_at', nullable: true })
  startedAt: Date | null;

  @DateTimeColumn({ name: 'finished_at', nullable: true })
  finishedAt: Date | null;
}
