import type { Express } from 'express';
import { GraphQLContext, PersonalDataErasure, SubgraphRuntime, billingEvents, identityEvents } from '@selfcare/shared';
import type { LedgerService } from '../accounts/ledger-service';
import { AutopayService } from '../autopay/autopay-service';
import { autopayEraser } from '../autopay/erasure';
import { cardsEraser } from '../cards/erasure';
import { CardService } from '../cards/card-service';
import { TrustService } from '../trust/trust-service';
import { linesEraser, transfersEraser } from '../transfers/erasure';
import { LineDirectory } from '../transfers/lines';
import { TransferService } from '../transfers/transfer-service';
import { AfterCommit } from './after-commit';
import type { PaymentsSettings } from './config';
import { paymentsEraser } from './erasure';
import { PaymentService } from './payment-service';
import { CardProviderClient } from './provider';
import { PaymentReconciler } from './reconciler';
import { paymentsResolvers } from './resolvers';
import { mountWebhook } from './webhook';

export type PaymentsModule = ReturnType<typeof createPayments>;

/**
 * Card payments and everything built on them, wired once per billing instance: the provider adapter, payments and
 * their reconciliation, the webhook route, saved cards, autopay, trust payment and transfers. billing's index.ts
 * spreads what this returns into its schema, routes, seed and background jobs.
 */
export function createPayments(runtime: SubgraphRuntime, ledger: LedgerService, settings: PaymentsSettings, erasure: PersonalDataErasure) {
  const { database, accessPolicy, clock, logger } = runtime;
  const outbox = runtime.outboxFor(billingEvents);
  const provider = new CardProviderClient(settings.provider, logger);
  const afterCommit = new AfterCommit();
  const payments = new PaymentService(database, accessPolicy, ledger, outbox, provider, settings, clock, logger);
  const reconciler = new PaymentReconciler(payments, settings.reconcileIntervalMs, settings.reconcileMaxBackoffMs, clock, logger);
  payments.onScheduled = (when) => reconciler.scheduleAt(when);
  const cards = new CardService(database, accessPolicy, outbox, provider, afterCommit, clock, logger);
  const autopay = new AutopayService(database, accessPolicy, payments, outbox, afterCommit, settings, clock, logger, () => reconciler.poke());
  const trust = new TrustService(database, accessPolicy, ledger, outbox, settings, clock, logger);
  const lines = new LineDirectory(database, runtime.internal, clock, logger);
  const transfers = new TransferService(database, accessPolicy, ledger, outbox, runtime.notifications, lines, settings, clock);
  payments.addListener(trust);
  payments.addListener(autopay);
  cards.onRemoved(autopay);

  // billing's view of the lines (transfers: msisdn → subscriber, SMS language).
  runtime.consume(identityEvents, {
    SubscriberProvisioned: (line, manager) => lines.provisioned(manager, line),
    SubscriberLanguageChanged: ({ subscriberId, language }, manager) => lines.languageChanged(manager, subscriberId, language),
    AccessStatusChanged: ({ subscriberId, status }, manager) => lines.accessChanged(manager, subscriberId, status),
  });
  // terms 2.11: the line's number first (the others are told what it was), then each module's own data.
  erasure.register('billing_lines', linesEraser(lines));
  erasure.register('transfers', transfersEraser());
  erasure.register('payments', paymentsEraser());
  erasure.register('cards', cardsEraser(provider, afterCommit, logger));
  erasure.register('autopay', autopayEraser());
  // Autopay follows billing's own ledger postings.
  runtime.consume(billingEvents, { BalanceChanged: { many: (changes, manager) => autopay.balanceChangedMany(changes, manager) } });
  runtime.onStop(async () => {
    await reconciler.stop();
    await trust.stop();
    lines.stop();
  });

  return {
    services: { payments, reconciler, cards, autopay, trust, transfers, lines, provider },
    resolvers: paymentsResolvers({ payments, cards, autopay, trust, transfers }),
    referenceResolvers: {
      Payment: { __resolveReference: (reference: { id: string }, ctx: GraphQLContext) => payments.payment(ctx, reference.id) },
      BalanceTransfer: { __resolveReference: (reference: { id: string }, ctx: GraphQLContext) => transfers.reference(ctx, reference.id) },
    },
    // The signature's timestamp is transport time (the provider's clock), not business time.
    routes: (app: Express) => mountWebhook(app, { secret: settings.provider.secret, toleranceSeconds: settings.webhookToleranceSeconds, handler: payments, logger, now: () => new Date() }),
    seed: () => lines.seedDemo(),
    start: async () => {
      reconciler.start();
      trust.start(settings.reconcileIntervalMs, settings.reconcileMaxBackoffMs);
      lines.startBackfill();
    },
  };
}
