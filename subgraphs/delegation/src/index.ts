import { z } from 'zod';
import { GraphQLContext, SubgraphDefinition, buildFederatedSchema, normalizeMsisdn } from '@selfcare/shared';
import { ManagementRequestEntity, ManagementRequestEventEntity } from './management/entities';
import { GrantStore } from './management/grant-store';
import { ManagementService } from './management/management-service';
import { delegationInternalRoutes } from './management/internal-routes';
import { subscriberRef } from './management/types';
import { delegationResolvers } from './resolvers';
import { DelegationInitial1764500000000 } from './migrations/1764500000000-delegation-initial';

export * from './config';
export * from './management/entities';
export { GrantStore } from './management/grant-store';
export { ManagementService } from './management/management-service';

export const delegationEntities = [ManagementRequestEntity, ManagementRequestEventEntity];
export const delegationMigrations = [DelegationInitial1764500000000];

const provisionedSchema = z.object({ subscriberId: z.string().min(1).max(36), msisdn: z.string().nullable().optional() });

// eslint-disable-next-line @typescript-eslint/no-empty-interface
export interface DelegationSubgraphOptions {}

/** The delegation subgraph: managing another number (terms section 5, 4.2-4.4) and the grants every service asks about. */
export function createDelegationSubgraph(_options: DelegationSubgraphOptions = {}): SubgraphDefinition {
  return {
    name: 'delegation',
    entities: delegationEntities,
    migrations: delegationMigrations,
    // Delegation answers its own AccessPolicy from its tables instead of calling itself over HTTP.
    grantSource: (runtime) => new GrantStore(runtime.database),
    async setup(runtime) {
      const grants = new GrantStore(runtime.database);
      const management = new ManagementService(runtime.database, runtime.accessPolicy, runtime.clock);

      runtime.consume('identity', async (event, manager) => {
        if (event.type !== 'SubscriberProvisioned') return;
        const parsed = provisionedSchema.safeParse(event.payload);
        const msisdn = parsed.success && parsed.data.msisdn ? normalizeMsisdn(parsed.data.msisdn) : null;
        if (!parsed.success || !msisdn) return;
        await management.linkOwner(manager, parsed.data.subscriberId, msisdn);
      });

      const schema = await buildFederatedSchema({
        resolvers: [...delegationResolvers(management)],
        referenceResolvers: {
          Subscriber: { __resolveReference: (reference: { id: string }) => subscriberRef(reference.id) },
          ManagementRequest: {
            __resolveReference: (reference: { id: string }, ctx: GraphQLContext) => management.resolveReference(ctx, reference.id),
          },
        },
      });
      return { schema, routes: delegationInternalRoutes(runtime.platform.internalToken, grants) };
    },
  };
}
