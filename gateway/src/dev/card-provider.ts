import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import express, { Express, Request, Response } from 'express';

/**
 * The sandbox card provider: the true edge of the system, faked over HTTP the way a real processor (Stripe-like)
 * behaves. Card numbers reach it and nothing else — the platform only ever sees its tokens (PCI DSS scope stays here).
 *
 * - `POST /v1/tokens {number, expMonth, expYear, cvc}` (public, as a browser or app calls it) → `{id: "tok_…", card}`;
 *   Luhn, expiry and CVC are checked here. A token is single-use and lives 15 minutes.
 * - `POST /v1/charges` (Bearer secret, `Idempotency-Key` header) → a charge. The key's first answer is saved and
 *   replayed to every retry with the same parameters (a 500 included); other parameters → 400 `idempotency_error`;
 *   the same key while the first request still runs → 409 `idempotency_key_in_use` (nothing saved).
 * - `GET /v1/charges/:id`, `GET /v1/charges?reference=…` (the merchant's own reference): what the provider knows.
 * - `POST /v1/payment_methods/:id/detach`: a saved card (a reusable `pm_…` made by `savePaymentMethod`) is forgotten.
 * - 3-D Secure: a charge of the 3-D Secure card answers `requires_action` with an `actionUrl`, a page where the holder
 *   approves or refuses; unanswered for `actionTtlMs` it fails. Off-session (autopay) it fails at once.
 * - Webhooks: every outcome (`charge.succeeded`, `charge.failed`) is POSTed to the webhook URL with
 *   `X-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`, retried with back-off until answered 2xx.
 */

/** The sandbox's test cards (any other valid number succeeds). */
export const TEST_CARDS = {
  succeeds: '4242424242424242',
  declined: '4000000000000002',
  threeDSecure: '4000000000003220',
  /** The charge is made, but the answer comes only after `timeoutHoldMs` (longer than any client waits). */
  timesOut: '4000000000000259',
  /** The charge is made, but the answer is a 500 (outcome unknown to the caller; retries replay the 500). */
  answers500: '4000000000000119',
} as const;

type Behaviour = 'succeed' | 'decline' | 'three_d_secure' | 'timeout' | 'error_500';

const BEHAVIOUR_OF: Record<string, Behaviour> = {
  [TEST_CARDS.declined]: 'decline',
  [TEST_CARDS.threeDSecure]: 'three_d_secure',
  [TEST_CARDS.timesOut]: 'timeout',
  [TEST_CARDS.answers500]: 'error_500',
};

export type ChargeStatus = 'succeeded' | 'failed' | 'requires_action';

export interface CardDisplay {
  brand: string;
  last4: string;
  expMonth: number;
  expYear: number;
}

export interface SandboxCharge {
  id: string;
  object: 'charge';
  amount: number;
  currency: string;
  reference: string;
  status: ChargeStatus;
  failureCode: string | null;
  actionUrl: string | null;
  card: CardDisplay;
  /** The reusable payment method, when the charge was asked to save the card and succeeded. */
  paymentMethod: (CardDisplay & { id: string }) | null;
  offSession: boolean;
  created: number;
}

export interface WebhookDelivery {
  eventId: string;
  type: string;
  chargeId: string;
  body: string;
  signature: string;
  attempts: number;
  lastStatus: number | null;
  deliveredAt: string | null;
}

interface Token {
  id: string;
  behaviour: Behaviour;
  card: CardDisplay;
  createdAt: number;
  usedBy: string | null;
}

interface PaymentMethod {
  id: string;
  behaviour: Behaviour;
  card: CardDisplay;
  detached: boolean;
}

interface IdempotentResult {
  hash: string;
  inFlight: boolean;
  status: number;
  body: unknown;
  at: number;
}

export interface SandboxCardProviderOptions {
  /** API key (Bearer) of the charges API and the webhooks' signing secret. */
  secret: string;
  /** Where outcomes are POSTed; null: nowhere (the caller must ask). */
  webhookUrl: () => string | null;
  /** Base of `actionUrl` (the provider's public address). */
  publicUrl: () => string;
  /** How long the timeout card holds its answer (default 60 s). */
  timeoutHoldMs?: number;
  /** How long a 3-D Secure step waits for the holder (default 10 minutes). */
  actionTtlMs?: number;
  /** Back-off between webhook attempts (default 0.5 s doubling to 30 s, 12 attempts). */
  webhookRetryMs?: number[];
  tokenTtlMs?: number;
}

const DEFAULT_RETRY_MS = [500, 1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000, 30000, 30000];
const IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000;

const id = (prefix: string) => `${prefix}_${randomBytes(12).toString('hex')}`;

export function signWebhook(body: string, secret: string, timestampSeconds: number): string {
  return `t=${timestampSeconds},v1=${createHmac('sha256', secret).update(`${timestampSeconds}.${body}`).digest('hex')}`;
}

/** Luhn (ISO/IEC 7812) check of a string of digits. */
export function luhnValid(digits: string): boolean {
  let sum = 0;
  let double = false;
  for (let i = digits.length - 1; i >= 0; i -= 1) {
    let d = digits.charCodeAt(i) - 48;
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    double = !double;
  }
  return sum % 10 === 0;
}

function brandOf(number: string): string {
  if (number.startsWith('4')) return 'VISA';
  const two = Number(number.slice(0, 2));
  const four = Number(number.slice(0, 4));
  if ((two >= 51 && two <= 55) || (four >= 2221 && four <= 2720)) return 'MASTERCARD';
  if (two === 34 || two === 37) return 'AMEX';
  return 'CARD';
}

class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

export class SandboxCardProvider {
  private readonly tokens = new Map<string, Token>();
  private readonly paymentMethods = new Map<string, PaymentMethod>();
  private readonly chargesById = new Map<string, SandboxCharge & { behaviour: Behaviour; savePaymentMethod: boolean; source: string; createdMs: number }>();
  private readonly idempotency = new Map<string, IdempotentResult>();
  private readonly deliveries: WebhookDelivery[] = [];
  private readonly pending = new Set<NodeJS.Timeout>();
  private readonly heldResponses = new Set<Response>();
  private webhooksPaused = false;
  private stopped = false;
  private readonly retryMs: number[];

  constructor(private readonly options: SandboxCardProviderOptions) {
    this.retryMs = options.webhookRetryMs ?? DEFAULT_RETRY_MS;
  }

  /** What the provider knows, for tests and the development pages. */
  charges(filter: { reference?: string } = {}): SandboxCharge[] {
    return [...this.chargesById.values()].filter((c) => !filter.reference || c.reference === filter.reference).map((c) => this.publicCharge(c));
  }

  webhookDeliveries(): WebhookDelivery[] {
    return this.deliveries.map((d) => ({ ...d }));
  }

  /** Outcomes are kept (and retried) but not sent until `resumeWebhooks`: a lost or late webhook. */
  pauseWebhooks(): void {
    this.webhooksPaused = true;
  }

  resumeWebhooks(): void {
    this.webhooksPaused = false;
    for (const delivery of this.deliveries) if (!delivery.deliveredAt) this.schedule(delivery, 0);
  }

  /** Ends held answers and pending webhook retries (the process or test is stopping). */
  stop(): void {
    this.stopped = true;
    for (const timer of this.pending) clearTimeout(timer);
    this.pending.clear();
    for (const res of this.heldResponses) res.destroy();
    this.heldResponses.clear();
  }

  mount(app: Express): void {
    const json = express.json({ limit: '16kb' });
    const form = express.urlencoded({ extended: false, limit: '4kb' });

    app.post('/v1/tokens', json, (req, res) => this.handle(res, () => this.createToken(req.body)));

    app.post('/v1/charges', json, async (req, res) => {
      try {
        this.authorize(req);
        await this.createCharge(req, res);
      } catch (error) {
        this.fail(res, error);
      }
    });
    app.get('/v1/charges', (req, res) =>
      this.handle(res, () => {
        this.authorize(req);
        const reference = typeof req.query.reference === 'string' ? req.query.reference : '';
        if (!reference) throw new ApiError(400, 'invalid_request_error', 'parameter_missing', 'reference is required');
        return { object: 'list', data: [...this.chargesById.values()].filter((c) => c.reference === reference).map((c) => this.publicCharge(this.expireAction(c))) };
      }),
    );
    app.get('/v1/charges/:id', (req, res) =>
      this.handle(res, () => {
        this.authorize(req);
        const charge = this.chargesById.get(req.params.id!);
        if (!charge) throw new ApiError(404, 'invalid_request_error', 'resource_missing', 'no such charge');
        return this.publicCharge(this.expireAction(charge));
      }),
    );
    app.post('/v1/payment_methods/:id/detach', (req, res) =>
      this.handle(res, () => {
        this.authorize(req);
        const method = this.paymentMethods.get(req.params.id!);
        if (!method || method.detached) throw new ApiError(404, 'invalid_request_error', 'resource_missing', 'no such payment method');
        method.detached = true;
        return { id: method.id, detached: true };
      }),
    );

    // The holder's 3-D Secure page (actionUrl) and its two answers.
    app.get('/v1/3ds/:id', (req, res) => {
      const charge = this.chargesById.get(req.params.id!);
      if (!charge) {
        res.status(404).type('text/plain').send('Unknown payment');
        return;
      }
      this.expireAction(charge);
      res.setHeader('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'");
      if (charge.status !== 'requires_action') {
        res.type('html').send(page('3-D Secure', `<p>This payment is ${escapeHtml(charge.status)}.</p>`));
        return;
      }
      const amount = `${Math.trunc(charge.amount / 100)}.${String(charge.amount % 100).padStart(2, '0')} ${escapeHtml(charge.currency)}`;
      res.type('html').send(
        page(
          '3-D Secure',
          `<p>Confirm the payment of <b>${amount}</b> by ${escapeHtml(charge.card.brand)} •${escapeHtml(charge.card.last4)}.</p>
<form method="post" action="/v1/3ds/${escapeHtml(charge.id)}/approve"><button type="submit">Approve</button></form>
<form method="post" action="/v1/3ds/${escapeHtml(charge.id)}/refuse"><button type="submit">Refuse</button></form>`,
        ),
      );
    });
    for (const answer of ['approve', 'refuse'] as const) {
      app.post(`/v1/3ds/:id/${answer}`, form, (req, res) => {
        const charge = this.chargesById.get(req.params.id!);
        if (!charge) {
          res.status(404).type('text/plain').send('Unknown payment');
          return;
        }
        this.expireAction(charge);
        if (charge.status === 'requires_action') {
          if (answer === 'approve') this.succeed(charge);
          else this.failCharge(charge, 'authentication_failed');
        }
        res.type('html').send(page('3-D Secure', `<p>This payment is ${escapeHtml(charge.status)}. You may return to the app.</p>`));
      });
    }

    // Development and tests only: what was charged and which webhooks went out.
    app.get('/dev/card-provider/charges', (req, res) => {
      const reference = typeof req.query.reference === 'string' ? req.query.reference : undefined;
      res.json(this.charges(reference ? { reference } : {}));
    });
    app.get('/dev/card-provider/webhooks', (_req, res) => void res.json(this.webhookDeliveries()));
    app.post('/dev/card-provider/webhooks/pause', (_req, res) => {
      this.pauseWebhooks();
      res.json({ paused: true });
    });
    app.post('/dev/card-provider/webhooks/resume', (_req, res) => {
      this.resumeWebhooks();
      res.json({ paused: false });
    });
  }

  private handle(res: Response, work: () => unknown): void {
    try {
      res.json(work());
    } catch (error) {
      this.fail(res, error);
    }
  }

  private fail(res: Response, error: unknown): void {
    if (error instanceof ApiError) {
      res.status(error.status).json({ error: { type: error.type, code: error.code, message: error.message } });
      return;
    }
    res.status(500).json({ error: { type: 'api_error', code: 'internal', message: 'internal error' } });
  }

  private authorize(req: Request): void {
    const given = Buffer.from(req.header('authorization') ?? '');
    const expected = Buffer.from(`Bearer ${this.options.secret}`);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      throw new ApiError(401, 'authentication_error', 'invalid_api_key', 'invalid API key');
    }
  }

  private createToken(body: unknown): { id: string; object: 'token'; card: CardDisplay } {
    const { number, expMonth, expYear, cvc } = (body ?? {}) as Record<string, unknown>;
    // Never echo what was sent: it is a card number.
    const digits = typeof number === 'string' ? number.replace(/[\s-]/g, '') : '';
    if (!/^\d{12,19}$/.test(digits) || !luhnValid(digits)) throw new ApiError(400, 'card_error', 'invalid_number', 'The card number is not a valid card number');
    const month = typeof expMonth === 'number' ? expMonth : Number(expMonth);
    const rawYear = typeof expYear === 'number' ? expYear : Number(expYear);
    const year = rawYear < 100 ? 2000 + rawYear : rawYear;
    if (!Number.isInteger(month) || month < 1 || month > 12) throw new ApiError(400, 'card_error', 'invalid_expiry_month', 'The expiration month is invalid');
    if (!Number.isInteger(year) || year > 2100) throw new ApiError(400, 'card_error', 'invalid_expiry_year', 'The expiration year is invalid');
    const now = new Date();
    if (year * 12 + month < now.getUTCFullYear() * 12 + now.getUTCMonth() + 1) throw new ApiError(400, 'card_error', 'expired_card', 'The card has expired');
    if (typeof cvc !== 'string' || !/^\d{3,4}$/.test(cvc)) throw new ApiError(400, 'card_error', 'invalid_cvc', 'The security code is invalid');
    const token: Token = {
      id: id('tok'),
      behaviour: BEHAVIOUR_OF[digits] ?? 'succeed',
      card: { brand: brandOf(digits), last4: digits.slice(-4), expMonth: month, expYear: year },
      createdAt: Date.now(),
      usedBy: null,
    };
    this.tokens.set(token.id, token);
    return { id: token.id, object: 'token', card: { ...token.card } };
  }

  private async createCharge(req: Request, res: Response): Promise<void> {
    const key = req.header('idempotency-key') ?? '';
    if (key.length < 1 || key.length > 255) throw new ApiError(400, 'invalid_request_error', 'idempotency_key_missing', 'an Idempotency-Key header of 1-255 characters is required');
    const body = (req.body ?? {}) as Record<string, unknown>;
    const { amount, currency, source, reference } = body;
    const savePaymentMethod = body.savePaymentMethod === true;
    const offSession = body.offSession === true;
    if (!Number.isSafeInteger(amount) || (amount as number) <= 0) throw new ApiError(400, 'invalid_request_error', 'amount_invalid', 'amount must be a positive integer of minor units');
    if (currency !== 'KZT') throw new ApiError(400, 'invalid_request_error', 'currency_invalid', 'currency must be KZT');
    if (typeof source !== 'string' || !/^(tok|pm)_[A-Za-z0-9_]{1,64}$/.test(source)) throw new ApiError(400, 'invalid_request_error', 'source_invalid', 'source must be a token or a payment method');
    if (typeof reference !== 'string' || reference.length < 1 || reference.length > 100) throw new ApiError(400, 'invalid_request_error', 'reference_invalid', 'reference: 1-100 characters');

    const hash = createHash('sha256').update(JSON.stringify([amount, currency, source, reference, savePaymentMethod, offSession])).digest('hex');
    this.pruneIdempotency();
    const earlier = this.idempotency.get(key);
    if (earlier) {
      if (earlier.hash !== hash) throw new ApiError(400, 'idempotency_error', 'idempotency_key_reused', 'Keys for idempotent requests can only be used with the same parameters they were first used with');
      if (earlier.inFlight) throw new ApiError(409, 'idempotency_error', 'idempotency_key_in_use', 'A request with this key is still being processed');
      res.status(earlier.status).setHeader('idempotent-replayed', 'true').json(earlier.body);
      return;
    }
    const slot: IdempotentResult = { hash, inFlight: true, status: 0, body: null, at: Date.now() };
    this.idempotency.set(key, slot);
    try {
      const { behaviour, card, paymentMethod } = this.resolveSource(source);
      const charge = {
        id: id('ch'),
        object: 'charge' as const,
        amount: amount as number,
        currency: 'KZT',
        reference,
        status: 'succeeded' as ChargeStatus,
        failureCode: null as string | null,
        actionUrl: null as string | null,
        card,
        paymentMethod,
        offSession,
        created: Math.floor(Date.now() / 1000),
        createdMs: Date.now(),
        behaviour,
        savePaymentMethod,
        source,
      };
      this.chargesById.set(charge.id, charge);
      const token = this.tokens.get(source);
      if (token) token.usedBy = charge.id;

      if (behaviour === 'decline') this.failCharge(charge, 'card_declined');
      else if (behaviour === 'three_d_secure' && offSession) this.failCharge(charge, 'authentication_required');
      else if (behaviour === 'three_d_secure') {
        charge.status = 'requires_action';
        charge.actionUrl = `${this.options.publicUrl().replace(/\/+$/, '')}/v1/3ds/${charge.id}`;
      } else this.succeed(charge);

      const status = behaviour === 'error_500' ? 500 : charge.status === 'failed' ? 402 : 200;
      const answer =
        status === 500
          ? { error: { type: 'api_error', code: 'processing_error', message: 'An error occurred while processing the charge' } }
          : status === 402
            ? { error: { type: 'card_error', code: charge.failureCode, message: 'The card was declined', charge: this.publicCharge(charge) } }
            : this.publicCharge(charge);
      Object.assign(slot, { inFlight: false, status, body: answer });
      if (behaviour === 'timeout') {
        // The charge is made; its answer comes too late for any caller (the outcome is unknown to it).
        this.heldResponses.add(res);
        const timer = setTimeout(() => {
          this.pending.delete(timer);
          this.heldResponses.delete(res);
          if (!res.destroyed) res.status(status).json(answer);
        }, this.options.timeoutHoldMs ?? 60_000);
        this.pending.add(timer);
        res.on('close', () => this.heldResponses.delete(res));
        return;
      }
      res.status(status).json(answer);
    } catch (error) {
      // Nothing was executed (a bad source): no result is kept for the key.
      this.idempotency.delete(key);
      throw error;
    }
  }

  private resolveSource(source: string): { behaviour: Behaviour; card: CardDisplay; paymentMethod: null } {
    if (source.startsWith('tok_') && !this.fixtureMethod(source)) {
      const token = this.tokens.get(source);
      if (!token) throw new ApiError(400, 'invalid_request_error', 'token_invalid', 'No such token');
      if (token.usedBy) throw new ApiError(400, 'invalid_request_error', 'token_already_used', 'This token was already used');
      if (Date.now() - token.createdAt > (this.options.tokenTtlMs ?? 15 * 60_000)) throw new ApiError(400, 'invalid_request_error', 'token_expired', 'This token has expired');
      return { behaviour: token.behaviour, card: { ...token.card }, paymentMethod: null };
    }
    const method = this.paymentMethods.get(source) ?? this.fixtureMethod(source);
    if (!method || method.detached) throw new ApiError(400, 'invalid_request_error', 'payment_method_invalid', 'No such payment method');
    return { behaviour: method.behaviour, card: { ...method.card }, paymentMethod: null };
  }

  /** The embedded default's demo cards were saved before the sandbox existed: they stand for always-succeeding cards. */
  private fixtureMethod(source: string): PaymentMethod | undefined {
    const known = this.paymentMethods.get(source);
    if (known) return known;
    const demo: Record<string, CardDisplay> = {
      tok_demo_4242: { brand: 'VISA', last4: '4242', expMonth: 12, expYear: 2028 },
      tok_demo_5454: { brand: 'MASTERCARD', last4: '5454', expMonth: 6, expYear: 2027 },
    };
    const card = demo[source];
    if (!card) return undefined;
    const method: PaymentMethod = { id: source, behaviour: 'succeed', card, detached: false };
    this.paymentMethods.set(source, method);
    return method;
  }

  private succeed(charge: SandboxCharge & { behaviour: Behaviour; savePaymentMethod: boolean; source: string; createdMs: number }): void {
    charge.status = 'succeeded';
    charge.actionUrl = null;
    if (charge.savePaymentMethod && !charge.paymentMethod) {
      if (charge.source.startsWith('pm_') || charge.source.startsWith('tok_demo_')) {
        const method = this.paymentMethods.get(charge.source)!;
        charge.paymentMethod = { id: method.id, ...method.card };
      } else {
        const method: PaymentMethod = { id: id('pm'), behaviour: charge.behaviour, card: { ...charge.card }, detached: false };
        this.paymentMethods.set(method.id, method);
        charge.paymentMethod = { id: method.id, ...method.card };
      }
    }
    this.emit('charge.succeeded', charge);
  }

  private failCharge(charge: SandboxCharge, code: string): void {
    charge.status = 'failed';
    charge.failureCode = code;
    charge.actionUrl = null;
    this.emit('charge.failed', charge);
  }

  /** A 3-D Secure step nobody answered in time fails (checked whenever the charge is looked at). */
  private expireAction<T extends SandboxCharge & { createdMs: number }>(charge: T): T {
    if (charge.status === 'requires_action' && Date.now() - charge.createdMs > (this.options.actionTtlMs ?? 10 * 60_000)) {
      this.failCharge(charge, 'authentication_expired');
    }
    return charge;
  }

  private publicCharge(charge: SandboxCharge): SandboxCharge {
    return {
      id: charge.id,
      object: 'charge',
      amount: charge.amount,
      currency: charge.currency,
      reference: charge.reference,
      status: charge.status,
      failureCode: charge.failureCode,
      actionUrl: charge.actionUrl,
      card: { ...charge.card },
      paymentMethod: charge.paymentMethod ? { ...charge.paymentMethod } : null,
      offSession: charge.offSession,
      created: charge.created,
    };
  }

  private emit(type: string, charge: SandboxCharge): void {
    const eventId = id('evt');
    const body = JSON.stringify({ id: eventId, object: 'event', type, created: Math.floor(Date.now() / 1000), data: { object: this.publicCharge(charge) } });
    const delivery: WebhookDelivery = { eventId, type, chargeId: charge.id, body, signature: '', attempts: 0, lastStatus: null, deliveredAt: null };
    this.deliveries.push(delivery);
    if (this.deliveries.length > 10_000) this.deliveries.shift();
    this.schedule(delivery, 0);
  }

  private schedule(delivery: WebhookDelivery, delayMs: number): void {
    if (this.stopped || this.webhooksPaused) return;
    const timer = setTimeout(() => {
      this.pending.delete(timer);
      void this.deliver(delivery);
    }, delayMs);
    this.pending.add(timer);
  }

  private async deliver(delivery: WebhookDelivery): Promise<void> {
    if (this.stopped || this.webhooksPaused || delivery.deliveredAt) return;
    const url = this.options.webhookUrl();
    if (!url) return;
    delivery.attempts += 1;
    // Signed at each attempt, as real providers do: the timestamp says when this attempt was sent.
    delivery.signature = signWebhook(delivery.body, this.options.secret, Math.floor(Date.now() / 1000));
    try {
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-signature': delivery.signature },
        body: delivery.body,
        signal: AbortSignal.timeout(10_000),
      });
      delivery.lastStatus = response.status;
      await response.arrayBuffer().catch(() => undefined);
      if (response.ok) {
        delivery.deliveredAt = new Date().toISOString();
        return;
      }
    } catch {
      delivery.lastStatus = null;
    }
    const delay = this.retryMs[delivery.attempts - 1];
    if (delay !== undefined) this.schedule(delivery, delay);
  }

  private pruneIdempotency(): void {
    const cutoff = Date.now() - IDEMPOTENCY_TTL_MS;
    for (const [key, value] of this.idempotency) {
      if (value.at >= cutoff) break;
      if (!value.inFlight) this.idempotency.delete(key);
    }
  }
}

function page(title: string, content: string): string {
  return `<!doctype html><html><head><meta charset="utf-8"><title>${escapeHtml(title)}</title><style>body{font-family:sans-serif;max-width:28rem;margin:3rem auto}form{display:inline-block;margin-right:1rem}</style></head><body><h1>${escapeHtml(title)}</h1>${content}</body></html>`;
}

export interface RunningSandbox {
  provider: SandboxCardProvider;
  url: string;
  port: number;
  /** Stops answering (connections closed): the provider is down. */
  stop(): Promise<void>;
  /** Answers again on the same port, with what it knew. */
  restart(): Promise<void>;
}

/** The sandbox on a port of its own (tests, and the process entry); `publicUrl` defaults to where it listens. */
export async function startSandboxCardProvider(
  options: Omit<SandboxCardProviderOptions, 'publicUrl'> & { publicUrl?: () => string; port?: number; host?: string },
): Promise<RunningSandbox> {
  const host = options.host ?? '127.0.0.1';
  let url = '';
  const provider = new SandboxCardProvider({ ...options, publicUrl: options.publicUrl ?? (() => url) });
  const app = express();
  app.disable('x-powered-by');
  app.get('/healthz', (_req, res) => void res.json({ status: 'ok', service: 'card-provider' }));
  provider.mount(app);
  const listen = (port: number) =>
    new Promise<import('node:http').Server>((resolve, reject) => {
      const server = app.listen(port, host, () => resolve(server));
      server.once('error', reject);
    });
  let server = await listen(options.port ?? 0);
  const port = (server.address() as { port: number }).port;
  url = `http://${host}:${port}`;
  const close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return {
    provider,
    url,
    port,
    stop: async () => {
      await close();
    },
    restart: async () => {
      server = await listen(port);
    },
  };
}
