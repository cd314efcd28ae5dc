import nodemailer, { Transporter } from 'nodemailer';
import type SMTPTransport from 'nodemailer/lib/smtp-transport';
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
    this.transporter = nodemailer.createTransport(smtpOptions(smtpUrl));
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

/**
 * smtp://host:port (plain, STARTTLS if offered), smtps://user:pass@host:465; query parameters become options
 * (e.g. ?ignoreTLS=true). Timeouts are short: a hung mail server must fail the attempt so the relay retries later,
 * not hold the relay for nodemailer's default of minutes.
 */
export function smtpOptions(smtpUrl: string): SMTPTransport.Options {
  const url = new URL(smtpUrl);
  if (url.protocol !== 'smtp:' && url.protocol !== 'smtps:') throw new Error(`SMTP URL must start with smtp:// or smtps://`);
  const options: SMTPTransport.Options = {
    host: url.hostname,
    port: url.port ? Number(url.port) : url.protocol === 'smtps:' ? 465 : 25,
    secure: url.protocol === 'smtps:',
    connectionTimeout: 10_000,
    greetingTimeout: 10_000,
    socketTimeout: 30_000,
  };
  if (url.username) options.auth = { user: decodeURIComponent(url.username), pass: decodeURIComponent(url.password) };
  const extra = options as Record<string, unknown>;
  for (const [key, value] of url.searchParams) {
    extra[key] = value === 'true' ? true : value === 'false' ? false : /^\d+$/.test(value) ? Number(value) : value;
  }
  return options;
}
