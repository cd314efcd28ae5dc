import type { EntityManager } from 'typeorm';
import { MoreThan } from 'typeorm';
import { AccessPolicy, TokenVerifier, liveAccessCheck, Database, ErrorCode, FeedWakeups, GraphQLContext, Logger, liveFeed, requireSubscriber } from '@selfcare/shared';
import { DetailingError } from '../errors';
import { StatementEntity, StatementStatus } from './entities';
import type { StatementService } from './statement-service';
import type { Statement } from './types';

const statementKey = (id: string) => `statement:${id}`;

/** Nothing follows a statement that is SENT, FAILED, or READY with no e-mail to come. */
const settled = (row: StatementEntity) => row.status === StatementStatus.SENT || row.status === StatementStatus.FAILED || (row.status === StatementStatus.READY && !row.emailPending);

/**
 * `statementUpdated(id)`: the statement as it is now, then each change (its StatementUpdated outbox event wakes the
 * feed; no polling per subscription), ending after the last one. Only who ordered it may follow it; their token is
 * checked before each event (`liveAccessCheck`), their right to the number again when its grant ends (GrantWatch).
 */
export class StatementFeed {
  constructor(
    private readonly database: Database,
    private readonly service: StatementService,
    private readonly accessPolicy: AccessPolicy,
    private readonly verifier: TokenVerifier,
    private readonly logger: Logger,
    private readonly wakeups: FeedWakeups,
  ) {
    wakeups.wakeOn('StatementUpdated', (payload) => (typeof payload.statementId === 'string' ? [statementKey(payload.statementId)] : []));
  }

  /** On SQLite a read outside `transaction()` could see a write still open; queued behind the writers it sees only commits. */
  private read<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    return this.database.dialect === 'sqlite' ? this.database.transaction(work) : work(this.database.manager);
  }

  async subscribe(ctx: GraphQLContext, id: string): Promise<AsyncIterableIterator<Statement>> {
    requireSubscriber(ctx);
    const first = await this.service.visible(ctx, id);
    if (!first) throw new DetailingError(ErrorCode.NOT_FOUND);
    const rows = liveFeed<StatementEntity, number>({
      // Version 0: the first read hands over the statement as it is now, so a change just before subscribing is not missed.
      startAt: async () => 0,
      fetchAfter: async (version) => {
        const row = await this.read((manager) => manager.findOne(StatementEntity, { where: { id, version: MoreThan(version ?? 0) } }));
        return row ? [row] : [];
      },
      cursorOf: (row) => row.version,
      wakeups: this.wakeups,
      key: statementKey(id),
      onError: (error) => this.logger.warn({ err: error }, 'statement feed read failed; retrying'),
    });
    const stillAllowed = liveAccessCheck(ctx, this.verifier, { policy: this.accessPolicy, subscriberId: first.subscriberId });
    let done = false;
    const updates: AsyncIterableIterator<Statement> = {
      next: async (): Promise<IteratorResult<Statement>> => {
        if (done) {
          await rows.return?.();
          return { done: true, value: undefined };
        }
        const next = await rows.next();
        if (next.done) return { done: true, value: undefined };
        await stillAllowed().catch(async (error) => {
          await rows.return?.();
          throw error;
        });
        if (settled(next.value)) done = true;
        return { done: false, value: this.service.toStatement(next.value) };
      },
      return: async (): Promise<IteratorResult<Statement>> => {
        await rows.return?.();
        return { done: true, value: undefined };
      },
      [Symbol.asyncIterator]: () => updates,
    };
    return updates;
  }
}
