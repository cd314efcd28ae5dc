import { GraphQLContext, PersonalDataErasure, SubgraphDefinition, billingEvents, buildFederatedSchema, identityEvents } from '@selfcare/shared';
import type { Express } from 'express';
import { AccountEntity, LedgerEntryEntity, SavedCardEntity } from './accounts/entities';
import { AccountService } from './accounts/account-service';
import { BalanceFeed } from './accounts/balance-feed';
import { LedgerService } from './accounts/ledger-service';
import { RecentLedgerEntries } from './accounts/recent-entries';
import { Subscriber } from './accounts/types';
import { billingResolvers } from './resolvers';
import { BillingInitial1764200000000 } from './migrations/1764200000000-billing-initial';
import { seedBillingDemo } from './seed/demo-seed';
// orders: charges, periodic fees, credit limits
import { RefusedChargeEntity } from './charges/entities';
import { FeeRunEntity } from './fees/entities';
import { ChargeService } from './charges/charge-service';
import { chargeRoutes } from './charges/internal-routes';
import { FeeRun } from './fees/fee-run';
import { creditLimitResolvers } from './accounts/credit-limits';
import { BillingCharges1764650000000 } from './migrations/1764650000000-billing-charges';
import { randomBytes } from 'node:crypto';
import { paymentsEntities } from './payments/entity-list';
import { BillingPayments1764700000000 } from './migrations/1764700000000-billing-payments';
import { PaymentsSettings, defaultPaymentsSettings } from './payments/config';
import { createPayments } from './payments/module';
// usage charges from detailing's rating
import { consumeUsageCharges } from './usage-charges/usage-charges';

export * from './config';
export * from './accounts/entities';
export { LedgerService, isInDebt } from './accounts/ledger-service';
export type { Posting, PostingResult } from './accounts/ledger-service';
export { AccountService } from './accounts/account-service';
export { BalanceChange, BalanceFeed } from './accounts/balance-feed';
// orders: charges, periodic fees
export { RefusedChargeEntity } from './charges/entities';
export { FeeRunEntity } from './fees/entities';
export { ChargeService } from './charges/charge-service';
export { FeeRun } from './fees/fee-run';
export * from './payments/exports';
export { UsageCharges } from './usage-charges/usage-charges';

export const billingEntities = [AccountEntity, LedgerEntryEntity, SavedCardEntity, RefusedChargeEntity, FeeRunEntity, ...paymentsEntities];
export const billingMigrations = [BillingInitial1764200000000, BillingCharges1764650000000, BillingPayments1764700000000];

export interface BillingSubgraphOptions {
  // orders: charges, periodic fees, credit limits
  /** How often the periodic-fee run looks for days that ended (BILLING_FEE_RUN_INTERVAL_SECONDS); 0: only when asked. Default 5 min. */
  feeRunIntervalMs?: number;
  /** Lines per page of the fee run (BILLING_FEE_RUN_PAGE_SIZE); default 200. */
  feeRunPageSize?: number;
  /** Credit limit of a new account until staff set one (BILLING_DEFAULT_CREDIT_LIMIT); default 0. */
  defaultCreditLimitMinor?: number;
  /** Charges to one account posted in one transaction at most (BILLING_POSTING_BATCH); default 100. */
  postingBatch?: number;
  /** Card payments, autopay, trust payment, transfers; default: every setting's default, a provider at 127.0.0.1:4020 and a random secret. */
  payments?: PaymentsSettings;
}

/** What a running billing exposes to tests and the benchmark. */
export interface BillingSubgraph extends SubgraphDefinition {
  readonly services: { ledger: LedgerService; charges: ChargeService; fees: FeeRun; erasure: PersonalDataErasure };
}

/** The billing subgraph: personal accounts, the append-only ledger, debt events (terms 2.1, 3.3), charges and fees, card payments. */
export function createBillingSubgraph(options: BillingSubgraphOptions = {}): BillingSubgraph {
  let services: BillingSubgraph['services'] | null = null;
  return {
    name: 'billing',
    entities: billingEntities,
    migrations: billingMigrations,
    get services() {
      if (!services) throw new Error('the billing subgraph has not been set up (start it first)');
      return services;
    },
    async setup(runtime) {
      const outbox = runtime.outboxFor(billingEvents);
      const recent = new RecentLedgerEntries();
      const ledger = new LedgerService(runtime.database, outbox, runtime.clock, options.defaultCreditLimitMinor ?? 0, recent);
      const accounts = new AccountService(runtime.database, runtime.accessPolicy);
      const balanceFeed = new BalanceFeed(runtime.database, runtime.accessPolicy, runtime.verifier, runtime.logger, runtime.feeds, recent);
      // orders: charges, periodic fees
      const charges = new ChargeService(runtime.database, ledger, runtime.clock, options.postingBatch ?? 100);
      const fees = new FeeRun(runtime.database, ledger, runtime.internal, runtime.clock, runtime.logger, {
        intervalMs: options.feeRunIntervalMs ?? 300_000,
        pageSize: options.feeRunPageSize ?? 200,
        leaseMs: 60_000,
      });
      runtime.onStop(() => fees.stop());
      // terms 2.11: one consumer of identity's SubscriberDataErased runs every module's eraser in one transaction.
      const erasure = new PersonalDataErasure();
      const payments = createPayments(runtime, ledger, options.payments ?? defaultPaymentsSettings({ url: () => 'http://127.0.0.1:4020', secret: randomBytes(24).toString('hex') }), erasure);
      erasure.consume(runtime);
      services = { ledger, charges, fees, erasure };

      consumeUsageCharges(runtime, ledger);

      // Every new line gets its personal account.
      runtime.consume(identityEvents, {
        SubscriberProvisioned: async (line, manager) => {
          await ledger.openAccount(manager, line);
        },
      });

      const schema = await buildFederatedSchema({
        resolvers: [...billingResolvers(accounts, balanceFeed), ...creditLimitResolvers(runtime.database, ledger, outbox), ...payments.resolvers],
        orphanedTypes: [Subscriber],
        referenceResolvers: {
          Subscriber: { __resolveReference: (reference: { id: string }) => Object.assign(new Subscriber(), { id: reference.id }) },
          Account: { __resolveReference: (reference: { id: string }, ctx: GraphQLContext) => accounts.accountReference(ctx, reference.id) },
          ...payments.referenceResolvers,
        },
      });
      const orderRoutes = chargeRoutes(runtime.platform.internalToken, charges, fees);
      return {
        schema,
        routes: (app: Express) => {
          orderRoutes(app);
          payments.routes(app);
        },
        seed: async () => {
          await seedBillingDemo(runtime.database, ledger, runtime.clock);
          await payments.seed();
        },
        start: async () => {
          await fees.start();
          await payments.start();
        },
      };
    },
  };
}
