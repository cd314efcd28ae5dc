import { createHmac, timingSafeEqual } from 'node:crypto';
import express, { type Express } from 'express';
import { z } from 'zod';
import { ErrorCode, Logger, requireInternalToken } from '@selfcare/shared';
import type { ManagementProcedure } from './procedure';

/** What the SMS centre posts for a text to 4259 (the contract: `{from, to, text, id}`). */
const inboundSms = z.object({
  id: z.string().regex(/^[\w.:-]{1,128}$/, '1-128 letters, digits, _ . : -'),
  from: z.string().min(1).max(32),
  to: z.string().min(1).max(32),
  text: z.string().max(1600),
});

/** HMAC-SHA256 of the exact body with the SMS centre's secret, hex: what `X-Signature` must carry. */
export function inboundSignature(body: Buffer | string, secret: string): string {
  return createHmac('sha256', secret).update(body).digest('hex');
}

function signed(body: Buffer, signature: string | undefined, secret: string): boolean {
  if (!signature) return false;
  const expected = Buffer.from(inboundSignature(body, secret));
  const given = Buffer.from(signature.trim().toLowerCase());
  return expected.length === given.length && timingSafeEqual(expected, given);
}

/**
 * POST /sms/inbound (terms 5.6.4), reached through the gateway's public `/sms/inbound` (which adds the internal
 * token): the SMS centre's webhook for texts to 4259. The body must carry the SMS centre's HMAC (else 401 and nothing
 * changes); a well-formed message is answered 200 with what became of it — also a wrong code, which the centre must
 * not send again — and the same message id twice is applied once. A failure of ours is 503, so the centre redelivers.
 */
export function inboundSmsRoute(internalToken: string, secret: string, procedure: ManagementProcedure, logger: Logger) {
  return (app: Express): void => {
    app.post('/sms/inbound', requireInternalToken(internalToken), express.raw({ type: () => true, limit: '16kb' }), async (req, res) => {
      const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
      if (!signed(body, req.header('x-signature'), secret)) {
        logger.warn({ bytes: body.length }, 'inbound SMS with a missing or wrong signature refused');
        res.status(401).json({ error: { code: ErrorCode.UNAUTHENTICATED, message: 'missing or wrong X-Signature' } });
        return;
      }
      let json: unknown;
      try {
        json = JSON.parse(body.toString('utf8'));
      } catch {
        res.status(400).json({ error: { code: ErrorCode.BAD_USER_INPUT, message: 'malformed JSON' } });
        return;
      }
      const parsed = inboundSms.safeParse(json);
      if (!parsed.success) {
        const issue = parsed.error.issues[0]!;
        res.status(400).json({ error: { code: ErrorCode.BAD_USER_INPUT, field: String(issue.path[0] ?? 'body'), message: `${issue.path.join('.') || 'body'}: ${issue.message}` } });
        return;
      }
      try {
        const result = await procedure.inboundSms(parsed.data);
        res.json({ id: parsed.data.id, ...result });
      } catch (error) {
        logger.error({ err: error, smsId: parsed.data.id }, 'applying an inbound SMS failed');
        res.status(503).json({ error: { code: ErrorCode.SERVICE_UNAVAILABLE, message: 'not applied; deliver it again later' } });
      }
    });
  };
}
