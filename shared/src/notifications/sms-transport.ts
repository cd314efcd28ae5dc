import { createHmac, timingSafeEqual } from 'node:crypto';
import type { SmsMessage, SmsTransport } from './types';

/** hex(HMAC-SHA256(body, secret)): the signature of SMS centre requests in both directions. */
export function signBody(body: string | Buffer, secret: string): string {
  return createHmac('sha256', secret).update(body).digest('hex');
}

/** Checks an `X-Signature` header in constant time (a plain comparison leaks how many characters matched). */
export function verifySignature(body: string | Buffer, signature: string | undefined | null, secret: string): boolean {
  if (typeof signature !== 'string' || !/^[0-9a-fA-F]{64}$/.test(signature)) return false;
  const expected = Buffer.from(signBody(body, secret), 'hex');
  const given = Buffer.from(signature, 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

export const SIGNATURE_HEADER = 'X-Signature';

/**
 * The SMS centre's HTTP API: POST {baseUrl}/messages with {id, from, to, text}, signed. Any non-2xx answer or
 * a timeout throws, so the outbox relay retries; the message id lets the centre drop a resend.
 */
export class HttpSmsCentreTransport implements SmsTransport {
  constructor(
    private readonly baseUrl: string,
    private readonly secret: string,
    private readonly fetchImpl: typeof fetch = globalThis.fetch,
    private readonly timeoutMs = 10_000,
  ) {}

  async send(message: SmsMessage): Promise<void> {
    const body = JSON.stringify({ id: message.id, from: message.from, to: message.to, text: message.text });
    const response = await this.fetchImpl(`${this.baseUrl.replace(/\/+$/, '')}/messages`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', [SIGNATURE_HEADER]: signBody(body, this.secret) },
      body,
      signal: AbortSignal.timeout(this.timeoutMs),
    });
    if (!response.ok) {
      const detail = (await response.text().catch(() => '')).slice(0, 200);
      throw new Error(`SMS centre answered ${response.status}${detail ? `: ${detail}` : ''}`);
    }
    // Drain the body so the connection can be reused.
    await response.arrayBuffer().catch(() => undefined);
  }
}
