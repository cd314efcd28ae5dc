import { randomUUID } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import { Language, Texts, interpolate } from '../i18n/language';
import { normalizeMsisdn } from '../domain/msisdn';
import type { Logger } from '../logging/logger';
import type { Clock } from '../service/clock';
import type { TransactionalOutbox } from '../events/outbox';
import type { DomainEvent } from '../events/types';
import type { EmailRequest, EmailTransport, Notifications, SmsRequest, SmsTransport } from './types';

export const SMS_NOTIFICATION = 'notification.sms';
export const EMAIL_NOTIFICATION = 'notification.email';
export const DEFAULT_SMS_SENDER = 'Beeline';

/** Outbox payload of a queued SMS: already rendered, so a later change of texts never alters a queued message. */
export interface SmsNotificationPayload {
  [key: string]: unknown;
  messageId: string;
  from: string;
  to: string;
  text: string;
  language: Language;
  queuedAt: string;
}

export interface EmailNotificationPayload {
  [key: string]: unknown;
  messageId: string;
  to: string;
  subject: string;
  text: string;
  headers: Record<string, string>;
  language: Language;
  queuedAt: string;
}

/** Picks the text in `language` (falling back to Russian, the default language) and fills its placeholders. */
export function renderTexts(texts: Texts, language: Language, params: Record<string, string | number> = {}): string {
  // An empty or missing translation falls back to Russian rather than sending an empty message.
  const template = texts[language] || texts[Language.RU];
  if (typeof template !== 'string') throw new Error(`no text for language ${language}`);
  return interpolate(template, params);
}

const emailPattern = /^[^\s@<>]+@[^\s@<>]+\.[^\s@<>]+$/;

/**
 * Notifications queued through the outbox in the caller's transaction: a rolled-back change sends nothing,
 * a committed one is sent even after a crash. Each message gets its id now, so a resend carries the same id.
 */
export class OutboxNotifications implements Notifications {
  constructor(
    private readonly outbox: TransactionalOutbox,
    private readonly clock: Clock,
  ) {}

  async sms(manager: EntityManager, request: SmsRequest): Promise<void> {
    const to = normalizeMsisdn(request.to);
    if (!to) throw new Error('SMS recipient is not a Kazakhstan mobile number');
    const payload: SmsNotificationPayload = {
      messageId: randomUUID(),
      from: request.from ?? DEFAULT_SMS_SENDER,
      to,
      text: renderTexts(request.texts, request.language, request.params),
      language: request.language,
      queuedAt: this.clock.now().toISOString(),
    };
    await this.outbox.add(manager, SMS_NOTIFICATION, payload);
  }

  async email(manager: EntityManager, request: EmailRequest): Promise<void> {
    const to = request.to.trim();
    if (!emailPattern.test(to)) throw new Error('e-mail recipient is not an e-mail address');
    const headers = request.headers ?? {};
    for (const [name, value] of Object.entries(headers)) {
      // Header injection guard: a value with a line break could smuggle extra headers.
      if (!/^[A-Za-z0-9-]+$/.test(name) || /[\r\n]/.test(value)) throw new Error(`invalid e-mail header ${name}`);
    }
    const payload: EmailNotificationPayload = {
      messageId: randomUUID(),
      to,
      subject: renderTexts(request.subject, request.language, request.params),
      text: renderTexts(request.body, request.language, request.params),
      headers,
      language: request.language,
      queuedAt: this.clock.now().toISOString(),
    };
    await this.outbox.add(manager, EMAIL_NOTIFICATION, payload);
  }
}

/** Sends queued notifications (outbox rows `notification.*`) through the transports; throws so the relay retries. */
export class NotificationDispatcher {
  constructor(
    private readonly sms: SmsTransport,
    private readonly email: EmailTransport,
    private readonly logger: Logger,
  ) {}

  async dispatch(event: DomainEvent): Promise<void> {
    const payload = event.payload;
    // The id fixed at enqueue (or, for rows without one, derived from the outbox id) lets the receiver drop a resend.
    const id = typeof payload.messageId === 'string' ? payload.messageId : `${event.stream}-${event.id}`;
    switch (event.type) {
      case SMS_NOTIFICATION: {
        const p = payload as Partial<SmsNotificationPayload>;
        await this.sms.send({ id, from: p.from ?? DEFAULT_SMS_SENDER, to: required(p.to, 'to'), text: required(p.text, 'text') });
        this.logger.info({ messageId: id, channel: 'sms', outboxId: event.id }, 'SMS sent');
        return;
      }
      case EMAIL_NOTIFICATION: {
        const p = payload as Partial<EmailNotificationPayload>;
        await this.email.send({
          id,
          to: required(p.to, 'to'),
          subject: required(p.subject, 'subject'),
          text: required(p.text, 'text'),
          ...(p.headers && Object.keys(p.headers).length > 0 ? { headers: p.headers } : {}),
        });
        this.logger.info({ messageId: id, channel: 'email', outboxId: event.id }, 'e-mail sent');
        return;
      }
      default:
        throw new Error(`unknown notification type ${event.type}`);
    }
  }
}

function required(value: string | undefined, field: string): string {
  if (typeof value !== 'string' || value.length === 0) throw new Error(`notification payload lacks ${field}`);
  return value;
}
