import type { AddressInfo } from 'node:net';
import type { Express } from 'express';
import { SMTPServer } from 'smtp-server';
import { simpleParser, AddressObject } from 'mailparser';
import { normalizeEmail } from '@selfcare/shared';

export interface StoredMail {
  id: string;
  from: string;
  to: string[];
  subject: string;
  text: string;
  html: string | null;
  headers: Record<string, string>;
  receivedAt: string;
}

function addresses(value: AddressObject | AddressObject[] | undefined): string[] {
  const list = Array.isArray(value) ? value : value ? [value] : [];
  return list.flatMap((a) => a.value.map((v) => (v.address ?? '').toLowerCase())).filter(Boolean);
}

/**
 * The development mail server: a real SMTP server (smtp-server) on loopback that the platform's SMTP
 * transport delivers to, and GET /dev/mail?to=… to read what arrived (newest last).
 */
export class DevMailSink {
  private readonly mails: StoredMail[] = [];
  private server: SMTPServer | null = null;
  port = 0;

  async start(port = 0): Promise<number> {
    this.server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS', 'AUTH'],
      logger: false,
      size: 1024 * 1024,
      onData: (stream, _session, callback) => {
        simpleParser(stream)
          .then((parsed) => {
            const headers: Record<string, string> = {};
            for (const [key, value] of parsed.headers) {
              if (typeof value === 'string') headers[key] = value;
              else if (value && typeof value === 'object' && 'text' in value) headers[key] = String((value as { text: string }).text);
            }
            for (const line of parsed.headerLines) {
              // Keep the raw value of headers mailparser structures (List-Unsubscribe and friends).
              const name = line.key.toLowerCase();
              if (name.startsWith('list-')) headers[name] = line.line.slice(line.line.indexOf(':') + 1).trim();
            }
            this.mails.push({
              id: parsed.messageId ?? `${Date.now()}`,
              from: addresses(parsed.from)[0] ?? '',
              to: addresses(parsed.to),
              subject: parsed.subject ?? '',
              text: parsed.text ?? '',
              html: typeof parsed.html === 'string' ? parsed.html : null,
              headers,
              receivedAt: new Date().toISOString(),
            });
            if (this.mails.length > 10_000) this.mails.shift();
            callback();
          })
          .catch((error: Error) => callback(error));
      },
    });
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(port, '127.0.0.1', () => resolve());
    });
    this.port = ((this.server as unknown as { server: { address(): AddressInfo } }).server.address()).port;
    return this.port;
  }

  async stop(): Promise<void> {
    if (!this.server) return;
    await new Promise<void>((resolve) => this.server!.close(() => resolve()));
    this.server = null;
  }

  sentTo(email: string): StoredMail[] {
    const address = email.toLowerCase();
    return this.mails.filter((m) => m.to.includes(address));
  }

  mount(app: Express): void {
    app.get('/dev/mail', (req, res) => {
      const to = normalizeEmail(String(req.query.to ?? ''));
      if (!to) {
        res.status(400).json({ error: 'to must be an e-mail address', code: 'BAD_USER_INPUT' });
        return;
      }
      res.json(this.sentTo(to));
    });
  }
}
