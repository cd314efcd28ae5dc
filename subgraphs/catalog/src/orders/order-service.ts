import { createHash, randomUUID } from 'node:crypto';
import DataLoader from 'dataloader';
import { In, IsNull, LessThan } from 'typeorm';
import type { EntityManager } from 'typeorm';
import {
  AccessPolicy,
  Clock,
  ContractEvent,
  ContractOutbox,
  Database,
  DomainError,
  ErrorCode,
  GraphQLContext,
  InternalClient,
  KeysetPages,
  Logger,
  NumberAccess,
  Texts,
  badInput,
  byKeys,
  catalogEvents,
  formatMinorUnits,
  postCharge,
  requireSubscriber,
  isUuid,
} from '@selfcare/shared';
import { CatalogError } from '../errors';
import { ServiceEntity, TariffPlanEntity } from '../offers/entities';
import { ConnectedServiceEntity, SubscriberLineEntity, TariffPeriodEntity } from '../inventory/entities';
import { OPEN_STATUSES, OrderKindValue, OrderStatusValue, OrderStepValue, ProductOrderEntity } from './entities';
import { OrderRequest, evaluateOrder } from './order-checks';
import { feeTexts, outcomeTexts } from './order-texts';
import { Refusal, isRefusal, refusalCode, refusalError, refusalTexts } from './refusals';

/** Where a test may stop the saga as a crash would: between two of its steps (nothing after it runs). */
export type OrderCrashPoint =
  | 'after-accept' // the order is stored (ACKNOWLEDGED), nothing else
  | 'after-in-progress' // IN_PROGRESS, billing not asked yet
  | 'after-charge' // billing posted the charge, catalog has not recorded it
  | 'after-charged' // the charge is recorded, the change not made
  | 'after-refunding' // the change could not be made, the refund not asked yet
  | 'after-refund'; // billing refunded, catalog has not recorded it

/** Test hook: `crashAt` makes the next saga passing that point stop there, like a process that died. */
export interface OrderFaults {
  crashAt?: OrderCrashPoint | null;
}

export class SimulatedCrash extends Error {
  constructor(readonly point: OrderCrashPoint) {
    super(`simulated crash ${point}`);
    this.name = 'SimulatedCrash';
  }
}

export interface OrderSagaSettings {
  /** How long a process owns an order it drives before another may take it over (a crash leaves the lease behind). */
  leaseMs: number;
  /** How often open orders whose lease ran out (a crash, billing unreachable) are taken up again. */
  recoveryIntervalMs: number;
  faults?: OrderFaults;
}

const MAX_KEY = 200;
const CODE_MAX = 40;
const MAX_BACKOFF_MS = 60_000;

/**
 * Product orders as sagas (terms 2.1, 2.2, 2.4, 5.2): checks, then ACKNOWLEDGED → IN_PROGRESS → the fee charged
 * through billing's internal API (idempotent by the order id) → the line's services or tariff changed → COMPLETED;
 * refused before anything is charged → REJECTED; the change no longer possible once charged (another order got there
 * first) → refunded → FAILED. Each step commits before the next starts, under a lease: a process that dies between
 * two steps leaves an open order that any process finishes or compensates once the lease has run out — never a charge
 * without the change, never the change without the charge. The same idempotency key from the same caller with the
 * same arguments returns the same order (Stripe's rules); the orders keep the keys for good.
 */
export class OrderService {
  private readonly instanceId = randomUUID();
  private readonly inflight = new Map<string, Promise<ProductOrderEntity>>();
  private readonly lineQueue = new Map<string, Promise<void>>();
  private readonly pages: KeysetPages<ProductOrderEntity>;
  private timer: NodeJS.Timeout | null = null;
  private recovering: Promise<void> | null = null;
  private stopped = false;

  constructor(
    private readonly database: Database,
    private readonly accessPolicy: AccessPolicy,
    private readonly internal: InternalClient,
    private readonly outbox: ContractOutbox<typeof catalogEvents>,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly settings: OrderSagaSettings,
  ) {
    this.pages = new KeysetPages({
      name: 'catalog.orders',
      entity: ProductOrderEntity,
      manager: () => this.database.manager,
      parent: 'subscriberId',
      sortBy: 'createdAt',
      sortKind: 'timestamp',
      order: 'NEWEST_FIRST',
    });
  }

  // ─────────────── reads ───────────────

  async ordersOf(ctx: GraphQLContext, subscriberId: string, first: number | null | undefined, after: string | null | undefined) {
    return this.accessPolicy.whenMayManage(ctx, subscriberId, () => this.pages.load(ctx, { parent: subscriberId, first, after }));
  }

  /** One order of the caller's own or a managed number; anyone else's is NOT_FOUND, as an unknown id is. */
  async orderFor(ctx: GraphQLContext, id: string): Promise<ProductOrderEntity> {
    requireSubscriber(ctx);
    const order = id.length <= 36 ? await this.orderLoader(ctx).load(id) : null;
    if (!order || (await this.accessPolicy.filterManageable(ctx, [order.subscriberId])).length === 0) {
      throw new CatalogError(ErrorCode.NOT_FOUND, { texts: { KK: 'Тапсырыс табылмады', RU: 'Заказ не найден', EN: 'Order not found' } });
    }
    return order;
  }

  /** For the gateway's entity references: null when the caller may not see it. */
  async reference(ctx: GraphQLContext, id: string): Promise<ProductOrderEntity | null> {
    return this.orderFor(ctx, id).catch((error) => {
      if (error instanceof DomainError && error.code === ErrorCode.NOT_FOUND) return null;
      throw error;
    });
  }

  private orderLoader(ctx: GraphQLContext): DataLoader<string, ProductOrderEntity | null> {
    return ctx.loaders.get('catalog.orderById', () =>
      new DataLoader<string, ProductOrderEntity | null>(async (ids) => byKeys(ids, await this.database.manager.find(ProductOrderEntity, { where: { id: In([...ids]) } }), (o) => o.id)),
    );
  }

  // ─────────────── placing an order ───────────────

  async place(ctx: GraphQLContext, request: OrderRequest): Promise<ProductOrderEntity> {
    const caller = requireSubscriber(ctx);
    // Another's number is FORBIDDEN before anything about the request is said.
    const access = await this.accessPolicy.assertMayManage(ctx, request.subscriberId);
    validate(request);
    const hash = requestHash(request);
    let order = await this.findByKey(caller.subscriberId, request.idempotencyKey);
    if (!order) order = await this.accept(access, caller.channel, request, hash);
    if (order.requestHash !== hash) {
      throw new CatalogError(ErrorCode.IDEMPOTENCY_CONFLICT, { field: 'idempotencyKey' });
    }
    if (OPEN_STATUSES.includes(order.status)) order = await this.drive(order.id, order);
    if (order.status === 'REJECTED') throw refusalError(this.refusalOf(order), order.id);
    return order;
  }

  private findByKey(actorId: string, idempotencyKey: string): Promise<ProductOrderEntity | null> {
    return this.read((manager) => manager.findOne(ProductOrderEntity, { where: { actorId, idempotencyKey } }));
  }

  /** Checks and stores the order in one transaction: ACKNOWLEDGED, or REJECTED with its reason (and the subscriber told). */
  private async accept(access: NumberAccess, channel: 'WEB' | 'MOBILE_APP', request: OrderRequest, hash: string): Promise<ProductOrderEntity> {
    try {
      return await this.database.transaction(async (manager) => {
        const line = await manager.findOne(SubscriberLineEntity, { where: { subscriberId: request.subscriberId } });
        const verdict = await evaluateOrder(manager, request, line, 'accept');
        const now = this.clock.now();
        const refused = 'refused' in verdict ? verdict : null;
        const accepted = 'accepted' in verdict ? verdict.accepted : null;
        const order = manager.create(ProductOrderEntity, {
          id: randomUUID(),
          kind: request.kind,
          status: refused ? 'REJECTED' : 'ACKNOWLEDGED',
          step: refused ? 'DONE' : 'ACCEPTED',
          subscriberId: request.subscriberId,
          actorId: access.actorId,
          actorKind: 'SUBSCRIBER',
          viaManagement: access.viaManagement,
          channel,
          idempotencyKey: request.idempotencyKey,
          requestHash: hash,
          offerKind: refused ? refused.offerKind : accepted!.offerKind,
          offerId: refused ? refused.offerId : accepted!.offerId,
          offerCode: request.code,
          offerVersionId: refused ? refused.versionId : accepted!.versionId,
          acceptedTermsVersion: refused ? refused.acceptedTermsVersion : accepted!.acceptedTermsVersion,
          acceptedPriceMinor: accepted?.acceptedPriceMinor ?? null,
          feeMinor: accepted?.feeMinor ?? 0,
          previousTariffPlanId: accepted?.previousTariffPlanId ?? null,
          failureCode: refused ? refusalCode(refused.refused) : null,
          failureDetails: refused ? (refused.refused as unknown as Record<string, string>) : null,
          // The process that accepts it drives it at once; another takes over only if this one goes away.
          leaseOwner: refused ? null : this.instanceId,
          leaseUntil: refused ? null : new Date(now.getTime() + this.settings.leaseMs),
          attempts: 0,
          createdAt: now,
          updatedAt: now,
          completedAt: refused ? now : null,
        });
        // A concurrent request with the same key may store its order first (it waits for that one's commit on
        // MariaDB): then that one is the order, and this transaction writes nothing.
        await manager.createQueryBuilder().insert().into(ProductOrderEntity).values(order).orIgnore().updateEntity(false).execute();
        const stored = await manager.findOneOrFail(ProductOrderEntity, { where: { actorId: access.actorId, idempotencyKey: request.idempotencyKey } });
        if (stored.id !== order.id) return stored;
        if (refused) await this.publishOutcome(manager, order, refused.name ?? codeAsName(request.code), refusalTexts(refused.refused));
        return order;
      });
    } catch (error) {
      if (this.database.isDuplicateKey(error)) {
        const existing = await this.findByKey(access.actorId, request.idempotencyKey);
        if (existing) return existing;
      }
      throw error;
    }
  }

  // ─────────────── the saga ───────────────

  /**
   * Drives an open order as far as it goes now; concurrent callers in this process share one run. `known` is the row
   * as the caller has it: when this process holds its lease (it just accepted it), no lease is taken again.
   */
  drive(id: string, known?: ProductOrderEntity): Promise<ProductOrderEntity> {
    const running = this.inflight.get(id);
    if (running) return running;
    const run = this.run(id, known).finally(() => this.inflight.delete(id));
    this.inflight.set(id, run);
    return run;
  }

  private async run(id: string, known?: ProductOrderEntity): Promise<ProductOrderEntity> {
    const held = known && known.leaseOwner === this.instanceId && known.leaseUntil && known.leaseUntil.getTime() > this.clock.now().getTime();
    let order = held ? known : await this.lease(id);
    if (!order) return this.current(id);
    for (;;) {
      let next: ProductOrderEntity | null;
      try {
        next = await this.step(order);
      } catch (error) {
        if (error instanceof SimulatedCrash) throw error;
        if (error instanceof DomainError && error.code === ErrorCode.SERVICE_UNAVAILABLE) {
          // Billing did not answer: the order stays IN_PROGRESS and is taken up again later (the charge is idempotent).
          await this.backOff(order);
          return this.current(id);
        }
        throw error;
      }
      // null: another process moved it on meanwhile; it is read as it is now.
      if (!next) return this.current(id);
      if (!OPEN_STATUSES.includes(next.status)) return next;
      order = next;
    }
  }

  /** One step; the order as it is after it (null when another process moved it on). */
  private async step(order: ProductOrderEntity): Promise<ProductOrderEntity | null> {
    switch (order.step) {
      case 'ACCEPTED':
        this.crashPoint('after-accept');
        return this.advance(order, 'ACCEPTED', { status: 'IN_PROGRESS', step: 'CHARGING' });
      case 'CHARGING': {
        this.crashPoint('after-in-progress');
        if (order.feeMinor > 0) {
          const answer = await this.internal.call(postCharge, {
            subscriberId: order.subscriberId,
            reference: `order:${order.id}:charge`,
            kind: 'CHARGE',
            amountMinor: order.feeMinor,
            description: feeTexts(order, await this.offerName(order), false),
            requireFunds: true,
          });
          this.crashPoint('after-charge');
          if (answer.outcome === 'INSUFFICIENT_FUNDS') {
            const available = Math.max(0, answer.balanceMinor + answer.creditLimitMinor);
            return this.finish(order, 'CHARGING', 'REJECTED', {
              key: 'INSUFFICIENT_FUNDS',
              params: { fee: `${formatMinorUnits(order.feeMinor)} ₸`, available: `${formatMinorUnits(available)} ₸` },
              extensions: { requiredAmount: formatMinorUnits(order.feeMinor), availableAmount: formatMinorUnits(available) },
            });
          }
        }
        return this.advance(order, 'CHARGING', { step: 'CHARGED' });
      }
      case 'CHARGED':
        this.crashPoint('after-charged');
        return this.apply(order);
      case 'REFUNDING':
        this.crashPoint('after-refunding');
        if (order.feeMinor > 0) {
          await this.internal.call(postCharge, {
            subscriberId: order.subscriberId,
            reference: `order:${order.id}:refund`,
            kind: 'REFUND',
            refundOf: `order:${order.id}:charge`,
            amountMinor: order.feeMinor,
            description: feeTexts(order, await this.offerName(order), true),
            requireFunds: false,
          });
          this.crashPoint('after-refund');
        }
        return this.finish(order, 'REFUNDING', 'FAILED', this.refusalOf(order));
      default:
        return order;
    }
  }

  /**
   * Makes the change under the line's lock, or — when it no longer can be made — turns to the refund. Changes to one
   * line queue here first, so that at most one transaction per process waits for the line's row lock: the others wait
   * without holding a database connection (a burst of orders on one line would otherwise fill the pool with waiters).
   */
  private apply(order: ProductOrderEntity): Promise<ProductOrderEntity | null> {
    const previous = this.lineQueue.get(order.subscriberId) ?? Promise.resolve();
    const run = previous.then(() => this.applyNow(order));
    const tail = run.then(
      () => undefined,
      () => undefined,
    );
    this.lineQueue.set(order.subscriberId, tail);
    void tail.then(() => {
      if (this.lineQueue.get(order.subscriberId) === tail) this.lineQueue.delete(order.subscriberId);
    });
    return run;
  }

  private async applyNow(order: ProductOrderEntity): Promise<ProductOrderEntity | null> {
    return this.database.transaction(async (manager) => {
      const line = await manager.findOne(SubscriberLineEntity, { where: { subscriberId: order.subscriberId }, lock: this.database.lockMode });
      const fresh = await this.lockedOrder(manager, order.id, 'CHARGED');
      if (!fresh) return null;
      const verdict = await evaluateOrder(manager, requestOf(fresh), line, 'apply');
      const now = this.clock.now();
      if ('refused' in verdict) {
        const changes = { step: 'REFUNDING' as const, failureCode: refusalCode(verdict.refused), failureDetails: verdict.refused as unknown as Record<string, string>, updatedAt: now, leaseUntil: this.leaseFrom(now) };
        await manager.update(ProductOrderEntity, { id: fresh.id }, changes);
        return Object.assign(fresh, changes);
      }
      await this.change(manager, fresh, line!, now);
      const changes = { status: 'COMPLETED' as const, step: 'DONE' as const, completedAt: now, updatedAt: now, leaseOwner: null, leaseUntil: null };
      await manager.update(ProductOrderEntity, { id: fresh.id }, changes);
      Object.assign(fresh, changes);
      await this.publishOutcome(manager, fresh, verdict.accepted.name);
      return fresh;
    });
  }

  /** The change itself: the line's services or tariff (terms 2.2: with the version accepted). */
  private async change(manager: EntityManager, order: ProductOrderEntity, line: SubscriberLineEntity, now: Date): Promise<void> {
    switch (order.kind) {
      case 'CONNECT_SERVICE':
        await manager.insert(ConnectedServiceEntity, {
          id: randomUUID(),
          subscriberId: order.subscriberId,
          serviceId: order.offerId!,
          serviceVersionId: order.offerVersionId!,
          connectedAt: now,
          disconnectedAt: null,
          orderId: order.id,
        });
        return;
      case 'DISCONNECT_SERVICE':
        await manager.update(ConnectedServiceEntity, { subscriberId: order.subscriberId, serviceId: order.offerId!, disconnectedAt: IsNull() }, { disconnectedAt: now });
        return;
      case 'CHANGE_TARIFF':
        // The switch's instant ends one tariff period and begins the next: fees (the tariff a day ends on) and
        // rating (the tariff at the time of use) read the periods.
        await manager.update(TariffPeriodEntity, { subscriberId: order.subscriberId, endsAt: IsNull() }, { endsAt: now });
        await manager.insert(TariffPeriodEntity, {
          id: randomUUID(),
          subscriberId: order.subscriberId,
          tariffPlanId: order.offerId!,
          tariffVersionId: order.offerVersionId!,
          startsAt: now,
          endsAt: null,
          orderId: order.id,
        });
        await manager.update(SubscriberLineEntity, { subscriberId: line.subscriberId }, { tariffPlanId: order.offerId!, tariffVersionId: order.offerVersionId!, tariffSince: now, updatedAt: now });
        return;
    }
  }

  /** Moves the order on from `from`, if nobody else did, renewing this process's lease with it. */
  private advance(order: ProductOrderEntity, from: OrderStepValue, to: { status?: OrderStatusValue; step: OrderStepValue }): Promise<ProductOrderEntity | null> {
    return this.database.transaction(async (manager) => {
      const fresh = await this.lockedOrder(manager, order.id, from);
      if (!fresh) return null;
      const now = this.clock.now();
      const changes = { ...to, updatedAt: now, leaseOwner: this.instanceId, leaseUntil: this.leaseFrom(now) };
      await manager.update(ProductOrderEntity, { id: order.id }, changes);
      return Object.assign(fresh, changes);
    });
  }

  private leaseFrom(now: Date): Date {
    return new Date(now.getTime() + this.settings.leaseMs);
  }

  /** A final state, with the activity entry and the subscriber's notice in the same transaction. */
  private async finish(order: ProductOrderEntity, from: OrderStepValue, status: 'REJECTED' | 'FAILED', refusal: Refusal): Promise<ProductOrderEntity | null> {
    const name = await this.offerName(order);
    return this.database.transaction(async (manager) => {
      const fresh = await this.lockedOrder(manager, order.id, from);
      if (!fresh) return null;
      const now = this.clock.now();
      const changes = {
        status,
        step: 'DONE' as const,
        failureCode: refusalCode(refusal),
        failureDetails: refusal as unknown as Record<string, string>,
        completedAt: now,
        updatedAt: now,
        leaseOwner: null,
        leaseUntil: null,
      };
      await manager.update(ProductOrderEntity, { id: order.id }, changes);
      await this.publishOutcome(manager, Object.assign(fresh, changes), name, refusalTexts(refusal));
      return fresh;
    });
  }

  /**
   * terms 2.4 / 4.3: the activity record's entry, for every order; terms 2.8 / 5.1: the subscriber's notice, per notifyBy, in their
   * language, for an order that changed something or charged and refunded. A REJECTED order changed nothing and its
   * caller got the refusal at once: telling the number's owner by SMS too would let anyone who may order on a number
   * flood it with messages, one refused order at a time.
   */
  private async publishOutcome(manager: EntityManager, order: ProductOrderEntity, name: Texts, reason?: Texts): Promise<void> {
    // identity's subscribers have UUIDs: any other id is no one it could record or tell (and the contract refuses it).
    if (!isUuid(order.subscriberId) || !isUuid(order.actorId)) return;
    const texts = outcomeTexts(order, name, reason);
    const events: ContractEvent<typeof catalogEvents>[] = [];
    events.push({ type: 'ActivityRecorded', payload: {
      subscriberId: order.subscriberId,
      actorId: order.actorId,
      actorKind: order.actorKind,
      viaManagement: order.viaManagement,
      channel: order.channel,
      action: texts.action,
      details: texts.details.EN,
      detailTexts: texts.details,
      at: (order.completedAt ?? this.clock.now()).toISOString(),
    } });
    if (order.status !== 'REJECTED') {
      events.push({ type: 'SubscriberNotificationRequested', payload: { subscriberId: order.subscriberId, key: `order:${order.id}:${order.status}`, texts: texts.notice } });
    }
    await this.outbox.addMany(manager, events);
  }

  private async lockedOrder(manager: EntityManager, id: string, step: OrderStepValue): Promise<ProductOrderEntity | null> {
    const fresh = await manager.findOne(ProductOrderEntity, { where: { id }, lock: this.database.lockMode });
    return fresh && fresh.step === step && OPEN_STATUSES.includes(fresh.status) ? fresh : null;
  }

  /** Takes (or renews) the order's lease; null when it is final or another live process holds it. */
  private async lease(id: string): Promise<ProductOrderEntity | null> {
    return this.database.transaction(async (manager) => {
      const order = await manager.findOne(ProductOrderEntity, { where: { id }, lock: this.database.lockMode });
      if (!order || !OPEN_STATUSES.includes(order.status)) return null;
      const now = this.clock.now();
      if (order.leaseOwner && order.leaseOwner !== this.instanceId && order.leaseUntil && order.leaseUntil.getTime() > now.getTime()) return null;
      const leaseUntil = new Date(now.getTime() + this.settings.leaseMs);
      await manager.update(ProductOrderEntity, { id }, { leaseOwner: this.instanceId, leaseUntil });
      return Object.assign(order, { leaseOwner: this.instanceId, leaseUntil });
    });
  }

  private async backOff(order: ProductOrderEntity): Promise<void> {
    await this.database.transaction(async (manager) => {
      const fresh = await manager.findOne(ProductOrderEntity, { where: { id: order.id }, lock: this.database.lockMode });
      if (!fresh || !OPEN_STATUSES.includes(fresh.status)) return;
      const delay = Math.min(MAX_BACKOFF_MS, 1000 * 2 ** Math.min(fresh.attempts, 6));
      await manager.update(ProductOrderEntity, { id: order.id }, { attempts: fresh.attempts + 1, leaseOwner: null, leaseUntil: new Date(this.clock.now().getTime() + delay) });
    });
    this.logger.warn({ orderId: order.id, step: order.step }, 'billing unreachable; the order is taken up again later');
  }

  private current(id: string): Promise<ProductOrderEntity> {
    return this.read((manager) => manager.findOneOrFail(ProductOrderEntity, { where: { id } }));
  }

  private refusalOf(order: ProductOrderEntity): Refusal {
    return isRefusal(order.failureDetails) ? order.failureDetails : { key: 'LINE_UNKNOWN' };
  }

  private async offerName(order: Pick<ProductOrderEntity, 'offerKind' | 'offerId' | 'offerCode'>): Promise<Texts> {
    if (!order.offerId) return codeAsName(order.offerCode);
    const offer = await this.read<{ name: Texts } | null>((manager) =>
      order.offerKind === 'TARIFF' ? manager.findOne(TariffPlanEntity, { where: { id: order.offerId! } }) : manager.findOne(ServiceEntity, { where: { id: order.offerId! } }),
    );
    return offer?.name ?? codeAsName(order.offerCode);
  }

  private crashPoint(point: OrderCrashPoint): void {
    const faults = this.settings.faults;
    if (faults?.crashAt === point) {
      faults.crashAt = null;
      throw new SimulatedCrash(point);
    }
  }

  /**
   * On SQLite every transaction shares one connection: a read outside `transaction()` could see another saga's step
   * that is still open and may roll back. Queued behind the writers, it sees only committed state.
   */
  private read<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    return this.database.dialect === 'sqlite' ? this.database.transaction(work) : work(this.database.manager);
  }

  // ─────────────── recovery ───────────────

  /** Takes up open orders whose lease ran out: at start-up (a crash) and then every `recoveryIntervalMs`. */
  start(): void {
    this.stopped = false;
    void this.recoverDue();
    this.timer = setInterval(() => void this.recoverDue(), this.settings.recoveryIntervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.recovering?.catch(() => undefined);
    await Promise.allSettled([...this.inflight.values()]);
  }

  /** Drives every open order that nobody holds now; resolves when they went as far as they go. */
  recoverDue(): Promise<void> {
    this.recovering ??= (async () => {
      try {
        const now = this.clock.now();
        const due = await this.read((manager) =>
          manager.find(ProductOrderEntity, {
            select: { id: true },
            where: [
              { status: In(OPEN_STATUSES), leaseUntil: IsNull() },
              { status: In(OPEN_STATUSES), leaseUntil: LessThan(now) },
            ],
            order: { createdAt: 'ASC' },
            take: 100,
          }),
        );
        for (const { id } of due) {
          if (this.stopped) break;
          await this.drive(id).catch((error) => this.logger.error({ err: error, orderId: id }, 'order recovery failed; retried later'));
        }
      } catch (error) {
        this.logger.warn({ err: error }, 'order recovery round failed');
      } finally {
        this.recovering = null;
      }
    })();
    return this.recovering;
  }
}

function codeAsName(code: string): Texts {
  return { KK: code, RU: code, EN: code };
}

function requestOf(order: ProductOrderEntity): OrderRequest {
  return { kind: order.kind, subscriberId: order.subscriberId, code: order.offerCode, acceptedTermsVersion: order.acceptedTermsVersion, idempotencyKey: order.idempotencyKey };
}

/** The arguments that make two requests "the same" under one key. */
function requestHash(request: OrderRequest): string {
  return createHash('sha256').update(JSON.stringify([request.kind, request.subscriberId, request.code, request.acceptedTermsVersion])).digest('hex');
}

const PRINTABLE = /^[^\p{Cc}\p{Cf}]+$/u;

function validate(request: OrderRequest): void {
  const codeField = request.kind === 'CHANGE_TARIFF' ? 'tariffCode' : 'serviceCode';
  if (request.idempotencyKey.length === 0 || request.idempotencyKey.length > MAX_KEY || !PRINTABLE.test(request.idempotencyKey)) {
    throw badInput('idempotencyKey', {
      KK: `Кілт 1–${MAX_KEY} басылатын таңба болуы керек`,
      RU: `Ключ — от 1 до ${MAX_KEY} печатных символов`,
      EN: `The key must be 1 to ${MAX_KEY} printable characters`,
    });
  }
  if (request.code.length === 0 || request.code.length > CODE_MAX) {
    throw badInput(codeField, { KK: `Код 1–${CODE_MAX} таңба`, RU: `Код — от 1 до ${CODE_MAX} символов`, EN: `A code is 1 to ${CODE_MAX} characters` });
  }
  if (request.acceptedTermsVersion !== null && (request.acceptedTermsVersion.length === 0 || request.acceptedTermsVersion.length > CODE_MAX)) {
    throw badInput('acceptedTermsVersion', { KK: `Нұсқа 1–${CODE_MAX} таңба`, RU: `Версия — от 1 до ${CODE_MAX} символов`, EN: `A version is 1 to ${CODE_MAX} characters` });
  }
}

export type { OrderKindValue };
