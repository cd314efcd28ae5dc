import nodemailer, { Transporter } from 'nodemailer';
import type { EmailMessage, EmailTransport } from './types';

/**
 * E-mail over SMTP (nodemailer). `smtpUrl` is e.g. smtp://127.0.0.1:1025 (plain in development) or
 * smtps://user:pass@host:465. Our message id becomes the Message-ID, so a resend after a crash is recognisable.
 */
export class SmtpEmailTransport implements EmailTransport {
  private readonly transporter: Transporter;
  private readonly domain: string;

  constructor(
    smtpUrl: string,
    private readonly from: string,
  ) {
    this.transporter = nodemailer.createTransport(smtpUrl);
    this.domain = /@([^>\s]+)>?\s*$/.exec(from)?.[1] ?? 'selfcare.local';
  }

  async send(message: EmailMessage): Promise<void> {
    await this.transporter.sendMail({
      from: this.from,
      to: message.to,
      subject: message.subject,
      text: message.text,
      ...(message.html ? { html: message.html } : {}),
      messageId: `<${message.id}@${this.domain}>`,
      // Passed as given: List-Unsubscribe / List-Unsubscribe-Post must arrive verbatim (RFC 8058 one-click).
      headers: message.headers ?? {},
    });
  }

  async close(): Promise<void> {
    this.transporter.close();
  }
}
