import { GraphQLContext, SubgraphDefinition, buildFederatedSchema, identityEvents, normalizeMsisdn } from '@selfcare/shared';
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

/** The delegation subgraph: managing another number (terms 5, 4.2-4.4) and the grants every service asks about. */
export function createDelegationSubgraph(): SubgraphDefinition {
  return {
    name: 'delegation',
    entities: delegationEntities,
    migrations: delegationMigrations,
    // Delegation answers its own AccessPolicy from its tables instead of calling itself over HTTP.
    grantSource: (runtime) => new GrantStore(runtime.database),
    async setup(runtime) {
      const grants = new GrantStore(runtime.database);
      const management = new ManagementService(runtime.database, runtime.accessPolicy, runtime.clock);

      runtime.consume(identityEvents, {
        // A line without a number (home internet) or with one that is no Kazakhstan number cannot be named by a request.
        SubscriberProvisioned: async (line, manager) => {
          const msisdn = line.msisdn ? normalizeMsisdn(line.msisdn) : null;
          if (msisdn) await management.linkOwner(manager, line.subscriberId, msisdn);
        },
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
