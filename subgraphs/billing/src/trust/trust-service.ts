import { randomUUID } from 'node:crypto';
import DataLoader from 'dataloader';
import { In } from 'typeorm';
import type { EntityManager } from 'typeorm';
import { AccessPolicy, Clock, ContractOutbox, Database, ErrorCode, GraphQLContext, Logger, Texts, billingEvents, byKeys, requireSubscriber } from '@selfcare/shared';
import { BillingError } from '../errors';
import { AccountEntity, LedgerEntryEntity, LedgerEntryKind } from '../accounts/entities';
import type { LedgerService } from '../accounts/ledger-service';
import type { Account } from '../accounts/types';
import type { PaymentEntity } from '../payments/entities';
import type { PaymentListener } from '../payments/payment-service';
import type { PaymentsSettings } from '../payments/config';
import { fill, money } from '../payments/texts';
import { TrustPaymentEntity, TrustPaymentStatus } from './entities';
import { TrustPayment, toTrustPayment } from './types';
import { DueScheduler } from '../payments/due-scheduler';

const DAY_MS = 24 * 60 * 60 * 1000;

const NOT_ELIGIBLE: Record<'OPEN' | 'TENURE' | 'PAYMENT_HISTORY' | 'IN_DEBT', Texts> = {
  OPEN: { KK: 'Сенім төлемі әлі өтелмеген', RU: 'Предыдущий доверительный платёж ещё не погашен', EN: 'A trust payment is still open' },
  TENURE: { KK: 'Сенім төлемі {days} күннен ұзақ абоненттерге беріледі', RU: 'Доверительный платёж доступен абонентам со стажем от {days} дней', EN: 'Trust payments are for subscribers of at least {days} days' },
  PAYMENT_HISTORY: {
    KK: 'Сенім төлемі соңғы {history} күнде кемінде {paid} ₸ төлегендерге беріледі',
    RU: 'Доверительный платёж доступен, если за последние {history} дней оплачено не меньше {paid} ₸',
    EN: 'Trust payments need at least {paid} KZT paid in the last {history} days',
  },
  IN_DEBT: { KK: 'Алдымен берешекті өтеңіз', RU: 'Сначала погасите задолженность', EN: 'Pay off the debt first' },
};

/**
 * The trust payment Beeline and Kcell offer: a credit of a configured amount for a few days, for subscribers of some
 * tenure who have been paying, at most one open at a time (a unique index on the open one's account). The next card
 * payment repays it (in the transaction that credits the payment); what is left at expiry is taken back from the
 * balance — which may then be debt, with the usual consequences (terms 3.3: DebtIncurred, access suspended).
 */
export class TrustService implements PaymentListener {
  private scheduler: DueScheduler | null = null;

  constructor(
    private readonly database: Database,
    private readonly accessPolicy: AccessPolicy,
    private readonly ledger: LedgerService,
    private readonly outbox: ContractOutbox<typeof billingEvents>,
    private readonly settings: PaymentsSettings,
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {}

  async take(ctx: GraphQLContext, subscriberId: string): Promise<TrustPayment> {
    const caller = requireSubscriber(ctx);
    const access = await this.accessPolicy.assertMayManage(ctx, subscriberId);
    const account = await this.database.manager.findOne(AccountEntity, { where: { subscriberId } });
    if (!account) throw new BillingError(ErrorCode.NOT_FOUND, { field: 'subscriberId' });
    const { amountMinor, days, minTenureDays, minPaidMinor, historyDays } = this.settings.trust;
    const now = this.clock.now();
    if (now.getTime() - account.createdAt.getTime() < minTenureDays * DAY_MS) throw this.refusal('TENURE', { days: minTenureDays });
    const paid = await this.paidSince(account.id, new Date(now.getTime() - historyDays * DAY_MS));
    if (paid < minPaidMinor) throw this.refusal('PAYMENT_HISTORY', { paid: money(minPaidMinor), history: historyDays });

    const trust = await this.database.transaction(async (manager) => {
      // Under the account's lock: two requests at once find one of them open.
      const locked = await manager.findOneOrFail(AccountEntity, { where: { id: account.id }, lock: this.database.lockMode });
      if (await manager.exists(TrustPaymentEntity, { where: { openAccountId: account.id } })) throw this.refusal('OPEN', {});
      if (locked.inDebt) throw this.refusal('IN_DEBT', {});
      const row: TrustPaymentEntity = {
        id: randomUUID(),
        accountId: account.id,
        subscriberId,
        openAccountId: account.id,
        amountMinor,
        outstandingMinor: amountMinor,
        status: TrustPaymentStatus.OPEN,
        actorId: caller.subscriberId,
        grantedAt: now,
        expiresAt: new Date(now.getTime() + days * DAY_MS),
        settledAt: null,
      };
      await manager.insert(TrustPaymentEntity, row);
      const until = row.expiresAt.toISOString().slice(0, 10);
      await this.ledger.post(manager, account.id, {
        kind: LedgerEntryKind.ADJUSTMENT,
        amountMinor,
        description: fill({ KK: 'Сенім төлемі {until} дейін', RU: 'Доверительный платёж до {until}', EN: 'Trust payment until {until}' }, { until }),
        reference: `trust:${row.id}:grant`,
        at: now,
      });
      const details = fill({ KK: '{amount} ₸ сенім төлемі {until} дейін', RU: 'Доверительный платёж {amount} ₸ до {until}', EN: 'Trust payment of {amount} KZT until {until}' }, { amount: money(amountMinor), until });
      await this.outbox.add(manager, 'ActivityRecorded', {
        subscriberId,
        actorId: caller.subscriberId,
        actorKind: 'SUBSCRIBER',
        viaManagement: access.viaManagement,
        channel: caller.channel,
        action: 'TRUST_PAYMENT_TAKEN',
        details: details.EN,
        detailTexts: details,
        at: now.toISOString(),
      });
      return row;
    });
    this.scheduler?.scheduleAt(trust.expiresAt);
    return toTrustPayment(trust);
  }

  async openOf(ctx: GraphQLContext, account: Account): Promise<TrustPayment | null> {
    const row = await this.accessPolicy.whenMayManage(ctx, account.subscriberId, () => this.openByAccount(ctx).load(account.id));
    return row ? toTrustPayment(row) : null;
  }

  /** The next card payment repays what is open, in the transaction that credits it. */
  async succeeded(manager: EntityManager, payment: PaymentEntity): Promise<boolean> {
    const trust = await manager.findOne(TrustPaymentEntity, { where: { openAccountId: payment.accountId }, lock: this.database.lockMode });
    if (!trust || trust.outstandingMinor <= 0) return false;
    const repaid = Math.min(trust.outstandingMinor, payment.amountMinor);
    await this.ledger.post(manager, payment.accountId, {
      kind: LedgerEntryKind.ADJUSTMENT,
      amountMinor: -repaid,
      description: { KK: 'Сенім төлемін өтеу', RU: 'Погашение доверительного платежа', EN: 'Trust payment repaid' },
      reference: `trust:${trust.id}:repay:${payment.id}`,
      at: this.clock.now(),
    });
    trust.outstandingMinor -= repaid;
    if (trust.outstandingMinor === 0) Object.assign(trust, { status: TrustPaymentStatus.REPAID, openAccountId: null, settledAt: this.clock.now() });
    await manager.update(TrustPaymentEntity, { id: trust.id }, { outstandingMinor: trust.outstandingMinor, status: trust.status, openAccountId: trust.openAccountId, settledAt: trust.settledAt });
    return true;
  }

  /**
   * Trust payments past their time: what is left is taken back from the balance. Resolves with when the next open one
   * expires (null: none open), or 'again' when more may be due.
   */
  async expireDue(limit = 100): Promise<Date | null | 'again'> {
    const now = this.clock.now();
    const open = await this.database.manager.find(TrustPaymentEntity, {
      select: { id: true, accountId: true, expiresAt: true },
      where: { status: TrustPaymentStatus.OPEN },
      order: { expiresAt: 'ASC' },
      take: limit,
    });
    const due = open.filter((row) => row.expiresAt <= now);
    for (const { id, accountId } of due) {
      await this.database.transaction(async (manager) => {
        // The account first, as every posting locks it: the payment that repays it waits, or went first.
        await manager.findOne(AccountEntity, { where: { id: accountId }, lock: this.database.lockMode });
        const trust = await manager.findOne(TrustPaymentEntity, { where: { id }, lock: this.database.lockMode });
        if (!trust || trust.status !== TrustPaymentStatus.OPEN) return;
        const at = this.clock.now();
        if (trust.outstandingMinor > 0) {
          await this.ledger.post(manager, trust.accountId, {
            kind: LedgerEntryKind.ADJUSTMENT,
            amountMinor: -trust.outstandingMinor,
            description: { KK: 'Сенім төлемі мерзімінде өтелмеді', RU: 'Доверительный платёж не погашен в срок', EN: 'Trust payment not repaid in time' },
            reference: `trust:${trust.id}:expired`,
            at,
          });
          const account = await manager.findOneOrFail(AccountEntity, { where: { id: trust.accountId } });
          const title = { KK: 'Сенім төлемінің мерзімі өтті', RU: 'Срок доверительного платежа истёк', EN: 'Trust payment expired' };
          const body = fill(
            { KK: '{amount} ₸ баланстан алынды. Баланс: {balance} ₸.', RU: 'С баланса списано {amount} ₸. Баланс: {balance} ₸.', EN: '{amount} KZT was taken from the balance. Balance: {balance} KZT.' },
            { amount: money(trust.outstandingMinor), balance: money(account.balanceMinor) },
          );
          await this.outbox.add(manager, 'SubscriberNotificationRequested', {
            subscriberId: trust.subscriberId,
            key: `trust:${trust.id}:expired`,
            texts: { KK: { title: title.KK, body: body.KK }, RU: { title: title.RU, body: body.RU }, EN: { title: title.EN, body: body.EN } },
            delivery: 'PREFERENCES',
          });
        }
        await manager.update(TrustPaymentEntity, { id: trust.id }, { status: TrustPaymentStatus.EXPIRED, openAccountId: null, settledAt: at });
      });
    }
    if (due.length === limit) return 'again';
    return open.find((row) => row.expiresAt > now)?.expiresAt ?? null;
  }

  /** Rounds when an open trust payment expires (at least every `minMs`, a look at least every `maxMs`). */
  start(minMs: number, maxMs: number): void {
    this.scheduler = new DueScheduler('trust payment expiry', () => this.expireDue(), minMs, maxMs, this.clock, this.logger);
    this.scheduler.start();
  }

  async stop(): Promise<void> {
    await this.scheduler?.stop();
  }

  private async paidSince(accountId: string, since: Date): Promise<number> {
    const row = await this.database.manager
      .createQueryBuilder(LedgerEntryEntity, 'e')
      .select('COALESCE(SUM(e.amount_minor), 0)', 'paid')
      .where('e.account_id = :accountId', { accountId })
      .andWhere('e.kind = :kind', { kind: LedgerEntryKind.PAYMENT })
      .andWhere('e.at >= :since', { since })
      .getRawOne<{ paid: string | number }>();
    return Number(row?.paid ?? 0);
  }

  private refusal(reason: keyof typeof NOT_ELIGIBLE, params: Record<string, string | number>): BillingError {
    return new BillingError(ErrorCode.CONFLICT, { texts: NOT_ELIGIBLE[reason], params, extensions: { reason } });
  }

  private openByAccount(ctx: GraphQLContext): DataLoader<string, TrustPaymentEntity | null> {
    return ctx.loaders.get('trust.openByAccount', () =>
      new DataLoader<string, TrustPaymentEntity | null>(async (ids) =>
        byKeys(ids, await this.database.manager.find(TrustPaymentEntity, { where: { openAccountId: In([...ids]) } }), (row) => row.accountId),
      ),
    );
  }
}
