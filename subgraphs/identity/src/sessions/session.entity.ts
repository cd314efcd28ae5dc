import { Column, Entity, PrimaryColumn } from 'typeorm';
import { DateTimeColumn } from '@selfcare/shared';

export type SessionSubjectKind = 'SUBSCRIBER' | 'STAFF';
export type SessionEndReason = 'LOGOUT' | 'ENDED_BY_OWNER' | 'OTHER_SESSIONS_ENDED' | 'PASSWORD_CHANGED' | 'REFRESH_TOKEN_REUSED' | 'ACCESS_REVOKED' | 'OFFICE_PASSWORD';

/**
 * One login (terms 4.1, 3.5): the subscriber sees where they are logged in and ends sessions. The session id
 * is the access token's `sid`, so ending a session revokes its access tokens everywhere.
 */
@Entity({ name: 'sessions' })
export class SessionEntity {
  @PrimaryColumn('varchar', { length: 36 })
  id: string;

  @Column('varchar', { name: 'subject_kind', length: 10 })
  subjectKind: SessionSubjectKind;

  /** the subscriber's or staff member's id */
  @Column('varchar', { name: 'subject_id', length: 36 })
  subjectId: string;

  /** WEB or MOBILE_APP; null for staff */
  @Column('varchar', { length: 16, nullable: true })
  channel: 'WEB' | 'MOBILE_APP' | null;

  /** readable device, e.g. "iOS · iPhone 15 · My Beeline 5.2.0" or "Chrome 131 on Windows" */
  @Column('varchar', { length: 200, nullable: true })
  device: string | null;

  @Column('varchar', { name: 'client_address', length: 64, nullable: true })
  clientAddress: string | null;

  @DateTimeColumn({ name: 'created_at' })
  createdAt: Date;

  @DateTimeColumn({ name: 'last_seen_at' })
  lastSeenAt: Date;

  /** idle expiry: moves forward with every refresh */
  @DateTimeColumn({ name: 'expires_at' })
  expiresAt: Date;

  @DateTimeColumn({ name: 'ended_at', nullable: true })
  endedAt: Date | null;

  @Column('varchar', { name: 'end_reason', length: 32, nullable: true })
  endReason: SessionEndReason | null;
}

/**
 * A refresh token of a session (stored as its SHA-256 only). Each refresh rotates it; presenting one that was
 * already rotated means it was copied, so the whole session (the token family) ends.
 */
@Entity({ name: 'refresh_tokens' })
export class RefreshTokenEntity {
  @PrimaryColumn('varchar', { length: 36 })
  id: string;

  @Column('varchar', { name: 'session_id', length: 36 })
  sessionId: string;

  @Column('varchar', { name: 'token_hash', length: 64 })
  tokenHash: string;

  @DateTimeColumn({ name: 'issued_at' })
  issuedAt: Date;

  @DateTimeColumn({ name: 'expires_at' })
  expiresAt: Date;

  @DateTimeColumn({ name: 'rotated_at', nullable: true })
  rotatedAt: Date | null;
}
