import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { DateTimeColumn } from '@selfcare/shared';

/** The consent purposes of the contract (terms 2.11–2.14, 6.4). */
export const CONSENT_PURPOSES = ['PERSONAL_DATA', 'PARTNER_SHARING', 'MARKETING_EMAIL', 'MARKETING_SMS', 'ASHYQ'] as const;
export type ConsentPurposeName = (typeof CONSENT_PURPOSES)[number];

/** How a consent changed: the record terms 2.12 asks for ("a signed refusal") says through what. */
export type ConsentSource =
  | 'REGISTRATION' // terms 2.11 / 6.4: registering is consent
  | 'LOGIN' // terms 2.11: logging in again after a withdrawal is consent again
  | 'CABINET' // setConsent by the subscriber
  | 'UNSUBSCRIBE_LINK' // terms 6.4: the link in a marketing e-mail
  | 'PERSONAL_DATA_WITHDRAWN' // terms 2.12: withdrawn together with personal-data processing
  | 'ASHYQ_LINK'; // terms 2.13: starting the Ashyq integration

/** Current state per subscriber and purpose (one row each); the history is in consent_history. */
@Entity({ name: 'consents' })
@Index('uq_consents_subscriber_id_purpose', ['subscriberId', 'purpose'], { unique: true })
export class ConsentEntity {
  @PrimaryColumn('varchar', { length: 36 })
  id: string;

  @Column('varchar', { name: 'subscriber_id', length: 36 })
  subscriberId: string;

  @Column('varchar', { length: 24 })
  purpose: ConsentPurposeName;

  @Column('boolean')
  granted: boolean;

  @DateTimeColumn({ name: 'changed_at' })
  changedAt: Date;

  @Column('varchar', { name: 'terms_version', length: 32, nullable: true })
  termsVersion: string | null;
}

/** Every change of a consent: who, when, through which channel and source, under which terms version (terms 2.12). */
@Entity({ name: 'consent_history' })
@Index('ix_consent_history_subscriber_id_at', ['subscriberId', 'at'])
export class ConsentHistoryEntity {
  @PrimaryColumn('varchar', { length: 36 })
  id: string;

  @Column('varchar', { name: 'subscriber_id', length: 36 })
  subscriberId: string;

  @Column('varchar', { length: 24 })
  purpose: ConsentPurposeName;

  @Column('boolean')
  granted: boolean;

  @Column('varchar', { name: 'actor_id', length: 36, nullable: true })
  actorId: string | null;

  @Column('varchar', { name: 'actor_kind', length: 16 })
  actorKind: 'SUBSCRIBER' | 'STAFF' | 'SYSTEM';

  @Column('varchar', { length: 16, nullable: true })
  channel: 'WEB' | 'MOBILE_APP' | null;

  @Column('varchar', { length: 32 })
  source: ConsentSource;

  @Column('varchar', { name: 'terms_version', length: 32, nullable: true })
  termsVersion: string | null;

  @DateTimeColumn({ name: 'at' })
  at: Date;
}

/** A piece of data received from Ashyq (terms 2.13); all of a subscriber's rows go when the ASHYQ consent ends (terms 2.14). */
@Entity({ name: 'ashyq_records' })
@Index('ix_ashyq_records_subscriber_id', ['subscriberId'])
export class AshyqRecordEntity {
  @PrimaryColumn('varchar', { length: 36 })
  id: string;

  @Column('varchar', { name: 'subscriber_id', length: 36 })
  subscriberId: string;

  @Column('varchar', { length: 64 })
  kind: string;

  @Column('text')
  payload: string;

  @DateTimeColumn({ name: 'received_at' })
  receivedAt: Date;
}
