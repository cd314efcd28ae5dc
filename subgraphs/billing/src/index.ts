import { z } from 'zod';
import { GraphQLContext, SubgraphDefinition, buildFederatedSchema } from '@selfcare/shared';
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
export { LedgerService, BillingEvents, creditLimitFor, isInDebt } from './accounts/ledger-service';
export type { Posting, PostingResult } from './accounts/ledger-service';
export { AccountService } from './accounts/account-service';
export { BalanceChange, BalanceFeed } from './accounts/balance-feed';

export const billingEntities = [AccountEntity, LedgerEntryEntity, SavedCardEntity];
export const billingMigrations = [BillingInitial1764200000000];

const provisionedSchema = z.object({
  subscriberId: z.string().min(1).max(36),
  kind: z.enum(['MOBILE', 'HOME_INTERNET']),
  partyType: z.enum(['INDIVIDUAL', 'LEGAL_ENTITY']),
});

// eslint-disable-next-line @typescript-eslint/no-empty-interface
export interface BillingSubgraphOptions {}

/** The billing subgraph: personal accounts, the append-only ledger, debt events (terms 2.1, 3.3). */
export function createBillingSubgraph(_options: BillingSubgraphOptions = {}): SubgraphDefinition {
  return {
    name: 'billing',
    entities: billingEntities,
    migrations: billingMigrations,
    async setup(runtime) {
      const ledger = new LedgerService(runtime.database, runtime.outbox, runtime.clock);
      const accounts = new AccountService(runtime.database, runtime.accessPolicy);
      const balanceFeed = new BalanceFeed(runtime.database, runtime.accessPolicy, runtime.verifier, runtime.logger, runtime.feeds);

      // Every new line gets its personal account.
      runtime.consume('identity', async (event, manager) => {
        if (event.type !== 'SubscriberProvisioned') return;
        const parsed = provisionedSchema.safeParse(event.payload);
        if (!parsed.success) {
          runtime.logger.error({ eventId: event.id, issues: parsed.error.issues }, 'malformed SubscriberProvisioned skipped');
          return;
        }
        await ledger.openAccount(manager, parsed.data);
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
