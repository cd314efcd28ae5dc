import { GraphQLContext, SubgraphDefinition, billingEvents, buildFederatedSchema, identityEvents } from '@selfcare/shared';
import { AccountEntity, LedgerEntryEntity, SavedCardEntity } from './accounts/entities';
import { AccountService } from './accounts/account-service';
import { BalanceFeed } from './accounts/balance-feed';
import { LedgerService } from './accounts/ledger-service';
import { Subscriber } from './accounts/types';
import { billingResolvers } from './resolvers';
import { BillingInitial1764200000000 } from './migrations/1764200000000-billing-initial';
import { seedBillingDemo } from './seed/demo-seed';
import { randomBytes } from 'node:crypto';
import { paymentsEntities } from './payments/entity-list';
import { BillingPayments1764700000000 } from './migrations/1764700000000-billing-payments';
import { PaymentsSettings, defaultPaymentsSettings } from './payments/config';
import { createPayments } from './payments/module';

export * from './config';
export * from './accounts/entities';
export { LedgerService, creditLimitFor, isInDebt } from './accounts/ledger-service';
export type { Posting, PostingResult } from './accounts/ledger-service';
export { AccountService } from './accounts/account-service';
export { BalanceChange, BalanceFeed } from './accounts/balance-feed';
export * from './payments/exports';

export const billingEntities = [AccountEntity, LedgerEntryEntity, SavedCardEntity, ...paymentsEntities];
export const billingMigrations = [BillingInitial1764200000000, BillingPayments1764700000000];

export interface BillingSubgraphOptions {
  /** Card payments, autopay, trust payment, transfers; default: every setting's default, a provider at 127.0.0.1:4020 and a random secret. */
  payments?: PaymentsSettings;
}

/** The billing subgraph: personal accounts, the append-only ledger, debt events, card payments (terms 2.1, 3.3). */
export function createBillingSubgraph(options: BillingSubgraphOptions = {}): SubgraphDefinition {
  return {
    name: 'billing',
    entities: billingEntities,
    migrations: billingMigrations,
    async setup(runtime) {
      const ledger = new LedgerService(runtime.database, runtime.outboxFor(billingEvents), runtime.clock);
      const accounts = new AccountService(runtime.database, runtime.accessPolicy);
      const balanceFeed = new BalanceFeed(runtime.database, runtime.accessPolicy, runtime.verifier, runtime.logger, runtime.feeds);
      const payments = createPayments(runtime, ledger, options.payments ?? defaultPaymentsSettings({ url: () => 'http://127.0.0.1:4020', secret: randomBytes(24).toString('hex') }));

      // Every new line gets its personal account.
      runtime.consume(identityEvents, {
        SubscriberProvisioned: async (line, manager) => {
          await ledger.openAccount(manager, line);
        },
      });

      const schema = await buildFederatedSchema({
        resolvers: [...billingResolvers(accounts, balanceFeed), ...payments.resolvers],
        orphanedTypes: [Subscriber],
        referenceResolvers: {
          Subscriber: { __resolveReference: (reference: { id: string }) => Object.assign(new Subscriber(), { id: reference.id }) },
          Account: { __resolveReference: (reference: { id: string }, ctx: GraphQLContext) => accounts.accountReference(ctx, reference.id) },
          ...payments.referenceResolvers,
        },
      });
      return {
        schema,
        seed: async () => {
          await seedBillingDemo(runtime.database, ledger, runtime.clock);
          await payments.seed();
        },
        routes: payments.routes,
        start: payments.start,
      };
    },
  };
}
