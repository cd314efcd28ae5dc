import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { DateTimeColumn, bigintNumberTransformer } from '@selfcare/shared';

export enum StatementFormat {
  CSV = 'CSV',
  PDF = 'PDF',
}

export enum StatementStatus {
  QUEUED = 'QUEUED',
  RUNNING = 'RUNNING',
  READY = 'READY',
  SENT = 'SENT',
  FAILED = 'FAILED',
}

/**
 * A statement of a line's usage (terms 2.1) ordered by a subscriber for their own number or a managed one (terms 1, 4.3):
 * a job QUEUED → RUNNING → READY (→ SENT when e-mailed) or FAILED. The rendered file is kept in `statement_chunks`.
 */
@Entity({ name: 'statements' })
@Index('ix_statements_status_next_attempt_at', ['status', 'nextAttemptAt'])
@Index('ix_statements_subscriber_id_ordered_by_created_at', ['subscriberId', 'orderedBy', 'createdAt'])
@Index('uq_statements_ordered_by_open_slot', ['orderedBy', 'openSlot'], { unique: true })
export class StatementEntity {
  @PrimaryColumn('varchar', { length: 36 })
  id: string;

  /** the number whose usage it lists */
  @Column('varchar', { name: 'subscriber_id', length: 36 })
  subscriberId: string;

  /** who ordered it: the number's owner or its manager; only they see it */
  @Column('varchar', { name: 'ordered_by', length: 36 })
  orderedBy: string;

  /** ordered through a management grant (terms 4.3): counterparties are masked in the file */
  @Column('boolean', { name: 'via_management' })
  viaManagement: boolean;

  @Column('varchar', { length: 3 })
  format: StatementFormat;

  @DateTimeColumn({ name: 'period_from' })
  periodFrom: Date;

  @DateTimeColumn({ name: 'period_to' })
  periodTo: Date;

  /** the language the file and the e-mail are written in (the caller's at order time) */
  @Column('varchar', { length: 2 })
  language: string;

  @Column('varchar', { length: 10 })
  status: StatementStatus;

  /** why it FAILED, or why a READY statement was not e-mailed (EMAIL_NOT_VERIFIED, EMAIL_UNDELIVERABLE) */
  @Column('varchar', { name: 'failure_code', length: 40, nullable: true })
  failureCode: string | null;

  /** `email: true` at order time */
  @Column('boolean', { name: 'email_requested' })
  emailRequested: boolean;

  /** e-mail asked for and not yet delivered or given up */
  @Column('boolean', { name: 'email_pending' })
  emailPending: boolean;

  /** 0..N-1 while QUEUED or RUNNING, null after: the unique (ordered_by, open_slot) caps open jobs per caller exactly */
  @Column('int', { name: 'open_slot', nullable: true })
  openSlot: number | null;

  /** bumped by every status change: a subscription's cursor */
  @Column('int')
  version: number;

  @Column('int')
  attempts: number;

  @Column('int', { name: 'email_attempts' })
  emailAttempts: number;

  @DateTimeColumn({ name: 'next_attempt_at' })
  nextAttemptAt: Date;

  /** whoever renders or mails it holds the lease; a job whose lease ran out (a crash) is taken up again */
  @Column('varchar', { name: 'lease_token', length: 36, nullable: true })
  leaseToken: string | null;

  @DateTimeColumn({ name: 'lease_until', nullable: true })
  leaseUntil: Date | null;

  @Column('int', { name: 'row_count', nullable: true })
  rowCount: number | null;

  @Column('bigint', { name: 'byte_size', nullable: true, transformer: bigintNumberTransformer })
  byteSize: number | null;

  @DateTimeColumn({ name: 'created_at' })
  createdAt: Date;

  @DateTimeColumn({ name: 'updated_at' })
  updatedAt: Date;
}

/** The rendered file in pieces of at most CHUNK_BYTES, so neither rendering nor download holds it whole in memory. */
@Entity({ name: 'statement_chunks' })
export class StatementChunkEntity {
  @PrimaryColumn('varchar', { name: 'statement_id', length: 36 })
  statementId: string;

  @PrimaryColumn('int')
  seq: number;

  @Column('blob')
  data: Buffer;
}
