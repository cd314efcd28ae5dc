import { randomUUID } from 'node:crypto';
import DataLoader from 'dataloader';
import { In, IsNull } from 'typeorm';
import type { EntityManager } from 'typeorm';
import {
  AccessPolicy,
  Clock,
  ContractOutbox,
  Database,
  ErrorCode,
  EventPayload,
  GraphQLContext,
  Logger,
  badInput,
  billingEvents,
  byKeys,
  requireSubscriber,
  isUuid,
} from '@selfcare/shared';
import { BillingError } from '../errors';
import { AccountEntity, SavedCardEntity } from '../accounts/entities';
import type { Account } from '../accounts/types';
import { OPEN_PAYMENT_STATUSES, PaymentEntity, PaymentOrigin, PaymentStatus } from '../payments/entities';
import type { PaymentListener, PaymentService } from '../payments/payment-service';
import { requestHash } from '../payments/payment-service';
import type { PaymentsSettings } from '../payments/config';
import type { CardRemovalListener } from '../cards/card-service';
import type { AfterCommit } from '../payments/after-commit';
import { amountToMinor, parseAmountWithin } from '../payments/amount';
import { AUTOPAY_STOPPED, cardLabel, fill, money } from '../payments/texts';
import { AutopayEntity } from './entities';
import { Autopay, toAutopay } from './types';

export interface SetAutopayArgs {
  subscriberId: string;
  savedCardId: string;
  threshold: string;
  amount: string;
}

/**
 * Autopay: a saved card tops the account up by a set amount when a charge takes the balance below a threshold.
 * It follows billing's own BalanceChanged events (through the inbox: once per ledger entry), so the ledger itself knows
 * nothing of it; the top-up is an ordinary card payment keyed `autopay:<entry id>` — one per trigger, however often
 * the event is delivered — driven by the reconciliation machinery once the trigger commits. A top-up that fails turns
 * autopay off and tells the subscriber.
 */
export class AutopayService implements PaymentListener, CardRemovalListener {
  constructor(
    private readonly database: Database,
    private readonly accessPolicy: AccessPolicy,
    private readonly payments: PaymentService,
    private readonly outbox: ContractOutbox<typeof billingEvents>,
    private readonly afterCommit: AfterCommit,
    private readonly settings: PaymentsSettings,
    private readonly clock: Clock,
    private readonly logger: Logger,
    /** Starts the driving of a payment just committed (the reconciliation's next round). */
    private readonly drivePending: () => void,
  ) {}

  async set(ctx: GraphQLContext, args: SetAutopayArgs): Promise<Autopay> {
    const caller = requireSubscriber(ctx);
    const thresholdMinor = amountToMinor(args.threshold);
    if (thresholdMinor === null || thresholdMinor > this.settings.maxAmountMinor) {
      throw badInput('threshold', { KK: 'Шек: 0-ден {max} ₸-ге дейінгі сома', RU: 'Порог: сумма от 0 до {max} ₸', EN: 'The threshold: an amount from 0 to {max} KZT' }, { max: money(this.settings.maxAmountMinor) });
    }
    const amountMinor = parseAmountWithin(args.amount, 'amount', this.settings.minAmountMinor, this.settings.maxAmountMinor);
    if (!isUuid(args.savedCardId)) throw badInput('savedCardId');
    const access = await this.accessPolicy.assertMayManage(ctx, args.subscriberId);
    const account = await this.database.manager.findOne(AccountEntity, { where: { subscriberId: args.subscriberId } });
    if (!account) throw new BillingError(ErrorCode.NOT_FOUND, { field: 'subscriberId' });
    const card = await this.database.manager.findOne(SavedCardEntity, { where: { id: args.savedCardId, removedAt: IsNull() } });
    // The account's own card only: a manager's card would go on paying after the owner ended the management (terms 4.4),
    // and its holder could no longer turn it off.
    if (!card || card.accountId !== account.id) throw new BillingError(ErrorCode.NOT_FOUND, { field: 'savedCardId' });
    const row = await this.database.transaction(async (manager) => {
      const now = this.clock.now();
      const existing = await manager.findOne(AutopayEntity, { where: { accountId: account.id }, lock: this.database.lockMode });
      const next: AutopayEntity = {
        accountId: account.id,
        subscriberId: account.subscriberId,
        savedCardId: card.id,
        thresholdMinor,
        amountMinor,
        enabled: true,
        failureCode: null,
        setBy: caller.subscriberId,
        createdAt: existing?.createdAt ?? now,
        updatedAt: now,
      };
      await manager.save(AutopayEntity, next);
      const details = fill(
        { KK: 'Автотөлем: баланс {threshold} ₸-ден төмен болса, {card} картасынан {amount} ₸', RU: 'Автоплатёж: {amount} ₸ с карты {card}, когда баланс ниже {threshold} ₸', EN: 'Autopay: {amount} KZT from card {card} when the balance is below {threshold} KZT' },
        { amount: money(amountMinor), threshold: money(thresholdMinor), card: cardLabel(card.brand, card.last4) },
      );
      await this.activity(manager, account.subscriberId, caller.subscriberId, access.viaManagement, caller.channel, 'AUTOPAY_SET', details);
      return next;
    });
    return toAutopay(row, card);
  }

  async disable(ctx: GraphQLContext, subscriberId: string): Promise<Autopay | null> {
    const caller = requireSubscriber(ctx);
    const access = await this.accessPolicy.assertMayManage(ctx, subscriberId);
    const account = await this.database.manager.findOne(AccountEntity, { where: { subscriberId } });
    if (!account) throw new BillingError(ErrorCode.NOT_FOUND, { field: 'subscriberId' });
    const row = await this.database.transaction(async (manager) => {
      const existing = await manager.findOne(AutopayEntity, { where: { accountId: account.id }, lock: this.database.lockMode });
      if (!existing) return null;
      if (existing.enabled) {
        existing.enabled = false;
        existing.updatedAt = this.clock.now();
        await manager.save(AutopayEntity, existing);
        const details = { KK: 'Автотөлем өшірілді', RU: 'Автоплатёж отключён', EN: 'Autopay turned off' };
        await this.activity(manager, subscriberId, caller.subscriberId, access.viaManagement, caller.channel, 'AUTOPAY_DISABLED', details);
      }
      return existing;
    });
    if (!row) return null;
    return toAutopay(row, await this.database.manager.findOne(SavedCardEntity, { where: { id: row.savedCardId } }));
  }

  async autopayOf(ctx: GraphQLContext, account: Account): Promise<Autopay | null> {
    const row = await this.accessPolicy.whenMayManage(ctx, account.subscriberId, () => this.byAccount(ctx).load(account.id));
    if (!row) return null;
    return toAutopay(row, await this.cardById(ctx).load(row.savedCardId));
  }

  /**
   * Ledger entries were posted (billing's own BalanceChanged, a run of them from one read, in the inbox's transaction,
   * in order): a charge that takes the balance from at or above the threshold to below it triggers one top-up, unless
   * one is still under way. The accounts' autopay settings are read in one statement for the run.
   */
  async balanceChangedMany(changes: EventPayload<typeof billingEvents, 'BalanceChanged'>[], manager: EntityManager): Promise<void> {
    const charges = changes.filter((change) => change.kind === 'CHARGE' && change.amountMinor < 0);
    if (charges.length === 0) return;
    const accountIds = [...new Set(charges.map((change) => change.accountId))];
    const settings = new Map<string, AutopayEntity>();
    for (let i = 0; i < accountIds.length; i += 500) {
      for (const row of await manager.find(AutopayEntity, { where: { accountId: In(accountIds.slice(i, i + 500)), enabled: true } })) settings.set(row.accountId, row);
    }
    for (const change of charges) {
      const autopay = settings.get(change.accountId);
      if (autopay && !(await this.topUpIfCrossed(change, autopay, manager))) settings.delete(change.accountId);
    }
  }

  /** One charge against the account's autopay; false when that turned autopay off (its card is gone). */
  private async topUpIfCrossed(change: EventPayload<typeof billingEvents, 'BalanceChanged'>, autopay: AutopayEntity, manager: EntityManager): Promise<boolean> {
    const before = change.balanceMinor - change.amountMinor;
    if (!(before >= autopay.thresholdMinor && change.balanceMinor < autopay.thresholdMinor)) return true;
    const key = `autopay:${change.entryId}`;
    if (await manager.exists(PaymentEntity, { where: { idempotencyKey: key } })) return true;
    const underWay = await manager.exists(PaymentEntity, { where: { accountId: change.accountId, origin: PaymentOrigin.AUTOPAY, status: In(OPEN_PAYMENT_STATUSES) } });
    if (underWay) return true;
    const card = await manager.findOne(SavedCardEntity, { where: { id: autopay.savedCardId, removedAt: IsNull() } });
    if (!card) {
      await manager.update(AutopayEntity, { accountId: autopay.accountId }, { enabled: false, updatedAt: this.clock.now() });
      return false;
    }
    const payment = await this.payments.insertPayment(manager, {
      id: randomUUID(),
      accountId: change.accountId,
      subscriberId: change.subscriberId,
      actorId: null,
      viaManagement: false,
      channel: null,
      origin: PaymentOrigin.AUTOPAY,
      idempotencyKey: key,
      requestHash: requestHash(['autopay', change.entryId, autopay.amountMinor, card.id]),
      amountMinor: autopay.amountMinor,
      currency: 'KZT',
      cardToken: null,
      savedCardId: card.id,
      saveToAccountId: null,
      status: PaymentStatus.PENDING,
      failureCode: null,
      providerChargeId: null,
      actionUrl: null,
      cardBrand: card.brand,
      cardLast4: card.last4,
    });
    this.logger.info({ payment: payment.id, account: change.accountId, entry: change.entryId }, 'autopay top-up triggered');
    this.afterCommit.add(manager, this.drivePending);
    return true;
  }

  /** A failed top-up turns autopay off (a card that fails keeps failing) and the subscriber is told. */
  async failed(manager: EntityManager, payment: PaymentEntity): Promise<void> {
    if (payment.origin !== PaymentOrigin.AUTOPAY) return;
    const autopay = await manager.findOne(AutopayEntity, { where: { accountId: payment.accountId }, lock: this.database.lockMode });
    if (!autopay || !autopay.enabled) return;
    await manager.update(AutopayEntity, { accountId: autopay.accountId }, { enabled: false, failureCode: payment.failureCode ?? ErrorCode.PAYMENT_DECLINED, updatedAt: this.clock.now() });
    const body = fill(AUTOPAY_STOPPED.body, { amount: money(payment.amountMinor), card: cardLabel(payment.cardBrand, payment.cardLast4) });
    const title = AUTOPAY_STOPPED.title;
    await this.outbox.add(manager, 'SubscriberNotificationRequested', {
      subscriberId: payment.subscriberId,
      key: `autopay:${payment.id}:stopped`,
      texts: { KK: { title: title.KK, body: body.KK }, RU: { title: title.RU, body: body.RU }, EN: { title: title.EN, body: body.EN } },
      delivery: 'PREFERENCES',
    });
    await this.activity(manager, payment.subscriberId, null, false, null, 'AUTOPAY_DISABLED', body);
  }

  /** Autopay on a removed card goes with it. */
  async removed(manager: EntityManager, card: SavedCardEntity): Promise<void> {
    await manager.update(AutopayEntity, { savedCardId: card.id, enabled: true }, { enabled: false, updatedAt: this.clock.now() });
  }

  private async activity(
    manager: EntityManager,
    subscriberId: string,
    actorId: string | null,
    viaManagement: boolean,
    channel: 'WEB' | 'MOBILE_APP' | null,
    action: string,
    details: { KK: string; RU: string; EN: string },
  ): Promise<void> {
    await this.outbox.add(manager, 'ActivityRecorded', {
      subscriberId,
      actorId,
      actorKind: actorId ? 'SUBSCRIBER' : 'SYSTEM',
      viaManagement,
      channel,
      action,
      details: details.EN,
      detailTexts: details,
      at: this.clock.now().toISOString(),
    });
  }

  private byAccount(ctx: GraphQLContext): DataLoader<string, AutopayEntity | null> {
    return ctx.loaders.get('autopay.byAccount', () =>
      new DataLoader<string, AutopayEntity | null>(async (ids) => byKeys(ids, await this.database.manager.find(AutopayEntity, { where: { accountId: In([...ids]) } }), (row) => row.accountId)),
    );
  }

  private cardById(ctx: GraphQLContext): DataLoader<string, SavedCardEntity | null> {
    return ctx.loaders.get('autopay.cardById', () =>
      new DataLoader<string, SavedCardEntity | null>(async (ids) => byKeys(ids, await this.database.manager.find(SavedCardEntity, { where: { id: In([...ids]) } }), (row) => row.id)),
    );
  }
}
