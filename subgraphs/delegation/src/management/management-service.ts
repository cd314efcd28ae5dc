import DataLoader from 'dataloader';
import { In } from 'typeorm';
import { AccessPolicy, Clock, Database, ErrorCode, GraphQLContext, byKeys, groupByKeys, requireSubscriber } from '@selfcare/shared';
import { DelegationError } from '../errors';
import { ManagementRequestEntity, ManagementStatus } from './entities';
import type { ManagementFeed } from './feed';
import { ManagementRequest, Subscriber, subscriberRef } from './types';

/** The newest requests a list shows (open ones are among them: at most a few a day can be made, see the limits). */
export const LIST_LIMIT = 100;

/**
 * Read side of delegation: the owner's and the requester's views of requests (terms 5.1), the grants in force
 * (ACTIVE), and each request as an entity for the other subgraphs.
 */
export class ManagementService {
  constructor(
    private readonly database: Database,
    private readonly accessPolicy: AccessPolicy,
    private readonly clock: Clock,
    private readonly feed: ManagementFeed,
  ) {}

  /** terms 5.1: requests to manage the caller's number, shown in the owner's cabinet, newest first. */
  incoming(ctx: GraphQLContext): Promise<ManagementRequest[]> {
    return this.list(ctx, 'ownerId');
  }

  /** The requester's view of the requests they sent, newest first. */
  outgoing(ctx: GraphQLContext): Promise<ManagementRequest[]> {
    return this.list(ctx, 'requesterId');
  }

  /**
   * Each item carries the caller's feed position as read before the list: subscribing after it misses nothing that
   * changed since (a change between the two reads comes once more, as an event).
   */
  private async list(ctx: GraphQLContext, party: 'ownerId' | 'requesterId'): Promise<ManagementRequest[]> {
    const caller = requireSubscriber(ctx);
    const head = await this.feed.head(caller.subscriberId);
    const rows = await this.database.manager.find(ManagementRequestEntity, { where: { [party]: caller.subscriberId }, order: { createdAt: 'DESC', id: 'DESC' }, take: LIST_LIMIT });
    const cursor = this.feed.cursor(caller.subscriberId, head);
    return rows.map((row) => Object.assign(this.toGraphQL(row), { cursor }));
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
   * The status a reader sees: a code whose time ran out is EXPIRED even before a write records it
   * (terms 5.6: the activation code is valid 24 hours).
   */
  effectiveStatus(row: ManagementRequestEntity, now: Date): ManagementStatus {
    if (row.status === ManagementStatus.AWAITING_CONFIRMATION && row.confirmationExpiresAt && row.confirmationExpiresAt <= now) return ManagementStatus.EXPIRED;
    if (row.status === ManagementStatus.CONFIRMED && row.activationExpiresAt && row.activationExpiresAt <= now) return ManagementStatus.EXPIRED;
    return row.status;
  }

  /** `as` shows the request at one of its changes (a subscription event): its status then and the feed position. */
  toGraphQL(row: ManagementRequestEntity, as?: { status: ManagementStatus; cursor: string }): ManagementRequest {
    const current = this.effectiveStatus(row, this.clock.now());
    const status = as?.status ?? current;
    return Object.assign(new ManagementRequest(), {
      id: row.id,
      status,
      requester: subscriberRef(row.requesterId),
      ownerMsisdn: row.ownerMsisdn,
      owner: row.ownerId ? subscriberRef(row.ownerId) : null,
      createdAt: row.createdAt,
      activationExpiresAt: row.activationExpiresAt,
      attemptsLeft: status === ManagementStatus.CONFIRMED && current === ManagementStatus.CONFIRMED ? row.activationAttemptsLeft : null,
      confirmedAt: row.confirmedAt,
      activatedAt: row.activatedAt,
      endedAt: row.endedAt,
      cursor: as?.cursor ?? null,
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
