import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import express, { Express } from 'express';
import { normalizeMsisdn } from '@selfcare/shared';

export interface StoredSms {
  id: string;
  from: string;
  to: string;
  text: string;
  receivedAt: string;
}

function sign(body: Buffer | string, secret: string): string {
  return createHmac('sha256', secret).update(body).digest('hex');
}

function signatureMatches(body: Buffer, signature: string | undefined, secret: string): boolean {
  if (!signature) return false;
  const expected = Buffer.from(sign(body, secret));
  const given = Buffer.from(signature);
  return expected.length === given.length && timingSafeEqual(expected, given);
}

/**
 * The development SMS centre: the edge of the system, faked over HTTP the way the real one behaves.
 * It takes outbound messages (POST /dev/sms-centre/messages, HMAC-signed, de-duplicated by id), shows them
 * per recipient (GET /dev/sms?to=…, newest last), and turns POST /dev/sms/inbound into a signed inbound SMS
 * to the platform's webhook, as the operator's SMS centre does for texts sent to 4259 (terms 5.6.4).
 */
export class DevSmsCentre {
  private readonly messages: StoredSms[] = [];
  private readonly seen = new Set<string>();

  constructor(
    private readonly secret: string,
    private readonly inboundWebhook: () => string,
    private readonly maxMessages = 10_000,
  ) {}

  sentTo(msisdn: string): StoredSms[] {
    return this.messages.filter((m) => m.to === msisdn);
  }

  mount(app: Express): void {
    const raw = express.raw({ type: () => true, limit: '64kb' });
    app.post('/dev/sms-centre/messages', raw, (req, res) => {
      const body = req.body as Buffer;
      if (!Buffer.isBuffer(body) || !signatureMatches(body, req.header('x-signature'), this.secret)) {
        res.status(401).json({ error: 'bad signature' });
        return;
      }
      let message: Partial<StoredSms>;
      try {
        message = JSON.parse(body.toString('utf8'));
      } catch {
        res.status(400).json({ error: 'malformed JSON' });
        return;
      }
      if (typeof message.id !== 'string' || typeof message.to !== 'string' || typeof message.text !== 'string') {
        res.status(400).json({ error: 'id, to and text are required' });
        return;
      }
      if (!this.seen.has(message.id)) {
        this.seen.add(message.id);
        this.messages.push({
          id: message.id,
          from: typeof message.from === 'string' ? message.from : 'Beeline',
          to: message.to,
          text: message.text,
          receivedAt: new Date().toISOString(),
        });
        if (this.messages.length > this.maxMessages) this.seen.delete(this.messages.shift()!.id);
      }
      res.status(202).json({ id: message.id, status: 'accepted' });
    });

    app.get('/dev/sms', (req, res) => {
      const to = normalizeMsisdn(String(req.query.to ?? ''));
      if (!to) {
        res.status(400).json({ error: 'to must be a Kazakhstan phone number', code: 'BAD_USER_INPUT' });
        return;
      }
      res.json(this.sentTo(to));
    });

    app.post('/dev/sms/inbound', express.json({ limit: '16kb' }), async (req, res) => {
      const { from, to, text } = (req.body ?? {}) as { from?: unknown; to?: unknown; text?: unknown };
      const sender = typeof from === 'string' ? normalizeMsisdn(from) : null;
      if (!sender || typeof to !== 'string' || typeof text !== 'string') {
        res.status(400).json({ error: 'from (a Kazakhstan number), to and text are required', code: 'BAD_USER_INPUT' });
        return;
      }
      const payload = JSON.stringify({ id: randomUUID(), from: sender, to, text });
      try {
        const response = await fetch(this.inboundWebhook(), {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-signature': sign(payload, this.secret) },
          body: payload,
          signal: AbortSignal.timeout(10_000),
        });
        res.status(response.status).type('application/json').send(await response.text());
      } catch {
        res.status(503).json({ error: 'the platform did not take the inbound SMS', code: 'SERVICE_UNAVAILABLE' });
      }
    });
  }
}
