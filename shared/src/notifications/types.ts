import type { EntityManager } from 'typeorm';
import type { Language, Texts } from '../i18n/language';

/** An SMS as the SMS centre takes it. */
export interface SmsMessage {
  id: string;
  from: string;
  to: string;
  text: string;
}

export interface EmailMessage {
  id: string;
  to: string;
  subject: string;
  text: string;
  html?: string;
  headers?: Record<string, string>;
}

export interface SmsTransport {
  send(message: SmsMessage): Promise<void>;
}

export interface EmailTransport {
  send(message: EmailMessage): Promise<void>;
  close?(): Promise<void>;
}

export interface SmsRequest {
  to: string;
  language: Language;
  texts: Texts;
  params?: Record<string, string | number>;
  /** Sender id shown on the phone; default "Beeline". */
  from?: string;
}

export interface EmailRequest {
  to: string;
  language: Language;
  subject: Texts;
  body: Texts;
  params?: Record<string, string | number>;
  headers?: Record<string, string>;
}

/**
 * Notifications are rendered in the subscriber's language and queued through the outbox in the caller's
 * transaction, so a crash never loses a message and a rolled-back change never sends one.
 */
export interface Notifications {
  sms(manager: EntityManager, request: SmsRequest): Promise<void>;
  email(manager: EntityManager, request: EmailRequest): Promise<void>;
}
