import DataLoader from 'dataloader';
import type { GraphQLContext } from '../graphql/context';
import { requireSubscriber } from '../graphql/guards';
import { DomainError } from '../errors/domain-error';
import { ErrorCode } from '../errors/error-code';

/** Answers "may this manager manage these numbers now?" (terms 4.2/4.3, section 5); delegation owns the answer. */
export interface ManagementGrantSource {
  managedBy(managerId: string, subscriberIds: readonly string[]): Promise<boolean[]>;
}

export interface NumberAccess {
  subscriberId: string;
  /** true when the caller acts through number management (section 5), not as the owner */
  viaManagement: boolean;
  actorId: string;
}

/**
 * The one place that decides whether a subscriber caller may act on a number: their own, or one whose
 * management was handed to them (4.3: "everything the owner can"). 2.5: nobody else, staff included.
 */
export class AccessPolicy {
  constructor(private readonly grants: ManagementGrantSource) {}

  async assertMayManage(ctx: GraphQLContext, subscriberId: string): Promise<NumberAccess> {
    const caller = requireSubscriber(ctx);
    if (caller.subscriberId === subscriberId) return { subscriberId, viaManagement: false, actorId: caller.subscriberId };
    const loader = ctx.loaders.get<string, boolean>(
      'accessPolicy.managed',
      () => new DataLoader<string, boolean>((ids) => this.grants.managedBy(caller.subscriberId, ids)),
    );
    if (await loader.load(subscriberId)) return { subscriberId, viaManagement: true, actorId: caller.subscriberId };
    throw new DomainError(ErrorCode.FORBIDDEN);
  }

  /** The owner alone (e.g. sessions, 4.4 revocation): management does not reach these. */
  assertOwner(ctx: GraphQLContext, subscriberId: string): NumberAccess {
    const caller = requireSubscriber(ctx);
    if (caller.subscriberId !== subscriberId) throw new DomainError(ErrorCode.FORBIDDEN);
    return { subscriberId, viaManagement: false, actorId: caller.subscriberId };
  }
}
