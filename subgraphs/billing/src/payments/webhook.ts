import { createHmac, timingSafeEqual } from 'node:crypto';
import express, { type Express } from 'express';
import { z } from 'zod';
import type { Logger } from '@selfcare/shared';

export const WEBHOOK_PATH = '/payments/webhook';

export type SignatureVerdict = 'valid' | 'invalid' | 'stale';

/**
 * The provider signs each webhook attempt: `X-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">`.
 * The body must be the exact bytes received; a timestamp outside the tolerance is a replay of an old delivery.
 */
export function verifyWebhookSignature(body: Buffer, header: string | undefined, secret: string, toleranceSeconds: number, nowSeconds: number): SignatureVerdict {
  if (!header || header.length > 1000) return 'invalid';
  const parts = header.split(',').map((part) => part.trim().split('=', 2) as [string, string | undefined]);
  const timestamp = parts.find(([name]) => name === 't')?.[1];
  const signatures = parts.filter(([name, value]) => name === 'v1' && value).map(([, value]) => value!);
  if (!timestamp || !/^\d{1,12}$/.test(timestamp) || signatures.length === 0) return 'invalid';
  const expected = Buffer.from(createHmac('sha256', secret).update(`${timestamp}.`).update(body).digest('hex'));
  const matches = signatures.some((signature) => {
    const given = Buffer.from(signature);
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
  if (!matches) return 'invalid';
  return Math.abs(nowSeconds - Number(timestamp)) > toleranceSeconds ? 'stale' : 'valid';
}

const webhookEvent = z.object({
  id: z.string().regex(/^[A-Za-z0-9_]{1,64}$/),
  type: z.string().max(40),
  data: z.object({ object: z.unknown() }),
});

export interface WebhookHandler {
  /** Applies one verified event; 'duplicate' when this event id was taken before, 'settled' when its payment was. */
  handle(eventId: string, type: string, charge: unknown): Promise<'applied' | 'duplicate' | 'settled' | 'ignored'>;
}

/**
 * POST /payments/webhook: the provider's outcomes. Public (the gateway forwards it, or the provider calls billing
 * directly): the signature, checked here over the raw body, is its only credential. Answers 400 to anything not
 * signed by the provider within the tolerance, 200 once the event is applied (or was before), 500 when it could not
 * be applied now, so the provider delivers it again.
 */
export function mountWebhook(app: Express, options: { secret: string; toleranceSeconds: number; handler: WebhookHandler; logger: Logger; now: () => Date }): void {
  app.post(WEBHOOK_PATH, express.raw({ type: () => true, limit: '64kb' }), async (req, res) => {
    const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    const verdict = verifyWebhookSignature(body, req.header('x-signature'), options.secret, options.toleranceSeconds, Math.floor(options.now().getTime() / 1000));
    if (verdict !== 'valid') {
      options.logger.warn({ verdict }, 'payment webhook refused: signature');
      res.status(400).json({ error: { code: 'BAD_USER_INPUT', message: verdict === 'stale' ? 'signature timestamp outside the tolerance' : 'bad signature' } });
      return;
    }
    let event: z.infer<typeof webhookEvent>;
    try {
      event = webhookEvent.parse(JSON.parse(body.toString('utf8')));
    } catch {
      res.status(400).json({ error: { code: 'BAD_USER_INPUT', message: 'not a provider event' } });
      return;
    }
    try {
      const outcome = await options.handler.handle(event.id, event.type, event.data.object);
      res.json({ received: true, outcome });
    } catch (error) {
      options.logger.error({ err: error, event: event.id }, 'payment webhook could not be applied; the provider will deliver it again');
      res.status(500).json({ error: { code: 'INTERNAL', message: 'try again' } });
    }
  });
}
