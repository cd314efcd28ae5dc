import { randomUUID } from 'node:crypto';
import { In } from 'typeorm';
import { AccessPolicy, Clock, ErrorCode, GraphQLContext, KeysetPages, Texts, requireSubscriber } from '@selfcare/shared';
import { DetailingError } from '../errors';
import { validatePeriod } from '../usage/period';
import { StatementEntity, StatementFormat, StatementStatus } from './entities';
import type { StatementLinks } from './links';
import { OPEN_STATUSES, StatementStore } from './store';
import { Statement, StatementConnection } from './types';

export interface StatementOrder {
  subscriberId: string;
  from: Date;
  to: Date;
  format: StatementFormat;
  email?: boolean | null;
}

const tooManyOpen: Texts = {
  KK: 'Дайындалып жатқан есептер тым көп ({max}): біреуі дайын болғанша күтіңіз',
  RU: 'Слишком много готовящихся детализаций ({max}): дождитесь готовности одной из них',
  EN: 'Too many statements in preparation ({max}): wait until one is ready',
};

/**
 * Ordering and reading statements (terms 2.1: detailing of rendered services). The number is the caller's own or a
 * managed one (terms 1, 4.3: management includes getting the detailing); a statement is seen only by who ordered
 * it, and only while they may still act on the number — so an owner's unmasked file never reaches a manager.
 */
export class StatementService {
  private readonly pages: KeysetPages<StatementEntity, { orderedBy: string }>;

  constructor(
    private readonly store: StatementStore,
    private readonly accessPolicy: AccessPolicy,
    private readonly clock: Clock,
    private readonly links: StatementLinks,
    private readonly settings: { maxOpenPerCaller: number },
    private readonly poke: () => void,
  ) {
    this.pages = new KeysetPages<StatementEntity, { orderedBy: string }>({
      name: 'detailing.statements',
      entity: StatementEntity,
      manager: () => store.database.manager,
      parent: 'subscriberId',
      sortBy: 'createdAt',
      sortKind: 'timestamp',
      order: 'NEWEST_FIRST',
      filter: {
        key: (f) => f.orderedBy,
        where: (f, column) => ({ sql: `${column('orderedBy')} = :orderedBy`, params: { orderedBy: f.orderedBy } }),
      },
    });
  }

  async order(ctx: GraphQLContext, order: StatementOrder): Promise<Statement> {
    const caller = requireSubscriber(ctx);
    const access = await this.accessPolicy.assertMayManage(ctx, order.subscriberId);
    validatePeriod(order.from, order.to);
    const database = this.store.database;
    // At most maxOpenPerCaller open jobs per caller, exactly: each takes a free slot of a unique (ordered_by, open_slot);
    // a concurrent order that took the same slot makes this insert fail, and it tries the next free one.
    for (let attempt = 0; attempt < this.settings.maxOpenPerCaller + 2; attempt += 1) {
      const taken = await database.manager.find(StatementEntity, {
        select: { id: true, openSlot: true },
        where: { orderedBy: caller.subscriberId, status: In(OPEN_STATUSES) },
      });
      const used = new Set(taken.map((row) => row.openSlot));
      const slot = [...Array(this.settings.maxOpenPerCaller).keys()].find((candidate) => !used.has(candidate));
      if (slot === undefined) throw new DetailingError(ErrorCode.RATE_LIMITED, { texts: tooManyOpen, params: { max: this.settings.maxOpenPerCaller }, extensions: { limit: 'openStatements', max: this.settings.maxOpenPerCaller } });
      const now = this.clock.now();
      const row = Object.assign(new StatementEntity(), {
        id: randomUUID(),
        subscriberId: order.subscriberId,
        orderedBy: caller.subscriberId,
        viaManagement: access.viaManagement,
        format: order.format,
        periodFrom: order.from,
        periodTo: order.to,
        language: ctx.language,
        status: StatementStatus.QUEUED,
        failureCode: null,
        emailRequested: order.email === true,
        emailPending: order.email === true,
        openSlot: slot,
        version: 1,
        attempts: 0,
        emailAttempts: 0,
        nextAttemptAt: now,
        leaseToken: null,
        leaseUntil: null,
        rowCount: null,
        byteSize: null,
        createdAt: now,
        updatedAt: now,
      } satisfies StatementEntity);
      try {
        await database.transaction(async (manager) => {
          await manager.insert(StatementEntity, row);
          await this.store.announce(manager, row);
          await this.store.recordOrder(manager, row, caller.channel);
        });
      } catch (error) {
        if (database.isDuplicateKey(error)) continue;
        throw error;
      }
      this.poke();
      return this.toStatement(row);
    }
    throw new DetailingError(ErrorCode.RATE_LIMITED, { texts: tooManyOpen, params: { max: this.settings.maxOpenPerCaller } });
  }

  /** The caller's own statement, or null (another's id, an unknown one, a malformed one: the same answer). */
  async statement(ctx: GraphQLContext, id: string): Promise<Statement | null> {
    const row = await this.visible(ctx, id);
    return row ? this.toStatement(row) : null;
  }

  /** The row if the caller ordered it and may still act on its number. */
  async visible(ctx: GraphQLContext, id: string): Promise<StatementEntity | null> {
    const caller = requireSubscriber(ctx);
    if (typeof id !== 'string' || !/^[0-9a-f-]{36}$/i.test(id)) return null;
    const row = await this.store.database.manager.findOne(StatementEntity, { where: { id, orderedBy: caller.subscriberId } });
    if (!row) return null;
    const [access] = await this.accessPolicy.filterManageable(ctx, [row.subscriberId]);
    return access ? row : null;
  }

  /** Subscriber.statements: what the caller ordered for this number, newest first. */
  async statementsOf(ctx: GraphQLContext, subscriberId: string, first: number | null, after: string | null): Promise<StatementConnection> {
    const caller = requireSubscriber(ctx);
    const page = await this.accessPolicy.whenMayManage(ctx, subscriberId, () =>
      this.pages.load(ctx, { parent: subscriberId, first, after, filter: { orderedBy: caller.subscriberId } }),
    );
    return StatementConnection.from(page, (row) => this.toStatement(row));
  }

  toStatement(row: StatementEntity): Statement {
    const downloadable = row.status === StatementStatus.READY || row.status === StatementStatus.SENT;
    const link = downloadable ? this.links.urlFor(row.id, this.clock.now()) : null;
    return Object.assign(new Statement(), {
      id: row.id,
      status: row.status,
      format: row.format,
      from: row.periodFrom,
      to: row.periodTo,
      downloadUrl: link?.url ?? null,
      downloadUrlExpiresAt: link?.expiresAt ?? null,
      failureCode: row.failureCode,
      email: row.emailRequested,
      createdAt: row.createdAt,
    });
  }
}
