import { createHash, randomInt, randomUUID, timingSafeEqual } from 'node:crypto';
import DataLoader from 'dataloader';
import { In, LessThan, MoreThanOrEqual } from 'typeorm';
import type { EntityManager } from 'typeorm';
import {
  AccessPolicy,
  Clock,
  ContractOutbox,
  Database,
  ErrorCode,
  GraphQLContext,
  KeysetPages,
  Language,
  Notifications,
  badInput,
  billingEvents,
  byKeys,
  requireSubscriber,
  isUuid,
} from '@selfcare/shared';
import { BillingError } from '../errors';
import { AccountEntity, LedgerEntryKind } from '../accounts/entities';
import type { LedgerService } from '../accounts/ledger-service';
import type { Account } from '../accounts/types';
import type { PaymentsSettings } from '../payments/config';
import { parseAmountWithin } from '../payments/amount';
import { requestHash } from '../payments/payment-service';
import { fill, money } from '../payments/texts';
import { TransferAttemptEntity, TransferEntity, TransferStatus } from './entities';
import { TrustPaymentEntity } from '../trust/entities';
import type { LineDirectory } from './lines';
import { BalanceTransfer, BalanceTransferConnection, toTransfer } from './types';

const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,64}$/;
const CODE_ATTEMPTS = 3;
const HOUR_MS = 60 * 60 * 1000;
const DAY_MS = 24 * HOUR_MS;

const CODE_SMS = {
  KK: '{code} — {to} нөміріне {amount} ₸ аударуды растау коды. Кодты ешкімге айтпаңыз.',
  RU: '{code} — код подтверждения перевода {amount} ₸ на номер {to}. Никому не сообщайте код.',
  EN: '{code} is the code to confirm a transfer of {amount} KZT to {to}. Do not share it.',
};

const DAILY_LIMIT = {
  KK: 'Тәулігіне {max} ₸-ден артық аударуға болмайды',
  RU: 'Нельзя перевести больше {max} ₸ за сутки',
  EN: 'At most {max} KZT may be transferred in 24 hours',
};

export interface TransferArgs {
  fromSubscriberId: string;
  toMsisdn: string;
  amount: string;
  idempotencyKey: string;
}

type Refusal = { code: ErrorCode; extensions?: Record<string, unknown>; texts?: { KK: string; RU: string; EN: string }; params?: Record<string, string | number> };

const codeHash = (transferId: string, code: string) => createHash('sha256').update(`${transferId}:${code}`).digest('hex');

/**
 * Balance transfers between Beeline numbers: from the caller's number (or one they manage, terms 4.3) to another Beeline
 * number, within configured limits, confirmed by a code sent by SMS to the paying number. The money moves in one
 * transaction — TRANSFER_OUT on the payer, TRANSFER_IN on the payee — under both accounts' row locks taken in id order
 * (so transfers both ways at once cannot deadlock), with the balance and the daily limit checked under those locks.
 */
export class TransferService {
  private readonly pages: KeysetPages<TransferEntity>;

  constructor(
    private readonly database: Database,
    private readonly accessPolicy: AccessPolicy,
    private readonly ledger: LedgerService,
    private readonly outbox: ContractOutbox<typeof billingEvents>,
    private readonly notifications: Notifications,
    private readonly lines: LineDirectory,
    private readonly settings: PaymentsSettings,
    private readonly clock: Clock,
  ) {
    this.pages = new KeysetPages({
      name: 'transfers.byAccount',
      entity: TransferEntity,
      manager: () => this.database.manager,
      parent: 'fromAccountId',
      sortBy: 'createdAt',
      sortKind: 'timestamp',
      order: 'NEWEST_FIRST',
    });
  }

  async request(ctx: GraphQLContext, args: TransferArgs): Promise<BalanceTransfer> {
    const caller = requireSubscriber(ctx);
    if (typeof args.idempotencyKey !== 'string' || !IDEMPOTENCY_KEY.test(args.idempotencyKey)) throw badInput('idempotencyKey');
    const limits = this.settings.transfers;
    const amountMinor = parseAmountWithin(args.amount, 'amount', limits.minMinor, limits.maxMinor);
    const access = await this.accessPolicy.assertMayManage(ctx, args.fromSubscriberId);
    const key = `${caller.subscriberId}:${args.idempotencyKey}`;
    const hash = requestHash(['transfer', args.fromSubscriberId, args.toMsisdn, amountMinor]);
    const earlier = await this.database.manager.findOne(TransferEntity, { where: { idempotencyKey: key } });
    if (earlier) return this.replay(earlier, hash);

    const payer = await this.lines.line(args.fromSubscriberId);
    if (!payer?.msisdn) {
      throw badInput('fromSubscriberId', { KK: 'Аударым тек ұялы нөмірден жасалады', RU: 'Переводы возможны только с мобильного номера', EN: 'Transfers are made from mobile numbers only' });
    }
    const from = await this.database.manager.findOne(AccountEntity, { where: { subscriberId: args.fromSubscriberId } });
    if (!from) throw new BillingError(ErrorCode.NOT_FOUND, { field: 'fromSubscriberId' });

    const now = this.clock.now();
    // Every attempt counts, found or not: each sends an SMS, or tells whether a number is Beeline's.
    await this.countAttempt(from.id, now);
    const payee = await this.lines.byMsisdn(args.toMsisdn);
    if (!payee) throw new BillingError(ErrorCode.NOT_FOUND, { field: 'toMsisdn', texts: { KK: 'Бұл Beeline нөмірі емес', RU: 'Это не номер Beeline', EN: 'This is not a Beeline number' } });
    if (payee.subscriberId === args.fromSubscriberId) {
      throw badInput('toMsisdn', { KK: 'Өз нөміріңізге аударуға болмайды', RU: 'Нельзя перевести на тот же номер', EN: 'A transfer must go to another number' });
    }
    const to = await this.database.manager.findOne(AccountEntity, { where: { subscriberId: payee.subscriberId } });
    if (!to) throw new BillingError(ErrorCode.NOT_FOUND, { field: 'toMsisdn' });
    // Told early, decided at confirmation (under the locks).
    const early = await this.limitRefusal(this.database.manager, from, amountMinor, now);
    if (early) throw new BillingError(early.code, { ...(early.texts ? { texts: early.texts, params: early.params ?? {} } : {}), ...(early.code === ErrorCode.BAD_USER_INPUT ? { field: 'amount' } : {}) });

    const id = randomUUID();
    const code = String(randomInt(0, 1_000_000)).padStart(6, '0');
    const row: TransferEntity = {
      id,
      fromAccountId: from.id,
      fromSubscriberId: from.subscriberId,
      toAccountId: to.id,
      toSubscriberId: to.subscriberId,
      toMsisdn: args.toMsisdn,
      amountMinor,
      status: TransferStatus.AWAITING_CONFIRMATION,
      codeHash: codeHash(id, code),
      codeExpiresAt: new Date(now.getTime() + limits.codeTtlSeconds * 1000),
      attemptsLeft: CODE_ATTEMPTS,
      failureCode: null,
      idempotencyKey: key,
      requestHash: hash,
      actorId: caller.subscriberId,
      viaManagement: access.viaManagement,
      channel: caller.channel,
      createdAt: now,
      completedAt: null,
    };
    try {
      await this.database.transaction(async (manager) => {
        await manager.insert(TransferEntity, row);
        await this.notifications.sms(manager, { to: payer.msisdn!, language: payer.language as Language, texts: CODE_SMS, params: { code, amount: money(amountMinor), to: args.toMsisdn } });
      });
    } catch (error) {
      if (!this.database.isDuplicateKey(error)) throw error;
      return this.replay(await this.database.manager.findOneOrFail(TransferEntity, { where: { idempotencyKey: key } }), hash);
    }
    return toTransfer(row, now);
  }

  private replay(earlier: TransferEntity, hash: string): BalanceTransfer {
    if (earlier.requestHash !== hash) throw new BillingError(ErrorCode.IDEMPOTENCY_CONFLICT, { field: 'idempotencyKey' });
    return toTransfer(earlier, this.clock.now());
  }

  async confirm(ctx: GraphQLContext, transferId: string, code: string): Promise<BalanceTransfer> {
    const caller = requireSubscriber(ctx);
    if (!isUuid(transferId)) throw badInput('id');
    const found = await this.database.manager.findOne(TransferEntity, { where: { id: transferId } });
    if (!found) throw new BillingError(ErrorCode.NOT_FOUND, { field: 'id' });
    const access = await this.accessPolicy.assertMayManage(ctx, found.fromSubscriberId);
    if (typeof code !== 'string' || !/^\d{6}$/.test(code)) throw badInput('code');

    const { transfer, refusal } = await this.withDeadlockRetry(() =>
      this.database.transaction(async (manager) => {
        // Both accounts, in id order, before anything else: the balance checked is the balance posted against.
        const accounts = await manager.find(AccountEntity, { where: { id: In([found.fromAccountId, found.toAccountId]) }, order: { id: 'ASC' }, lock: this.database.lockMode });
        const t = await manager.findOneOrFail(TransferEntity, { where: { id: transferId }, lock: this.database.lockMode });
        const now = this.clock.now();
        const done = (refusal?: Refusal) => ({ transfer: t, refusal: refusal ?? null });
        if (t.status === TransferStatus.COMPLETED) return done();
        if (t.status === TransferStatus.EXPIRED) return done({ code: ErrorCode.CODE_EXPIRED });
        if (t.status === TransferStatus.VOIDED) return done({ code: ErrorCode.CODE_VOIDED });
        if (t.status === TransferStatus.FAILED) return done({ code: (t.failureCode as ErrorCode) ?? ErrorCode.CONFLICT });
        if (t.codeExpiresAt <= now) {
          await manager.update(TransferEntity, { id: t.id }, { status: TransferStatus.EXPIRED });
          t.status = TransferStatus.EXPIRED;
          return done({ code: ErrorCode.CODE_EXPIRED });
        }
        const given = Buffer.from(codeHash(t.id, code));
        if (!timingSafeEqual(given, Buffer.from(t.codeHash))) {
          // terms 5.6-style codes: three wrong entries in a row void it.
          t.attemptsLeft -= 1;
          if (t.attemptsLeft <= 0) t.status = TransferStatus.VOIDED;
          await manager.update(TransferEntity, { id: t.id }, { attemptsLeft: t.attemptsLeft, status: t.status });
          return done(t.status === TransferStatus.VOIDED ? { code: ErrorCode.CODE_VOIDED } : { code: ErrorCode.CODE_INVALID, extensions: { attemptsLeft: t.attemptsLeft } });
        }
        const from = accounts.find((a) => a.id === t.fromAccountId)!;
        const to = accounts.find((a) => a.id === t.toAccountId);
        const refusal = to ? await this.limitRefusal(manager, from, t.amountMinor, now) : { code: ErrorCode.NOT_FOUND };
        if (refusal) {
          t.status = TransferStatus.FAILED;
          t.failureCode = refusal.code;
          await manager.update(TransferEntity, { id: t.id }, { status: t.status, failureCode: t.failureCode });
          return done(refusal);
        }
        const payer = await this.lines.line(t.fromSubscriberId, manager);
        const fromMsisdn = payer?.msisdn ?? '';
        await this.ledger.post(manager, t.fromAccountId, {
          kind: LedgerEntryKind.TRANSFER_OUT,
          amountMinor: -t.amountMinor,
          description: fill({ KK: '{to} нөміріне аударым', RU: 'Перевод на номер {to}', EN: 'Transfer to {to}' }, { to: t.toMsisdn }),
          reference: `transfer:${t.id}:out`,
          at: now,
        });
        const credited = await this.ledger.post(manager, t.toAccountId, {
          kind: LedgerEntryKind.TRANSFER_IN,
          amountMinor: t.amountMinor,
          description: fill({ KK: '{from} нөмірінен аударым', RU: 'Перевод с номера {from}', EN: 'Transfer from {from}' }, { from: fromMsisdn }),
          reference: `transfer:${t.id}:in`,
          at: now,
        });
        t.status = TransferStatus.COMPLETED;
        t.completedAt = now;
        await manager.update(TransferEntity, { id: t.id }, { status: t.status, completedAt: now });
        await this.tell(manager, t, fromMsisdn, credited.account.balanceMinor);
        const details = fill({ KK: '{to} нөміріне {amount} ₸ аударылды', RU: 'Переведено {amount} ₸ на номер {to}', EN: 'Transferred {amount} KZT to {to}' }, { amount: money(t.amountMinor), to: t.toMsisdn });
        await this.outbox.add(manager, 'ActivityRecorded', {
          subscriberId: t.fromSubscriberId,
          actorId: caller.subscriberId,
          actorKind: 'SUBSCRIBER',
          viaManagement: access.viaManagement,
          channel: caller.channel,
          action: 'BALANCE_TRANSFERRED',
          details: details.EN,
          detailTexts: details,
          at: now.toISOString(),
        });
        return done();
      }),
    );
    if (refusal) {
      throw new BillingError(refusal.code, {
        ...(refusal.texts ? { texts: refusal.texts, params: refusal.params ?? {} } : {}),
        ...(refusal.code === ErrorCode.CODE_INVALID || refusal.code === ErrorCode.CODE_VOIDED ? { field: 'code' } : {}),
        ...(refusal.extensions ? { extensions: refusal.extensions } : {}),
      });
    }
    return toTransfer(transfer, this.clock.now());
  }

  /** At most so many attempts per paying account an hour (RATE_LIMITED with the wait); this one recorded. */
  private async countAttempt(fromAccountId: string, now: Date): Promise<void> {
    const since = new Date(now.getTime() - HOUR_MS);
    const recent = await this.database.manager.find(TransferAttemptEntity, {
      select: { at: true },
      where: { fromAccountId, at: MoreThanOrEqual(since) },
      order: { at: 'ASC' },
      take: this.settings.transfers.requestsPerHour,
    });
    if (recent.length >= this.settings.transfers.requestsPerHour) {
      const retryAfterSeconds = Math.max(1, Math.ceil((recent[0]!.at.getTime() + HOUR_MS - now.getTime()) / 1000));
      throw new BillingError(ErrorCode.RATE_LIMITED, { extensions: { retryAfterSeconds } });
    }
    await this.database.transaction(async (manager) => {
      await manager.insert(TransferAttemptEntity, { id: randomUUID(), fromAccountId, at: now });
      // Attempts older than a day count for nothing.
      await manager.delete(TransferAttemptEntity, { fromAccountId, at: LessThan(new Date(now.getTime() - DAY_MS)) });
    });
  }

  /**
   * Not more than the balance (a transfer never goes into credit), of which an open trust payment is not the payer's
   * to give away, nor past the daily limit.
   */
  private async limitRefusal(manager: EntityManager, from: AccountEntity, amountMinor: number, now: Date): Promise<Refusal | null> {
    const trust = await manager.findOne(TrustPaymentEntity, { where: { openAccountId: from.id } });
    if (from.balanceMinor - (trust?.outstandingMinor ?? 0) - amountMinor < 0) return { code: ErrorCode.INSUFFICIENT_FUNDS };
    const sent = await manager
      .createQueryBuilder(TransferEntity, 't')
      .select('COALESCE(SUM(t.amount_minor), 0)', 'sent')
      .where('t.from_account_id = :id', { id: from.id })
      .andWhere('t.status = :status', { status: TransferStatus.COMPLETED })
      .andWhere('t.completed_at >= :since', { since: new Date(now.getTime() - DAY_MS) })
      .getRawOne<{ sent: string | number }>();
    if (Number(sent?.sent ?? 0) + amountMinor > this.settings.transfers.dailyMaxMinor) {
      return { code: ErrorCode.BAD_USER_INPUT, texts: DAILY_LIMIT, params: { max: money(this.settings.transfers.dailyMaxMinor) } };
    }
    return null;
  }

  private async tell(manager: EntityManager, t: TransferEntity, fromMsisdn: string, payeeBalanceMinor: number): Promise<void> {
    const title = { KK: 'Аударым түсті', RU: 'Поступил перевод', EN: 'Transfer received' };
    const body = fill(
      { KK: '{from} нөмірінен {amount} ₸ түсті. Баланс: {balance} ₸.', RU: 'С номера {from} поступило {amount} ₸. Баланс: {balance} ₸.', EN: '{amount} KZT received from {from}. Balance: {balance} KZT.' },
      { from: fromMsisdn, amount: money(t.amountMinor), balance: money(payeeBalanceMinor) },
    );
    await this.outbox.add(manager, 'SubscriberNotificationRequested', {
      subscriberId: t.toSubscriberId,
      key: `transfer:${t.id}:in`,
      texts: { KK: { title: title.KK, body: body.KK }, RU: { title: title.RU, body: body.RU }, EN: { title: title.EN, body: body.EN } },
      delivery: 'PREFERENCES',
    });
  }

  async transfersOf(ctx: GraphQLContext, account: Account, first: number | null | undefined, after: string | null | undefined): Promise<BalanceTransferConnection> {
    const page = await this.accessPolicy.whenMayManage(ctx, account.subscriberId, () => this.pages.load(ctx, { parent: account.id, first, after }));
    const now = this.clock.now();
    return BalanceTransferConnection.from(page, (row) => toTransfer(row, now));
  }

  async reference(ctx: GraphQLContext, id: string): Promise<BalanceTransfer | null> {
    requireSubscriber(ctx);
    if (!isUuid(id)) return null;
    const row = await this.byId(ctx).load(id);
    if (!row) return null;
    await this.accessPolicy.assertMayManage(ctx, row.fromSubscriberId);
    return toTransfer(row, this.clock.now());
  }

  private byId(ctx: GraphQLContext): DataLoader<string, TransferEntity | null> {
    return ctx.loaders.get('transfers.byId', () =>
      new DataLoader<string, TransferEntity | null>(async (ids) => byKeys(ids, await this.database.manager.find(TransferEntity, { where: { id: In([...ids]) } }), (row) => row.id)),
    );
  }

  private async withDeadlockRetry<T>(work: () => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt += 1) {
      try {
        return await work();
      } catch (error) {
        const code = (error as { driverError?: { code?: string } })?.driverError?.code;
        if (attempt < 3 && (code === 'ER_LOCK_DEADLOCK' || code === 'ER_LOCK_WAIT_TIMEOUT')) continue;
        throw error;
      }
    }
  }
}
