import DataLoader from 'dataloader';
import { In, IsNull } from 'typeorm';
import type { EntityManager } from 'typeorm';
import { AccessPolicy, Clock, Database, ErrorCode, GraphQLContext, byKeys, groupByKeys, requireSubscriber } from '@selfcare/shared';
import { DelegationError } from '../errors';
import { ManagementRequestEntity, ManagementStatus } from './entities';
import { ManagementRequest, Subscriber, subscriberRef } from './types';

/**
 * Read side of delegation: the owner's and the requester's views of requests (terms 5.1), the grants in force
 * (ACTIVE), and each request as an entity for the other subgraphs. The procedure itself comes later.
 */
export class ManagementService {
  constructor(
    private readonly database: Database,
    private readonly accessPolicy: AccessPolicy,
    private readonly clock: Clock,
  ) {}

  /** terms 5.1: requests to manage the caller's number, shown in the owner's cabinet. */
  async incoming(ctx: GraphQLContext): Promise<ManagementRequest[]> {
    const caller = requireSubscriber(ctx);
    const rows = await this.database.manager.find(ManagementRequestEntity, { where: { ownerId: caller.subscriberId }, order: { createdAt: 'DESC', id: 'DESC' } });
    return rows.map((row) => this.toGraphQL(row));
  }

  /** The requester's view of the requests they sent. */
  async outgoing(ctx: GraphQLContext): Promise<ManagementRequest[]> {
    const caller = requireSubscriber(ctx);
    const rows = await this.database.manager.find(ManagementRequestEntity, { where: { requesterId: caller.subscriberId }, order: { createdAt: 'DESC', id: 'DESC' } });
    return rows.map((row) => this.toGraphQL(row));
  }

  /**
   * Numbers the subscriber may manage now. The owner alone sees it: management is not transitive
   * (terms 4.3 hands over the owner's own number, not the numbers the owner manages).
   */
  async managedNumbersOf(ctx: GraphQLContext, subscriberId: string): Promise<Subscriber[]> {
    this.accessPolicy.assertOwner(ctx, subscriberId);
    const grants = await this.activeByRequester(ctx).load(subscriberId);
    return grants.filter((g) => g.ownerId).map((g) => subscriberRef(g.ownerId!));
  }

  /** Who may manage this number now (ACTIVE grants): the owner's list to revoke from (terms 4.4). */
  async managersOf(ctx: GraphQLContext, subscriberId: string): Promise<ManagementRequest[]> {
    this.accessPolicy.assertOwner(ctx, subscriberId);
    const grants = await this.activeByOwner(ctx).load(subscriberId);
    return grants.map((row) => this.toGraphQL(row));
  }

  /** A request as a federation entity: only its requester and its owner may see it (terms 2.5). */
  async resolveReference(ctx: GraphQLContext, id: string): Promise<ManagementRequest | null> {
    const caller = requireSubscriber(ctx);
    const row = await this.requestById(ctx).load(id);
    if (!row) return null;
    if (row.requesterId !== caller.subscriberId && row.ownerId !== caller.subscriberId) throw new DelegationError(ErrorCode.FORBIDDEN);
    return this.toGraphQL(row);
  }

  /**
   * A number that was not known when a request named it gets its owner when identity provisions it,
   * so the request shows in the new owner's cabinet (terms 5.1).
   */
  async linkOwner(manager: EntityManager, subscriberId: string, msisdn: string): Promise<number> {
    const result = await manager.update(
      ManagementRequestEntity,
      { ownerMsisdn: msisdn, ownerId: IsNull(), status: In([ManagementStatus.AWAITING_CONFIRMATION, ManagementStatus.CONFIRMED]) },
      { ownerId: subscriberId, updatedAt: this.clock.now() },
    );
    return result.affected ?? 0;
  }

  /**
   * The status a reader sees: a code whose time ran out is EXPIRED even before a write records it
   * (terms 5.6: the activation code is valid 24 hours).
   */
  effectiveStatus(row: ManagementRequestEntity, now: Date): ManagementStatus {
    if (row.status === ManagementStatus.AWAITING_CONFIRMATION && row.confirmationExpiresAt && row.confirmationExpiresAt <= now) return ManagementStatus.EXPIRED;
    if (row.status === ManagementStatus.CONFIRMED && row.activationExpiresAt && row.activationExpiresAt <= now) return ManagementStatus.EXPIRED;
    return row.status;
  }

  toGraphQL(row: ManagementRequestEntity): ManagementRequest {
    const status = this.effectiveStatus(row, this.clock.now());
    return Object.assign(new ManagementRequest(), {
      id: row.id,
      status,
      requester: subscriberRef(row.requesterId),
      ownerMsisdn: row.ownerMsisdn,
      owner: row.ownerId ? subscriberRef(row.ownerId) : null,
      createdAt: row.createdAt,
      activationExpiresAt: row.activationExpiresAt,
      attemptsLeft: status === ManagementStatus.CONFIRMED ? row.activationAttemptsLeft : null,
    });
  }

  private requestById(ctx: GraphQLContext): DataLoader<string, ManagementRequestEntity | null> {
    return ctx.loaders.get('delegation.requestById', () =>
      new DataLoader<string, ManagementRequestEntity | null>(async (ids) => {
        const rows = await this.database.manager.find(ManagementRequestEntity, { where: { id: In([...ids]) } });
        return byKeys(ids, rows, (row) => row.id);
      }),
    );
  }

  private activeByRequester(ctx: GraphQLContext): DataLoader<string, ManagementRequestEntity[]> {
    return ctx.loaders.get('delegation.activeByRequester', () =>
      new DataLoader<string, ManagementRequestEntity[]>(async (ids) => {
        const rows = await this.database.manager.find(ManagementRequestEntity, {
          where: { requesterId: In([...ids]), status: ManagementStatus.ACTIVE },
          order: { activatedAt: 'ASC', id: 'ASC' },
        });
        return groupByKeys(ids, rows, (row) => row.requesterId);
      }),
    );
  }

  private activeByOwner(ctx: GraphQLContext): DataLoader<string, ManagementRequestEntity[]> {
    return ctx.loaders.get('delegation.activeByOwner', () =>
      new DataLoader<string, ManagementRequestEntity[]>(async (ids) => {
        const rows = await this.database.manager.find(ManagementRequestEntity, {
          where: { ownerId: In([...ids]), status: ManagementStatus.ACTIVE },
          order: { activatedAt: 'ASC', id: 'ASC' },
        });
        return groupByKeys(ids, rows, (row) => row.ownerId!);
      }),
    );
  }
}
