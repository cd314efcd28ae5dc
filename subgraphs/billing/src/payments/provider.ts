import { z } from 'zod';
import type { Logger } from '@selfcare/shared';
import type { PaymentProviderSettings } from './config';

const card = z.object({ brand: z.string().max(20), last4: z.string().regex(/^\d{4}$/), expMonth: z.number().int().min(1).max(12), expYear: z.number().int().min(2000).max(2100) });

/** A charge as the provider reports it (its API's fields billing relies on; others are ignored). */
const chargeSchema = z.object({
  id: z.string().min(1).max(64),
  amount: z.number().int().positive(),
  currency: z.string(),
  reference: z.string(),
  status: z.enum(['succeeded', 'failed', 'requires_action', 'processing']),
  failureCode: z.string().max(64).nullable().optional(),
  actionUrl: z.string().url().max(500).nullable().optional(),
  card: card.nullable().optional(),
  paymentMethod: card.extend({ id: z.string().min(1).max(255) }).nullable().optional(),
});

export type ProviderCharge = z.infer<typeof chargeSchema>;

/** A charge in a webhook event, parsed like the API's answers; null when it is not one. */
export function parseCharge(raw: unknown): ProviderCharge | null {
  const parsed = chargeSchema.safeParse(raw);
  return parsed.success ? parsed.data : null;
}

const errorSchema = z.object({ error: z.object({ type: z.string().optional(), code: z.string().nullable().optional(), charge: z.unknown().optional() }) });

/** What a request to create a charge came to. */
export type ChargeAnswer =
  /** The provider made the charge and says where it stands (a decline included). */
  | { kind: 'charge'; charge: ProviderCharge }
  /** The provider refused the request (a used or unknown token, a detached card): nothing was charged. */
  | { kind: 'refused'; code: string }
  /** No answer to trust — timeout, 5xx, unreachable, garbled, the key still in use: a charge may or may not exist. */
  | { kind: 'unknown'; reason: string };

export type LookupAnswer = { kind: 'found'; charge: ProviderCharge } | { kind: 'none' } | { kind: 'unknown'; reason: string };

export interface CreateChargeRequest {
  /** Our payment's id: the provider's idempotency key and the charge's reference, so a retry is never a second charge. */
  paymentId: string;
  amountMinor: number;
  /** A single-use token (tok_…) or a saved card (pm_…). */
  source: string;
  savePaymentMethod: boolean;
  /** Autopay: nobody is there to answer a 3-D Secure step. */
  offSession: boolean;
}

interface RawAnswer {
  status: number;
  body: unknown;
}

class NoAnswer extends Error {
  constructor(
    readonly reason: 'timeout' | 'unreachable' | 'garbled',
    readonly retryable: boolean,
  ) {
    super(reason);
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The one way billing talks to the card provider: a timeout per attempt, a few retries with back-off where a retry is
 * safe (the charge's idempotency key is our payment id, so resending never charges twice), and every answer parsed.
 * A timed-out create is not retried here — the request may still be running at the provider; reconciliation asks later.
 */
export class CardProviderClient {
  constructor(
    private readonly settings: PaymentProviderSettings,
    private readonly logger: Logger,
  ) {}

  async createCharge(request: CreateChargeRequest): Promise<ChargeAnswer> {
    const body = {
      amount: request.amountMinor,
      currency: 'KZT',
      source: request.source,
      reference: request.paymentId,
      savePaymentMethod: request.savePaymentMethod,
      offSession: request.offSession,
    };
    for (let attempt = 0; ; attempt += 1) {
      const last = attempt >= this.settings.retries;
      let answer: RawAnswer;
      try {
        answer = await this.request('POST', '/v1/charges', body, { 'idempotency-key': `payment:${request.paymentId}` });
      } catch (error) {
        const failure = error as NoAnswer;
        if (failure.retryable && !last) {
          await sleep(backoff(attempt));
          continue;
        }
        return { kind: 'unknown', reason: failure.reason ?? 'unreachable' };
      }
      if (answer.status === 200) {
        const charge = chargeSchema.safeParse(answer.body);
        return charge.success ? { kind: 'charge', charge: charge.data } : this.garbled('create', answer);
      }
      if (answer.status === 402) {
        // A decline: the charge exists and failed.
        const error = errorSchema.safeParse(answer.body);
        const charge = chargeSchema.safeParse(error.success ? error.data.error.charge : undefined);
        return charge.success ? { kind: 'charge', charge: charge.data } : this.garbled('create', answer);
      }
      const error = errorSchema.safeParse(answer.body);
      const code = error.success ? (error.data.error.code ?? 'unknown') : 'unknown';
      if (answer.status === 400 && error.success && error.data.error.type === 'invalid_request_error') return { kind: 'refused', code };
      if (answer.status === 400 || answer.status === 401 || answer.status === 403) {
        // Our request is wrong (the key reused with other parameters, a bad API key): nothing to retry, somebody must look.
        this.logger.error({ status: answer.status, code, payment: request.paymentId }, 'card provider refused the charge request');
        return { kind: 'unknown', reason: `refused ${answer.status}` };
      }
      // 409 (the same key still running), 429, 5xx: a retry with the same key is safe and gets the same charge.
      if (!last && (answer.status === 409 || answer.status === 429 || answer.status >= 500)) {
        await sleep(backoff(attempt));
        continue;
      }
      return { kind: 'unknown', reason: `status ${answer.status}` };
    }
  }

  /** The charge made for this payment, if the provider has one (reconciliation's first question). */
  async chargeOf(paymentId: string): Promise<LookupAnswer> {
    return this.lookup(`/v1/charges?reference=${encodeURIComponent(paymentId)}`, (body) => {
      const list = z.object({ data: z.array(z.unknown()) }).safeParse(body);
      if (!list.success) return undefined;
      const charges = list.data.data.map((c) => chargeSchema.safeParse(c)).filter((c) => c.success).map((c) => c.data!);
      if (charges.length !== list.data.data.length) return undefined;
      const mine = charges.filter((c) => c.reference === paymentId);
      return mine[0] ?? null;
    });
  }

  async charge(chargeId: string): Promise<LookupAnswer> {
    return this.lookup(`/v1/charges/${encodeURIComponent(chargeId)}`, (body) => {
      const charge = chargeSchema.safeParse(body);
      return charge.success ? charge.data : undefined;
    });
  }

  /** Forgets a saved card at the provider; false when it could not be done now (billing no longer uses it anyway). */
  async detach(paymentMethodId: string): Promise<boolean> {
    // Sent once more when it was not read (a keep-alive socket gone stale): forgetting twice is harmless, 404 is done.
    for (let attempt = 0; attempt < 2; attempt += 1) {
      try {
        const answer = await this.request('POST', `/v1/payment_methods/${encodeURIComponent(paymentMethodId)}/detach`, {});
        return answer.status === 200 || answer.status === 404;
      } catch (error) {
        if (!(error instanceof NoAnswer && error.retryable)) return false;
      }
    }
    return false;
  }

  private async lookup(path: string, parse: (body: unknown) => ProviderCharge | null | undefined): Promise<LookupAnswer> {
    for (let attempt = 0; ; attempt += 1) {
      const last = attempt >= this.settings.retries;
      try {
        const answer = await this.request('GET', path);
        if (answer.status === 404) return { kind: 'none' };
        if (answer.status === 200) {
          const charge = parse(answer.body);
          if (charge === undefined) {
            this.garbled('lookup', answer);
            return { kind: 'unknown', reason: 'garbled' };
          }
          return charge ? { kind: 'found', charge } : { kind: 'none' };
        }
        if (last || !(answer.status === 429 || answer.status >= 500)) return { kind: 'unknown', reason: `status ${answer.status}` };
      } catch (error) {
        // A read changes nothing: a timeout is as safe to retry as a refused connection.
        if (last) return { kind: 'unknown', reason: (error as NoAnswer).reason ?? 'unreachable' };
      }
      await sleep(backoff(attempt));
    }
  }

  private garbled(what: string, answer: RawAnswer): ChargeAnswer & { kind: 'unknown' } {
    this.logger.error({ status: answer.status, what }, 'card provider answered out of its API');
    return { kind: 'unknown', reason: 'garbled' };
  }

  private async request(method: 'GET' | 'POST', path: string, body?: unknown, headers: Record<string, string> = {}): Promise<RawAnswer> {
    let response: globalThis.Response;
    const signal = AbortSignal.timeout(this.settings.timeoutMs);
    try {
      response = await fetch(`${this.settings.url()}${path}`, {
        method,
        headers: { authorization: `Bearer ${this.settings.secret}`, ...(body ? { 'content-type': 'application/json' } : {}), ...headers },
        ...(body ? { body: JSON.stringify(body) } : {}),
        signal,
      });
    } catch (error) {
      if (isTimeout(error)) throw new NoAnswer('timeout', false);
      // Refused or reset before any answer: the request may not have been read (a keep-alive socket gone stale).
      throw new NoAnswer('unreachable', true);
    }
    let text: string;
    try {
      text = await response.text();
    } catch (error) {
      throw new NoAnswer(isTimeout(error) ? 'timeout' : 'unreachable', false);
    }
    try {
      return { status: response.status, body: text ? JSON.parse(text) : null };
    } catch {
      return { status: response.status, body: null };
    }
  }
}

function isTimeout(error: unknown): boolean {
  const name = (error as { name?: unknown })?.name;
  return name === 'TimeoutError' || name === 'AbortError';
}

const backoff = (attempt: number) => 100 * 2 ** attempt;
