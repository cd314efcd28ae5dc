import { GraphQLContext, PersonalDataErasure, SubgraphDefinition, buildFederatedSchema, delegationEvents, identityEvents, normalizeMsisdn } from '@selfcare/shared';
import { DEFAULT_DELEGATION_SETTINGS, DelegationSettings } from './config';
import { InboundSmsEntity, ManagementFeedEntity, ManagementFeedHeadEntity, ManagementLookupEntity, ManagementRequestEntity, ManagementRequestEventEntity } from './management/entities';
import { ManagementFeed } from './management/feed';
import { GrantStore } from './management/grant-store';
import { inboundSmsRoute } from './management/inbound-sms';
import { managementEraser } from './management/erasure';
import { ManagementService } from './management/management-service';
import { ManagementProcedure } from './management/procedure';
import { delegationInternalRoutes } from './management/internal-routes';
import { subscriberRef } from './management/types';
import { delegationResolvers } from './resolvers';
import { DelegationInitial1764500000000 } from './migrations/1764500000000-delegation-initial';
import { DelegationProcedure1764800000000 } from './migrations/1764800000000-delegation-procedure';

export * from './config';
export * from './management/entities';
export { GrantStore } from './management/grant-store';
export { ManagementService } from './management/management-service';
export { managementEraser } from './management/erasure';
export { ManagementProcedure, MAX_ATTEMPTS, SHORT_NUMBER } from './management/procedure';
export type { InboundOutcome, InboundSms } from './management/procedure';
export { ManagementFeed, feedKey } from './management/feed';
export { inboundSignature } from './management/inbound-sms';
export { CODE_LENGTH, normalizeCode } from './management/codes';
export { OFFER_VERSION } from './management/texts';

export const delegationEntities = [ManagementRequestEntity, ManagementRequestEventEntity, ManagementFeedEntity, ManagementFeedHeadEntity, InboundSmsEntity, ManagementLookupEntity];
export const delegationMigrations = [DelegationInitial1764500000000, DelegationProcedure1764800000000];

export interface DelegationSubgraphOptions {
  /** Pace of the procedure (rate limits, time to confirm, the expiry job); default DEFAULT_DELEGATION_SETTINGS. */
  settings?: Partial<DelegationSettings>;
  /** Run the expiry job (default true); tests drive `procedure.expireDue()` themselves. */
  backgroundJobs?: boolean;
}

/** The running subgraph's procedure, for tests and tools (set once `setup` ran). */
export interface DelegationSubgraph extends SubgraphDefinition {
  procedure?: ManagementProcedure;
}

/** The delegation subgraph: managing another number (terms 5, 4.2-4.4) and the grants every service asks about. */
export function createDelegationSubgraph(options: DelegationSubgraphOptions = {}): DelegationSubgraph {
  const settings: DelegationSettings = { ...DEFAULT_DELEGATION_SETTINGS, ...(options.settings ?? {}) };
  const definition: DelegationSubgraph = {
    name: 'delegation',
    entities: delegationEntities,
    migrations: delegationMigrations,
    // Delegation answers its own AccessPolicy from its tables instead of calling itself over HTTP.
    grantSource: (runtime) => new GrantStore(runtime.database),
    async setup(runtime) {
      const secret = runtime.platform.smsCentreSecret;
      if (!secret) throw new Error('delegation needs the SMS centre secret (SMS_CENTRE_SECRET) to verify inbound SMS to 4259');
      const grants = new GrantStore(runtime.database);
      const feed = new ManagementFeed(runtime.database, runtime.verifier, runtime.logger, runtime.feeds);
      const management = new ManagementService(runtime.database, runtime.accessPolicy, runtime.clock, feed);
      const procedure = new ManagementProcedure(
        runtime.database,
        runtime.outboxFor(delegationEvents),
        runtime.notifications,
        runtime.internal,
        feed,
        runtime.clock,
        settings,
        runtime.logger,
      );
      definition.procedure = procedure;

      runtime.consume(identityEvents, {
        // A line without a number (home internet) or with one that is no Kazakhstan number cannot be named by a request.
        SubscriberProvisioned: async (line, manager) => {
          const msisdn = line.msisdn ? normalizeMsisdn(line.msisdn) : null;
          if (msisdn) await procedure.linkOwner(manager, line.subscriberId, msisdn, line.language);
        },
        SubscriberLanguageChanged: async ({ subscriberId, language }, manager) => {
          await procedure.languageChanged(manager, subscriberId, language);
        },
        AccessStatusChanged: async ({ subscriberId, status }, manager) => {
          if (status === 'TERMINATED') await procedure.contractEnded(manager, subscriberId);
        },
      });
      // terms 2.11: identity's SubscriberDataErased, in the same consumer's one transaction.
      const erasure = new PersonalDataErasure();
      erasure.register('management', managementEraser(procedure));
      erasure.consume(runtime);

      let expiryTimer: NodeJS.Timeout | null = null;
      let expiring: Promise<unknown> = Promise.resolve();
      runtime.onStop(async () => {
        if (expiryTimer) clearInterval(expiryTimer);
        await expiring.catch(() => undefined);
      });

      const schema = await buildFederatedSchema({
        resolvers: [...delegationResolvers(management, procedure, feed)],
        referenceResolvers: {
          Subscriber: { __resolveReference: (reference: { id: string }) => subscriberRef(reference.id) },
          ManagementRequest: {
            __resolveReference: (reference: { id: string }, ctx: GraphQLContext) => management.resolveReference(ctx, reference.id),
          },
        },
      });
      const internalRoutes = delegationInternalRoutes(runtime.platform.internalToken, grants);
      const inbound = inboundSmsRoute(runtime.platform.internalToken, secret, procedure, runtime.logger);
      return {
        schema,
        routes: (app) => {
          internalRoutes(app);
          inbound(app);
        },
        start: async () => {
          if (options.backgroundJobs === false) return;
          // Unconfirmed requests and unused activation codes end when their time is up (terms 5.6: 24 hours).
          let busy = false;
          expiryTimer = setInterval(() => {
            if (busy) return;
            busy = true;
            expiring = procedure
              .expireDue()
              .then(() => procedure.housekeeping())
              .catch((error) => runtime.logger.warn({ err: error }, 'expiring management requests failed; retrying at the next tick'))
              .finally(() => (busy = false));
          }, settings.expiryIntervalMs);
          expiryTimer.unref();
        },
      };
    },
  };
  return definition;
}
