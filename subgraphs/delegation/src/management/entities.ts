import { Column, Entity, Index, PrimaryColumn, PrimaryGeneratedColumn } from 'typeorm';
import { DateTimeColumn } from '@selfcare/shared';

/** Contract ManagementStatus: the life of a request to manage another number (terms 5, 4.4). */
export enum ManagementStatus {
  /** terms 5.6.3 confirmation code sent to the owner by SMS */
  AWAITING_CONFIRMATION = 'AWAITING_CONFIRMATION',
  /** terms 5.6.5 owner confirmed; activation code sent to the owner */
  CONFIRMED = 'CONFIRMED',
  /** terms 5.6.7 requester entered the activation code: management is handed over */
  ACTIVE = 'ACTIVE',
  REJECTED = 'REJECTED',
  EXPIRED = 'EXPIRED',
  /** terms 5.6: three wrong activation codes in a row */
  VOIDED = 'VOIDED',
  /** terms 4.4: the owner (or the requester) ended management */
  REVOKED = 'REVOKED',
  CANCELLED = 'CANCELLED',
}

/** A request stays "open" while it may still become, or is, a grant; one open request per requester and number. */
export const OPEN_STATUSES: readonly ManagementStatus[] = [ManagementStatus.AWAITING_CONFIRMATION, ManagementStatus.CONFIRMED, ManagementStatus.ACTIVE];

export function openKey(requesterId: string, ownerMsisdn: string): string {
  return `${requesterId}:${ownerMsisdn}`;
}

/**
 * One request to manage another number, designed for the whole procedure of section 5: the offer (terms 5.4),
 * the owner's confirmation by code or in the cabinet (terms 5.1, 5.5), the activation code (24 hours, 3 tries,
 * one per request — terms 5.6), and the end of management (terms 4.4). Codes are stored only as hashes.
 */
@Entity({ name: 'management_requests' })
@Index('ix_management_requests_owner_id_status', ['ownerId', 'status'])
@Index('ix_management_requests_requester_id_status', ['requesterId', 'status'])
@Index('ix_management_requests_owner_msisdn_status', ['ownerMsisdn', 'status'])
export class ManagementRequestEntity {
  @PrimaryColumn('varchar', { length: 36 })
  id: string;

  @Column('varchar', { length: 24 })
  status: ManagementStatus;

  /** Subscriber 1 (terms 5.6.1): the one who asks to manage. */
  @Column('varchar', { name: 'requester_id', length: 36 })
  requesterId: string;

  /** shown to the owner in the confirmation SMS; null for a requester without a number (home internet) */
  @Column('varchar', { name: 'requester_msisdn', length: 16, nullable: true })
  requesterMsisdn: string | null;

  /** Subscriber 2's number (terms 5.6.2), E.164. */
  @Column('varchar', { name: 'owner_msisdn', length: 16 })
  ownerMsisdn: string;

  /** null while the number belongs to nobody known to identity (terms 5.1: the request then goes by SMS). */
  @Column('varchar', { name: 'owner_id', length: 36, nullable: true })
  ownerId: string | null;

  /** The requester's channel (terms 2.3, 2.4): with `createdAt` and `offerVersion`, the record of the offer (terms 5.4). */
  @Column('varchar', { length: 16, nullable: true })
  channel: string | null;

  /** terms 5.4: the version of the offer's text the owner was sent (null for rows from before it was recorded). */
  @Column('varchar', { name: 'offer_version', length: 40, nullable: true })
  offerVersion: string | null;

  /** The languages the owner and the requester are told in (identity's setting when the request was made, then kept up). */
  @Column('varchar', { name: 'owner_language', length: 2, nullable: true })
  ownerLanguage: string | null;

  @Column('varchar', { name: 'requester_language', length: 2, nullable: true })
  requesterLanguage: string | null;

  /** Set while the request is open (requester:ownerMsisdn) and cleared when it ends: its unique index forbids duplicates. */
  @Column('varchar', { name: 'open_key', length: 64, nullable: true, unique: true })
  openKey: string | null;

  @Column('varchar', { name: 'confirmation_code_hash', length: 128, nullable: true })
  confirmationCodeHash: string | null;

  @DateTimeColumn({ name: 'confirmation_expires_at', nullable: true })
  confirmationExpiresAt: Date | null;

  /** Wrong confirmation codes received by SMS to 4259 (terms 5.6.4-5.6.5). */
  @Column('int', { name: 'confirmation_failures', default: 0 })
  confirmationFailures: number;

  /** terms 5.5: the owner's acceptance of the offer, and how it was given (CABINET or SMS). */
  @DateTimeColumn({ name: 'confirmed_at', nullable: true })
  confirmedAt: Date | null;

  @Column('varchar', { name: 'confirmed_via', length: 16, nullable: true })
  confirmedVia: string | null;

  @Column('varchar', { name: 'activation_code_hash', length: 128, nullable: true })
  activationCodeHash: string | null;

  /** terms 5.6: the activation code is valid 24 hours. */
  @DateTimeColumn({ name: 'activation_expires_at', nullable: true })
  activationExpiresAt: Date | null;

  /** terms 5.6: three wrong entries in a row void the code. */
  @Column('int', { name: 'activation_attempts_left', nullable: true })
  activationAttemptsLeft: number | null;

  @DateTimeColumn({ name: 'activated_at', nullable: true })
  activatedAt: Date | null;

  @DateTimeColumn({ name: 'ended_at', nullable: true })
  endedAt: Date | null;

  /** Who ended it (owner or requester for REVOKED/CANCELLED/REJECTED); null when the system did (EXPIRED, VOIDED). */
  @Column('varchar', { name: 'ended_by', length: 36, nullable: true })
  endedBy: string | null;

  @DateTimeColumn({ name: 'created_at' })
  createdAt: Date;

  @DateTimeColumn({ name: 'updated_at' })
  updatedAt: Date;
}

/**
 * Append-only history of each request: the offer and its acceptance (terms 5.4, 5.5), codes sent, wrong
 * entries, activation, revocation — who, when, through which channel.
 */
@Entity({ name: 'management_request_events' })
@Index('ix_management_request_events_request_id', ['requestId'])
export class ManagementRequestEventEntity {
  /** BIGINT: mysql2 returns it as a string. */
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id: string | number;

  @Column('varchar', { name: 'request_id', length: 36 })
  requestId: string;

  @Column('varchar', { length: 40 })
  type: string;

  @Column('varchar', { name: 'actor_id', length: 36, nullable: true })
  actorId: string | null;

  @Column('varchar', { length: 16, nullable: true })
  channel: string | null;

  @Column('text', { nullable: true })
  details: string | null;

  @DateTimeColumn()
  at: Date;
}

/** Which subscription a feed row belongs to: a new request for the owner's number, or a change of a request one is party to. */
export enum FeedKind {
  RECEIVED = 'RECEIVED',
  UPDATED = 'UPDATED',
}

/**
 * One subscriber's feed of request changes (`managementRequestReceived`, `managementRequestUpdated`): rows numbered
 * per subscriber by a sequence that commits in order (see ManagementFeed), with the status the request changed to.
 */
@Entity({ name: 'management_feed' })
@Index('uq_management_feed_subscriber_id_seq', ['subscriberId', 'seq'], { unique: true })
export class ManagementFeedEntity {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id: string | number;

  @Column('varchar', { name: 'subscriber_id', length: 36 })
  subscriberId: string;

  @Column('int')
  seq: number;

  @Column('varchar', { name: 'request_id', length: 36 })
  requestId: string;

  @Column('varchar', { length: 16 })
  kind: FeedKind;

  @Column('varchar', { length: 24 })
  status: ManagementStatus;

  @DateTimeColumn()
  at: Date;
}

/** The last sequence number of each subscriber's feed; its row lock orders the feed's writers (see ManagementFeed). */
@Entity({ name: 'management_feed_heads' })
export class ManagementFeedHeadEntity {
  @PrimaryColumn('varchar', { name: 'subscriber_id', length: 36 })
  subscriberId: string;

  @Column('int', { name: 'last_seq' })
  lastSeq: number;
}

/** An inbound SMS to 4259 already applied (terms 5.6.4), by the SMS centre's message id: a redelivery is applied once. */
@Entity({ name: 'inbound_sms' })
@Index('ix_inbound_sms_received_at', ['receivedAt'])
export class InboundSmsEntity {
  @PrimaryColumn('varchar', { length: 128 })
  id: string;

  /** Never the text: it carries a code, and codes are kept only as hashes. */
  @Column('varchar', { length: 16, nullable: true })
  sender: string | null;

  @Column('varchar', { length: 24 })
  outcome: string;

  @Column('varchar', { name: 'request_id', length: 36, nullable: true })
  requestId: string | null;

  @DateTimeColumn({ name: 'received_at' })
  receivedAt: Date;
}

/** A requester asked whose a number is (terms 5.6.2): each answer tells whether it is a Beeline number, so they are counted. */
@Entity({ name: 'management_lookups' })
@Index('ix_management_lookups_requester_id_at', ['requesterId', 'at'])
@Index('ix_management_lookups_at', ['at'])
export class ManagementLookupEntity {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id: string | number;

  @Column('varchar', { name: 'requester_id', length: 36 })
  requesterId: string;

  @DateTimeColumn()
  at: Date;
}
