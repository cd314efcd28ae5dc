import { Column, Entity, PrimaryColumn } from 'typeorm';
import { DateTimeColumn } from '@selfcare/shared';

export type SubscriberKindValue = 'MOBILE' | 'HOME_INTERNET';
export type PartyTypeValue = 'INDIVIDUAL' | 'LEGAL_ENTITY';
export type LanguageValue = 'KK' | 'RU' | 'EN';
export type AccessStatusValue = 'ACTIVE' | 'SUSPENDED' | 'BLOCKED' | 'TERMINATED';
/**
 * Why access is not ACTIVE (terms 3.3, 2.8, 2.12): a suspension for DEBT, BREACH of the contract or
 * UNLAWFUL_USE; a block for THIRD_PARTY_DATA used at registration or PERSONAL_DATA_WITHDRAWN; CONTRACT_ENDED.
 */
export type AccessReasonValue = 'DEBT' | 'BREACH' | 'UNLAWFUL_USE' | 'THIRD_PARTY_DATA' | 'PERSONAL_DATA_WITHDRAWN' | 'CONTRACT_ENDED';

/**
 * A subscriber of the cabinet (terms 1): a mobile number, or a Home Internet contract whose login is
 * the account number. Credentials live here too: one KDF spec (parameters + salt) shared by the current
 * password and a pending SMS password, so a login costs exactly one KDF evaluation whichever it matches.
 */
@Entity({ name: 'subscribers' })
export class SubscriberEntity {
  @PrimaryColumn('varchar', { length: 36 })
  id: string;

  @Column('varchar', { length: 16 })
  kind: SubscriberKindValue;

  @Column('varchar', { name: 'party_type', length: 16 })
  partyType: PartyTypeValue;

  /** E.164; null only for HOME_INTERNET */
  @Column('varchar', { length: 16, nullable: true })
  msisdn: string | null;

  /** the msisdn, or the home-internet account number */
  @Column('varchar', { length: 64 })
  login: string;

  @Column('varchar', { length: 2 })
  language: LanguageValue;

  /** as last set by the subscriber; may not be verified yet */
  @Column('varchar', { length: 254, nullable: true })
  email: string | null;

  @DateTimeColumn({ name: 'email_verified_at', nullable: true })
  emailVerifiedAt: Date | null;

  /** the verified address: the e-mail login (terms 3.1.1) and where e-mails go */
  @Column('varchar', { name: 'verified_email', length: 254, nullable: true })
  verifiedEmail: string | null;

  /** terms 5.1 notification preferences; written by the preferences module */
  @Column('simple-json', { name: 'notify_by' })
  notifyBy: string[];

  @Column('varchar', { name: 'access_status', length: 16 })
  accessStatus: AccessStatusValue;

  @Column('varchar', { name: 'access_reason', length: 32, nullable: true })
  accessReason: AccessReasonValue | null;

  @DateTimeColumn({ name: 'access_changed_at' })
  accessChangedAt: Date;

  /** billing reported a debt not yet settled (terms 3.3) */
  @Column('boolean', { name: 'debt_outstanding' })
  debtOutstanding: boolean;

  /** terms 3.1.1: the first login with login and password has happened */
  @Column('boolean')
  registered: boolean;

  @DateTimeColumn({ name: 'registered_at', nullable: true })
  registeredAt: Date | null;

  /** `scrypt$ln=..,r=..,p=..$<salt>` shared by password_hash and pending_password_hash */
  @Column('varchar', { name: 'password_kdf', length: 128, nullable: true })
  passwordKdf: string | null;

  @Column('varchar', { name: 'password_hash', length: 64, nullable: true })
  passwordHash: string | null;

  @DateTimeColumn({ name: 'password_set_at', nullable: true })
  passwordSetAt: Date | null;

  /** terms 3.1.1: the password sent by SMS; it becomes the password at its first successful use */
  @Column('varchar', { name: 'pending_password_hash', length: 64, nullable: true })
  pendingPasswordHash: string | null;

  @DateTimeColumn({ name: 'pending_password_expires_at', nullable: true })
  pendingPasswordExpiresAt: Date | null;

  /** terms 3.3: access ends with the contract; retention (terms 2.11) counts from here */
  @DateTimeColumn({ name: 'contract_ended_at', nullable: true })
  contractEndedAt: Date | null;

  /** set by the retention job when personal data was erased (terms 2.11) */
  @DateTimeColumn({ name: 'erased_at', nullable: true })
  erasedAt: Date | null;

  @DateTimeColumn({ name: 'created_at' })
  createdAt: Date;

  @DateTimeColumn({ name: 'updated_at' })
  updatedAt: Date;
}
