import type { EntityManager } from 'typeorm';
import { Language, type SubgraphRuntime, type Texts } from '@selfcare/shared';
import type { ConsentService } from '../consents/consent.service';
import type { UnsubscribeLinks } from './unsubscribe-links';

export interface MarketingRecipient {
  subscriberId: string;
  /** the VERIFIED address */
  email: string | null;
  language: string;
}

export interface MarketingMessage {
  subject: Texts;
  body: Texts;
  params?: Record<string, string | number>;
}

const FOOTER: Texts = {
  KK: '\n\n—\nБұл хаттарды алудан бас тарту (бір рет басу): {unsubscribeUrl}',
  RU: '\n\n—\nОтписаться от этих писем (в один клик): {unsubscribeUrl}',
  EN: '\n\n—\nUnsubscribe from these e-mails (one click): {unsubscribeUrl}',
};

/**
 * Sends marketing e-mail (terms 6.4): only to a verified address of a subscriber who consents to marketing e-mail and has
 * not withdrawn personal-data processing (terms 2.12), and always with a working one-click unsubscribe link — in the text
 * and as `List-Unsubscribe` / `List-Unsubscribe-Post` headers (RFC 2369, RFC 8058). Queued through the outbox in
 * the caller's transaction.
 */
export class MarketingMailer {
  constructor(
    private readonly runtime: SubgraphRuntime,
    private readonly links: UnsubscribeLinks,
    private readonly consents: ConsentService,
  ) {}

  /** Returns whether the e-mail was queued. `consentChecked`: the caller already filtered by consent in bulk. */
  async send(manager: EntityManager, recipient: MarketingRecipient, message: MarketingMessage, consentChecked = false): Promise<boolean> {
    if (!recipient.email) return false;
    if (!consentChecked) {
      const granted = await this.consents.grantedAmong(manager, [recipient.subscriberId], 'MARKETING_EMAIL');
      if (!granted.has(recipient.subscriberId)) return false;
    }
    const unsubscribeUrl = this.links.url(recipient.subscriberId);
    const body = Object.fromEntries(Object.entries(message.body).map(([language, text]) => [language, `${text}${FOOTER[language as Language]}`])) as Texts;
    await this.runtime.notifications.email(manager, {
      to: recipient.email,
      language: toLanguage(recipient.language),
      subject: message.subject,
      body,
      params: { ...(message.params ?? {}), unsubscribeUrl },
      headers: {
        'List-Unsubscribe': `<${unsubscribeUrl}>`,
        'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
      },
    });
    return true;
  }
}

export function toLanguage(value: string): Language {
  return value === 'KK' ? Language.KK : value === 'EN' ? Language.EN : Language.RU;
}
