import { GraphQLContext, SubgraphDefinition, billingEvents, buildFederatedSchema, identityEvents } from '@selfcare/shared';
import { AccountEntity, LedgerEntryEntity, SavedCardEntity } from './accounts/entities';
import { AccountService } from './accounts/account-service';
import { BalanceFeed } from './accounts/balance-feed';
import { LedgerService } from './accounts/ledger-service';
import { Subscriber } from './accounts/types';
import { billingResolvers } from './resolvers';
import { BillingInitial1764200000000 } from './migrations/1764200000000-billing-initial';
import { seedBillingDemo } from './seed/demo-seed';

export * from './config';
export * from './accounts/entities';
export { LedgerService, creditLimitFor, isInDebt } from './accounts/ledger-service';
export type { Posting, PostingResult } from './accounts/ledger-service';
export { AccountService } from './accounts/account-service';
export { BalanceChange, BalanceFeed } from './accounts/balance-feed';

export const billingEntities = [AccountEntity, LedgerEntryEntity, SavedCardEntity];
export const billingMigrations = [BillingInitial1764200000000];

// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface BillingSubgraphOptions {}

/** The billing subgraph: personal accounts, the append-only ledger, debt events (terms 2.1, 3.3). */
export function createBillingSubgraph(_options: BillingSubgraphOptions = {}): SubgraphDefinition {
  return {
    name: 'billing',
    entities: billingEntities,
    migrations: billingMigrations,
    async setup(runtime) {
      const ledger = new LedgerService(runtime.database, runtime.outboxFor(billingEvents), runtime.clock);
      const accounts = new AccountService(runtime.database, runtime.accessPolicy);
      const balanceFeed = new BalanceFeed(runtime.database, runtime.accessPolicy, runtime.verifier, runtime.logger, runtime.feeds);

      // Every new line gets its personal account.
      runtime.consume(identityEvents, {
        SubscriberProvisioned: async (line, manager) => {
          await ledger.openAccount(manager, line);
        },
      });

      const schema = await buildFederatedSchema({
        resolvers: [...billingResolvers(accounts, balanceFeed)],
        orphanedTypes: [Subscriber],
        referenceResolvers: {
          Subscriber: { __resolveReference: (reference: { id: string }) => Object.assign(new Subscriber(), { id: reference.id }) },
          Account: { __resolveReference: (reference: { id: string }, ctx: GraphQLContext) => accounts.accountReference(ctx, reference.id) },
        },
      });
      return { schema, seed: () => seedBillingDemo(runtime.database, ledger, runtime.clock) };
    },
  };
}
