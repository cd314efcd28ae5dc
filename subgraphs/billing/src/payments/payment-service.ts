import { createHash, randomUUID } from 'node:crypto';
import DataLoader from 'dataloader';
import { In, IsNull } from 'typeorm';
import type { EntityManager } from 'typeorm';
import {
  AccessPolicy,
  Clock,
  ContractOutbox,
  Database,
  ErrorCode,
  GraphQLContext,
  KeysetPages,
  Logger,
  badInput,
  billingEvents,
  byKeys,
  requireSubscriber,
  isUuid,
} from '@selfcare/shared';
import { BillingError } from '../errors';
import { AccountEntity, LedgerEntryKind, SavedCardEntity } from '../accounts/entities';
import type { LedgerService } from '../accounts/ledger-service';
import type { Account } from '../accounts/types';
import { OPEN_PAYMENT_STATUSES, PaymentEntity, PaymentOrigin, PaymentStatus, PaymentWebhookEventEntity } from './entities';
import type { PaymentsSettings } from './config';
import { parseAmountWithin } from './amount';
import { CardProviderClient, ChargeAnswer, LookupAnswer, ProviderCharge, parseCharge } from './provider';
import type { WebhookHandler } from './webhook';
import { AUTOPAY_ENTRY, DECLINED_DETAILS, PAID_DETAILS, PAYMENT_ENTRY, RECEIPT, cardLabel, fill, money } from './texts';
import { Payment, PaymentConnection, toPayment } from './types';

/** A client's idempotency key: printable ASCII without spaces, as Stripe-style clients send (a UUID fits). */
const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,64}$/;
/** A provider token for a new card; anything else (a card number above all) is refused without being echoed. */
const CARD_TOKEN = /^tok_[A-Za-z0-9_]{1,64}$/;

export interface PayByCardArgs {
  subscriberId: string;
  amount: string;
  cardToken?: string | null;
  savedCardId?: string | null;
  saveCard?: boolean | null;
  idempotencyKey: string;
}

/** What other parts of billing do in the transaction that settles a payment (trust repayment, autopay). */
export interface PaymentListener {
  /** Resolves true when it posted to the payment's account (so the balance read before is stale). */
  succeeded?(manager: EntityManager, payment: PaymentEntity): Promise<boolean>;
  failed?(manager: EntityManager, payment: PaymentEntity): Promise<void>;
}

export const isOpen = (payment: PaymentEntity) => OPEN_PAYMENT_STATUSES.includes(payment.status);

export function requestHash(parts: unknown[]): string {
  return createHash('sha256').update(JSON.stringify(parts)).digest('hex');
}

/**
 * Card payments (terms 2.1), built as a payment engineer builds them:
 * - the payment row is written (PENDING) before the provider is asked, and its id is the provider's idempotency key,
 *   so no retry, crash or second replica can make a second charge;
 * - the ledger is credited (`PAYMENT`, reference `payment:<id>`) once, in the transaction that records the provider's
 *   success, under the payment's row lock — whoever learns the outcome first (the request, the webhook, the
 *   reconciliation) applies it and the others find it applied;
 * - an outcome nobody heard (timeout, 500, a crash after the provider charged) leaves the payment PENDING for the
 *   reconciliation job, which asks the provider until it knows (Kill Bill's janitor).
 */
export class PaymentService implements WebhookHandler {
  /** Drives of this process, so a duplicate request waits for the first one's outcome instead of racing it. */
  private readonly inFlight = new Map<string, Promise<PaymentEntity | null>>();
  private readonly listeners: PaymentListener[] = [];
  private readonly accountQueues = new Map<string, Promise<void>>();
  private readonly pages: KeysetPages<PaymentEntity>;
  /** Longest time one drive may take: every provider attempt timing out, plus back-off. */
  readonly leaseMs: number;

  constructor(
    private readonly database: Database,
    private readonly accessPolicy: AccessPolicy,
    private readonly ledger: LedgerService,
    private readonly outbox: ContractOutbox<typeof billingEvents>,
    private readonly provider: CardProviderClient,
    private readonly settings: PaymentsSettings,
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {
    this.leaseMs = settings.provider.timeoutMs * (settings.provider.retries + 1) * 2 + 5_000;
    this.pages = new KeysetPages({
      name: 'payments.byAccount',
      entity: PaymentEntity,
      manager: () => this.database.manager,
      parent: 'accountId',
      sortBy: 'createdAt',
      sortKind: 'timestamp',
      order: 'NEWEST_FIRST',
    });
  }

  addListener(listener: PaymentListener): void {
    this.listeners.push(listener);
  }

  /**
   * On SQLite every transaction shares one connection: a read outside `transaction()` could see rows of a transaction
   * still open (and about to roll back). Queued behind the writers, it sees committed rows only.
   */
  private read<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    return this.database.dialect === 'sqlite' ? this.database.transaction(work) : work(this.database.manager);
  }

  // ───────────────────────── payByCard ─────────────────────────

  async payByCard(ctx: GraphQLContext, args: PayByCardArgs): Promise<Payment> {
    const caller = requireSubscriber(ctx);
    if (typeof args.idempotencyKey !== 'string' || !IDEMPOTENCY_KEY.test(args.idempotencyKey)) {
      throw badInput('idempotencyKey', { KK: 'Кілт: бос орынсыз 1–64 таңба', RU: 'Ключ: 1–64 символа без пробелов', EN: 'The key: 1-64 characters without spaces' });
    }
    const amountMinor = parseAmountWithin(args.amount, 'amount', this.settings.minAmountMinor, this.settings.maxAmountMinor);
    const cardToken = args.cardToken ?? null;
    const savedCardId = args.savedCardId ?? null;
    if ((cardToken === null) === (savedCardId === null)) {
      throw badInput(cardToken === null ? 'cardToken' : 'savedCardId', {
        KK: 'cardToken немесе savedCardId екеуінің бірін беріңіз',
        RU: 'Укажите что-то одно: cardToken или savedCardId',
        EN: 'Give exactly one of cardToken and savedCardId',
      });
    }
    if (cardToken !== null && !CARD_TOKEN.test(cardToken)) {
      throw badInput('cardToken', { KK: 'Карта токенін төлем провайдері береді', RU: 'Токен карты выдаёт платёжный провайдер', EN: 'The card token comes from the payment provider' });
    }
    if (savedCardId !== null && !isUuid(savedCardId)) throw badInput('savedCardId');
    // A saved card is saved already.
    const saveCard = cardToken !== null && args.saveCard === true;

    const access = await this.accessPolicy.assertMayManage(ctx, args.subscriberId);
    const key = `${caller.subscriberId}:${args.idempotencyKey}`;
    const hash = requestHash(['payByCard', args.subscriberId, amountMinor, cardToken, savedCardId, saveCard]);

    const earlier = await this.read((manager) => manager.findOne(PaymentEntity, { where: { idempotencyKey: key } }));
    if (earlier) return toPayment(await this.replay(earlier, hash));

    const { account, ownAccount } = await this.accountsFor(args.subscriberId, caller.subscriberId);
    if (savedCardId !== null) await this.assertUsableCard(savedCardId, [account.id, ownAccount?.id]);
    if (saveCard) await this.assertRoomForCard(ownAccount);

    const now = this.clock.now();
    const payment: PaymentEntity = {
      id: randomUUID(),
      accountId: account.id,
      subscriberId: args.subscriberId,
      actorId: caller.subscriberId,
      viaManagement: access.viaManagement,
      channel: caller.channel,
      origin: PaymentOrigin.SUBSCRIBER,
      idempotencyKey: key,
      requestHash: hash,
      amountMinor,
      currency: 'KZT',
      cardToken,
      savedCardId,
      saveToAccountId: saveCard ? ownAccount!.id : null,
      status: PaymentStatus.PENDING,
      failureCode: null,
      providerChargeId: null,
      actionUrl: null,
      cardBrand: null,
      cardLast4: null,
      checks: 0,
      // The reconciliation takes over only if this request's drive (its lease) ends without an answer.
      nextCheckAt: new Date(now.getTime() + this.leaseMs),
      leaseUntil: new Date(now.getTime() + this.leaseMs),
      createdAt: now,
      updatedAt: now,
      completedAt: null,
    };
    // INSERT … IGNORE: a concurrent duplicate that won the key is no error (nor a failed statement in the log).
    const stored = await this.database.transaction(async (manager) => {
      await manager.createQueryBuilder().insert().into(PaymentEntity).values(payment).orIgnore().execute();
      return manager.findOneOrFail(PaymentEntity, { where: { idempotencyKey: key } });
    });
    // The duplicate that won drives the payment; this one answers with the same payment.
    if (stored.id !== payment.id) return toPayment(await this.replay(stored, hash));
    this.onScheduled(payment.nextCheckAt!);
    return toPayment((await this.drive(payment.id, { leaseHeld: true, first: true, row: payment })) ?? payment);
  }

  /** A payment as an inserted payment request (autopay): driven by the caller once its transaction commits. */
  async insertPayment(manager: EntityManager, payment: Omit<PaymentEntity, 'createdAt' | 'updatedAt' | 'nextCheckAt' | 'leaseUntil' | 'checks' | 'completedAt'>): Promise<PaymentEntity> {
    const now = this.clock.now();
    const row: PaymentEntity = { ...payment, checks: 0, nextCheckAt: now, leaseUntil: null, createdAt: now, updatedAt: now, completedAt: null };
    await manager.insert(PaymentEntity, row);
    return row;
  }

  /** Same key again: the same payment if the arguments are the same, else IDEMPOTENCY_CONFLICT. */
  private async replay(earlier: PaymentEntity, hash: string): Promise<PaymentEntity> {
    if (earlier.requestHash !== hash) throw new BillingError(ErrorCode.IDEMPOTENCY_CONFLICT, { field: 'idempotencyKey' });
    if (!isOpen(earlier)) return earlier;
    return (await this.awaitDrive(earlier.id)) ?? earlier;
  }

  /**
   * An open payment's outcome as far as it can be had now: the drive of this process if one runs, else a drive of our
   * own if nobody holds the payment (the first request died), else the row once its holder lets go (a few seconds).
   */
  private async awaitDrive(paymentId: string): Promise<PaymentEntity | null> {
    const running = this.inFlight.get(paymentId);
    if (running) return running;
    // Well inside the gateway's time for a call: then the payment as it stands (the client asks again, or reads it).
    const deadline = Date.now() + 4_000;
    for (;;) {
      const driven = await this.drive(paymentId, { leaseHeld: false, first: false });
      if (!driven || !isOpen(driven) || Date.now() > deadline) return driven;
      if (driven.leaseUntil === null || driven.leaseUntil <= this.clock.now()) return driven;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  private async accountsFor(subscriberId: string, callerId: string): Promise<{ account: AccountEntity; ownAccount: AccountEntity | null }> {
    const ids = subscriberId === callerId ? [subscriberId] : [subscriberId, callerId];
    const rows = await this.read((manager) => manager.find(AccountEntity, { where: { subscriberId: In(ids) } }));
    const account = rows.find((r) => r.subscriberId === subscriberId);
    if (!account) throw new BillingError(ErrorCode.NOT_FOUND, { field: 'subscriberId' });
    return { account, ownAccount: rows.find((r) => r.subscriberId === callerId) ?? null };
  }

  /** A saved card pays for its own account's number, or — the payer's own card — for a number they manage. */
  private async assertUsableCard(savedCardId: string, accountIds: (string | undefined)[]): Promise<SavedCardEntity> {
    const card = await this.read((manager) => manager.findOne(SavedCardEntity, { where: { id: savedCardId } }));
    if (!card || card.removedAt || !accountIds.includes(card.accountId)) throw new BillingError(ErrorCode.NOT_FOUND, { field: 'savedCardId' });
    return card;
  }

  private async assertRoomForCard(ownAccount: AccountEntity | null): Promise<void> {
    if (!ownAccount) throw badInput('saveCard');
    const saved = await this.read((manager) => manager.count(SavedCardEntity, { where: { accountId: ownAccount.id, removedAt: IsNull() } }));
    if (saved >= this.settings.savedCardsPerAccount) {
      throw badInput(
        'saveCard',
        { KK: 'Ең көбі {max} карта сақтауға болады', RU: 'Можно сохранить не больше {max} карт', EN: 'At most {max} cards can be saved' },
        { max: this.settings.savedCardsPerAccount },
      );
    }
  }

  // ───────────────────────── driving a payment to its outcome ─────────────────────────

  /**
   * Asks the provider about an open payment and applies the answer. Only the holder of the payment's lease drives it
   * (the request that made it, or one reconciliation run on some replica); the first drive creates the charge, any
   * later one first asks whether the provider has it and creates it (same idempotency key) only if not.
   */
  drive(paymentId: string, options: { leaseHeld: boolean; first: boolean; row?: PaymentEntity }): Promise<PaymentEntity | null> {
    const running = this.inFlight.get(paymentId);
    if (running) return running;
    const run = (async () => {
      if (!options.leaseHeld && !(await this.claimLease(paymentId))) {
        return this.read((manager) => manager.findOne(PaymentEntity, { where: { id: paymentId } }));
      }
      const payment = options.row ?? (await this.read((manager) => manager.findOne(PaymentEntity, { where: { id: paymentId } })));
      if (!payment || !isOpen(payment)) return payment;
      const answer = await this.ask(payment, options.first);
      const settled = await this.settle(payment, answer);
      if (settled?.nextCheckAt && isOpen(settled)) this.onScheduled(settled.nextCheckAt);
      return settled;
    })();
    this.inFlight.set(paymentId, run);
    const clear = () => {
      if (this.inFlight.get(paymentId) === run) this.inFlight.delete(paymentId);
    };
    run.then(clear, clear);
    return run;
  }

  private async ask(payment: PaymentEntity, first: boolean): Promise<ChargeAnswer> {
    if (payment.providerChargeId) return lookupToAnswer(await this.provider.charge(payment.providerChargeId));
    if (!first) {
      const known = await this.provider.chargeOf(payment.id);
      if (known.kind !== 'none') return lookupToAnswer(known);
    }
    const source = await this.sourceOf(payment);
    if (!source) return { kind: 'refused', code: 'payment_method_missing' };
    return this.provider.createCharge({
      paymentId: payment.id,
      amountMinor: payment.amountMinor,
      source,
      savePaymentMethod: payment.saveToAccountId !== null,
      offSession: payment.origin === PaymentOrigin.AUTOPAY,
    });
  }

  private async sourceOf(payment: PaymentEntity): Promise<string | null> {
    if (payment.cardToken) return payment.cardToken;
    if (!payment.savedCardId) return null;
    const card = await this.read((manager) => manager.findOne(SavedCardEntity, { where: { id: payment.savedCardId! } }));
    return card && !card.removedAt ? card.providerToken : null;
  }

  private async claimLease(paymentId: string): Promise<boolean> {
    const now = this.clock.now();
    const result = await this.database.transaction((manager) =>
      manager
        .createQueryBuilder()
        .update(PaymentEntity)
        .set({ leaseUntil: new Date(now.getTime() + this.leaseMs) })
        .where('id = :id', { id: paymentId })
        .andWhere('status IN (:...open)', { open: OPEN_PAYMENT_STATUSES })
        .andWhere('(lease_until IS NULL OR lease_until <= :now)', { now })
        .execute(),
    );
    return (result.affected ?? 0) === 1;
  }

  /** Applies what the provider said, once; an answer we could not get schedules the next question. */
  private async settle(payment0: PaymentEntity, answer: ChargeAnswer): Promise<PaymentEntity | null> {
    const paymentId = payment0.id;
    const work = () =>
      this.withDeadlockRetry(() =>
        this.database.transaction(async (manager) => {
          if (answer.kind === 'charge') return this.applyCharge(manager, paymentId, answer.charge);
          const payment = await manager.findOne(PaymentEntity, { where: { id: paymentId }, lock: this.database.lockMode });
          if (!payment || !isOpen(payment)) return payment;
          const now = this.clock.now();
          if (answer.kind === 'refused') {
            this.logger.info({ payment: payment.id, code: answer.code }, 'card provider refused the charge; payment failed');
            return this.fail(manager, payment, answer.code.startsWith('token') ? ErrorCode.BAD_USER_INPUT : ErrorCode.PAYMENT_DECLINED);
          }
          this.logger.warn({ payment: payment.id, reason: answer.reason, checks: payment.checks }, 'card provider outcome unknown; payment stays pending for reconciliation');
          payment.checks += 1;
          payment.nextCheckAt = new Date(now.getTime() + this.backoff(payment.checks));
          payment.leaseUntil = null;
          payment.updatedAt = now;
          await this.persist(manager, payment);
          return payment;
        }),
      );
    // A success posts to the account: queued behind this process's other postings to it (see `serially`).
    return answer.kind === 'charge' && answer.charge.status === 'succeeded' ? this.serially(payment0.accountId, work) : work();
  }

  /**
   * One credit at a time per account in this process. Every credit waits for the account's row lock anyway; waiting
   * here instead keeps the database's connection pool free for everything else (a hot account's hundred waiting
   * credits would otherwise hold every pooled connection). Across replicas the row lock still decides.
   */
  private serially<T>(accountId: string, work: () => Promise<T>): Promise<T> {
    const previous = this.accountQueues.get(accountId) ?? Promise.resolve();
    const run = previous.then(work, work);
    const tail = run.then(
      () => undefined,
      () => undefined,
    );
    this.accountQueues.set(accountId, tail);
    void tail.then(() => {
      if (this.accountQueues.get(accountId) === tail) this.accountQueues.delete(accountId);
    });
    return run;
  }

  /**
   * The provider's word on a charge (its answer, a webhook, a lookup), applied in the caller's transaction under the
   * payment's row lock. A payment already settled is left as it is: whoever came first applied it.
   */
  async applyCharge(manager: EntityManager, paymentId: string, charge: ProviderCharge): Promise<PaymentEntity | null> {
    const payment = await manager.findOne(PaymentEntity, { where: { id: paymentId }, lock: this.database.lockMode });
    if (!payment) return null;
    if (!isOpen(payment)) {
      const agrees = (payment.status === PaymentStatus.SUCCEEDED) === (charge.status === 'succeeded');
      if (!agrees && charge.status !== 'requires_action' && charge.status !== 'processing') {
        this.logger.error({ payment: payment.id, status: payment.status, provider: charge.status }, 'card provider reports another outcome for a settled payment');
      }
      return payment;
    }
    if (charge.reference !== payment.id || charge.amount !== payment.amountMinor || charge.currency !== payment.currency) {
      // Not this payment's charge (or a provider bug): never credit on it.
      this.logger.error({ payment: payment.id, charge: charge.id }, 'card provider charge does not match its payment; ignored');
      return payment;
    }
    const now = this.clock.now();
    payment.providerChargeId = charge.id;
    if (charge.card) {
      payment.cardBrand = charge.card.brand.slice(0, 20);
      payment.cardLast4 = charge.card.last4;
    }
    payment.updatedAt = now;
    payment.leaseUntil = null;
    switch (charge.status) {
      case 'succeeded':
        return this.succeed(manager, payment, charge);
      case 'failed':
        return this.fail(manager, payment, ErrorCode.PAYMENT_DECLINED);
      case 'requires_action':
        payment.status = PaymentStatus.REQUIRES_ACTION;
        payment.actionUrl = charge.actionUrl ?? null;
        payment.nextCheckAt = new Date(now.getTime() + this.backoff(Math.max(payment.checks, 2)));
        payment.checks += 1;
        await this.persist(manager, payment);
        return payment;
      default:
        payment.checks += 1;
        payment.nextCheckAt = new Date(now.getTime() + this.backoff(payment.checks));
        await this.persist(manager, payment);
        return payment;
    }
  }

  private async succeed(manager: EntityManager, payment: PaymentEntity, charge: ProviderCharge): Promise<PaymentEntity> {
    const now = this.clock.now();
    if (payment.saveToAccountId && charge.paymentMethod) payment.savedCardId = await this.saveCard(manager, payment.saveToAccountId, charge.paymentMethod);
    const card = cardLabel(payment.cardBrand, payment.cardLast4);
    const posted = await this.ledger.post(manager, payment.accountId, {
      kind: LedgerEntryKind.PAYMENT,
      amountMinor: payment.amountMinor,
      description: fill(payment.origin === PaymentOrigin.AUTOPAY ? AUTOPAY_ENTRY : PAYMENT_ENTRY, { card }),
      reference: `payment:${payment.id}`,
      at: now,
    });
    payment.status = PaymentStatus.SUCCEEDED;
    payment.completedAt = now;
    payment.cardToken = null;
    payment.actionUrl = null;
    payment.nextCheckAt = null;
    await this.persist(manager, payment);
    if (posted.duplicate) return payment;
    let postedMore = false;
    for (const listener of this.listeners) postedMore = (await listener.succeeded?.(manager, payment)) === true || postedMore;
    const account = postedMore ? await manager.findOneOrFail(AccountEntity, { where: { id: payment.accountId } }) : posted.account;
    const params = { amount: money(payment.amountMinor), card, number: account.number, balance: money(account.balanceMinor) };
    const title = RECEIPT.title;
    const body = fill(RECEIPT.body, params);
    await this.outbox.add(manager, 'SubscriberNotificationRequested', {
      subscriberId: payment.subscriberId,
      key: `payment:${payment.id}:receipt`,
      texts: { KK: { title: title.KK, body: body.KK }, RU: { title: title.RU, body: body.RU }, EN: { title: title.EN, body: body.EN } },
      delivery: 'PREFERENCES',
    });
    await this.recordActivity(manager, payment, payment.origin === PaymentOrigin.AUTOPAY ? 'AUTOPAY_PAYMENT' : 'CARD_PAYMENT', fill(PAID_DETAILS, params));
    return payment;
  }

  private async fail(manager: EntityManager, payment: PaymentEntity, code: ErrorCode): Promise<PaymentEntity> {
    const now = this.clock.now();
    payment.status = PaymentStatus.FAILED;
    payment.failureCode = code;
    payment.completedAt = now;
    payment.cardToken = null;
    payment.actionUrl = null;
    payment.nextCheckAt = null;
    payment.leaseUntil = null;
    payment.updatedAt = now;
    await this.persist(manager, payment);
    for (const listener of this.listeners) await listener.failed?.(manager, payment);
    const details = fill(DECLINED_DETAILS, { amount: money(payment.amountMinor), card: cardLabel(payment.cardBrand, payment.cardLast4) });
    await this.recordActivity(manager, payment, payment.origin === PaymentOrigin.AUTOPAY ? 'AUTOPAY_PAYMENT_FAILED' : 'CARD_PAYMENT_FAILED', details);
    return payment;
  }

  /** terms 2.4: who paid, for which number, through management or not. */
  private async recordActivity(manager: EntityManager, payment: PaymentEntity, action: string, details: { KK: string; RU: string; EN: string }): Promise<void> {
    await this.outbox.add(manager, 'ActivityRecorded', {
      subscriberId: payment.subscriberId,
      actorId: payment.actorId,
      actorKind: payment.actorId ? 'SUBSCRIBER' : 'SYSTEM',
      viaManagement: payment.viaManagement,
      channel: payment.channel === 'WEB' || payment.channel === 'MOBILE_APP' ? payment.channel : null,
      action,
      details: details.EN,
      detailTexts: details,
      at: this.clock.now().toISOString(),
    });
  }

  /** One UPDATE of the row as it is now (`save` would read it first). */
  private async persist(manager: EntityManager, payment: PaymentEntity): Promise<void> {
    const { id, ...columns } = payment;
    await manager.update(PaymentEntity, { id }, columns);
  }

  /** Only the provider's reusable token and the card's display data are kept (never the number). */
  private async saveCard(manager: EntityManager, accountId: string, method: NonNullable<ProviderCharge['paymentMethod']>): Promise<string> {
    const same = await manager.findOne(SavedCardEntity, {
      where: { accountId, brand: method.brand.slice(0, 20), last4: method.last4, expMonth: method.expMonth, expYear: method.expYear, removedAt: IsNull() },
    });
    if (same) {
      // The same card saved again: one entry, with the newest token.
      await manager.update(SavedCardEntity, { id: same.id }, { providerToken: method.id });
      return same.id;
    }
    const id = randomUUID();
    await manager.insert(SavedCardEntity, {
      id,
      accountId,
      brand: method.brand.slice(0, 20),
      last4: method.last4,
      expMonth: method.expMonth,
      expYear: method.expYear,
      providerToken: method.id,
      createdAt: this.clock.now(),
      removedAt: null,
    });
    return id;
  }

  /**
   * A verified webhook event: applied once, in one transaction with the record of its id (a replay finds the record).
   * The usual case — the request already applied the provider's answer — costs two reads and no write.
   */
  async handle(eventId: string, type: string, raw: unknown): Promise<'applied' | 'duplicate' | 'settled' | 'ignored'> {
    if (type !== 'charge.succeeded' && type !== 'charge.failed') return 'ignored';
    const charge = parseCharge(raw);
    if (!charge) {
      this.logger.error({ event: eventId, type }, 'payment webhook carries no charge billing can read; ignored');
      return 'ignored';
    }
    const paymentId = isUuid(charge.reference) ? charge.reference : null;
    const known = await this.read(async (manager) => ({
      seen: await manager.exists(PaymentWebhookEventEntity, { where: { eventId } }),
      payment: paymentId ? await manager.findOne(PaymentEntity, { where: { id: paymentId } }) : null,
    }));
    if (known.seen) return 'duplicate';
    if (known.payment && !isOpen(known.payment)) {
      if ((known.payment.status === PaymentStatus.SUCCEEDED) !== (charge.status === 'succeeded')) {
        this.logger.error({ payment: known.payment.id, status: known.payment.status, provider: charge.status }, 'card provider reports another outcome for a settled payment');
      }
      return 'settled';
    }
    const apply = () =>
      this.withDeadlockRetry(() =>
        this.database.transaction(async (manager) => {
          // Its turn may come after the request applied the same outcome: then there is nothing to write.
          const current = paymentId ? await manager.findOne(PaymentEntity, { where: { id: paymentId }, lock: this.database.lockMode }) : null;
          if (current && !isOpen(current)) return 'settled' as const;
          try {
            await manager.insert(PaymentWebhookEventEntity, { eventId, type, chargeId: charge.id, paymentId, receivedAt: this.clock.now() });
          } catch (error) {
            if (this.database.isDuplicateKey(error)) return 'duplicate' as const;
            throw error;
          }
          if (paymentId) await this.applyCharge(manager, paymentId, charge);
          return 'applied' as const;
        }),
      );
    return known.payment && charge.status === 'succeeded' ? this.serially(known.payment.accountId, apply) : apply();
  }

  /**
   * The reconciliation's work list in one statement: the open payments whose next question is due, oldest first, and
   * when the first of the others falls due.
   */
  async openByNextCheck(limit: number): Promise<{ due: string[]; next: Date | null }> {
    const now = this.clock.now();
    const rows = await this.read((manager) =>
      manager.find(PaymentEntity, {
        select: { id: true, nextCheckAt: true },
        where: { status: In(OPEN_PAYMENT_STATUSES) },
        order: { nextCheckAt: 'ASC' },
        take: limit,
      }),
    );
    const due = rows.filter((row) => row.nextCheckAt && row.nextCheckAt <= now).map((row) => row.id);
    const next = rows.find((row) => row.nextCheckAt && row.nextCheckAt > now)?.nextCheckAt ?? null;
    return { due, next };
  }

  /** Told whenever this process sets a payment's next question (the reconciliation plans its round by it). */
  onScheduled: (when: Date) => void = () => undefined;

  private backoff(checks: number): number {
    return Math.min(this.settings.reconcileIntervalMs * 2 ** Math.max(0, checks - 1), this.settings.reconcileMaxBackoffMs);
  }

  /** MariaDB may pick this transaction as a deadlock victim under heavy concurrency; it is safe to run again. */
  private async withDeadlockRetry<T>(work: () => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt += 1) {
      try {
        return await work();
      } catch (error) {
        const code = (error as { driverError?: { code?: string }; code?: string })?.driverError?.code ?? (error as { code?: string })?.code;
        if (attempt < 3 && (code === 'ER_LOCK_DEADLOCK' || code === 'ER_LOCK_WAIT_TIMEOUT')) continue;
        throw error;
      }
    }
  }

  // ───────────────────────── reads ─────────────────────────

  /** A payment of a number the caller may act on; null when there is none with this id. */
  async payment(ctx: GraphQLContext, id: string): Promise<Payment | null> {
    requireSubscriber(ctx);
    if (!isUuid(id)) throw badInput('id');
    const row = await this.paymentById(ctx).load(id);
    if (!row) return null;
    await this.accessPolicy.assertMayManage(ctx, row.subscriberId);
    return toPayment(row);
  }

  async paymentsOf(ctx: GraphQLContext, account: Account, first: number | null | undefined, after: string | null | undefined): Promise<PaymentConnection> {
    const page = await this.accessPolicy.whenMayManage(ctx, account.subscriberId, () => this.pages.load(ctx, { parent: account.id, first, after }));
    return PaymentConnection.from(page, toPayment);
  }

  /** The card of a payment (batched per request; a card removed since still shows on the payments it made). */
  async cardOf(ctx: GraphQLContext, payment: Payment): Promise<SavedCardEntity | null> {
    if (!payment.savedCardId) return null;
    return this.cardById(ctx).load(payment.savedCardId);
  }

  private paymentById(ctx: GraphQLContext): DataLoader<string, PaymentEntity | null> {
    return ctx.loaders.get('payments.byId', () =>
      new DataLoader<string, PaymentEntity | null>(async (ids) => byKeys(ids, await this.database.manager.find(PaymentEntity, { where: { id: In([...ids]) } }), (row) => row.id)),
    );
  }

  private cardById(ctx: GraphQLContext): DataLoader<string, SavedCardEntity | null> {
    return ctx.loaders.get('payments.cardById', () =>
      new DataLoader<string, SavedCardEntity | null>(async (ids) => byKeys(ids, await this.database.manager.find(SavedCardEntity, { where: { id: In([...ids]) } }), (row) => row.id)),
    );
  }
}

function lookupToAnswer(answer: LookupAnswer): ChargeAnswer {
  if (answer.kind === 'found') return { kind: 'charge', charge: answer.charge };
  if (answer.kind === 'none') return { kind: 'unknown', reason: 'the provider has no such charge' };
  return answer;
}
