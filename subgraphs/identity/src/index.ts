import type { Express } from 'express';
import { buildFederatedSchema, DomainEvent, GraphQLContext, localJwksSource, SubgraphDefinition, SubgraphRuntime } from '@selfcare/shared';
import type { EntityManager } from 'typeorm';
import { authResolvers } from './auth/auth.resolver';
import { RateLimitEntity } from './auth/rate-limit.entity';
import { EmailVerificationEntity } from './email/email-verification.entity';
import { emailResolvers } from './email/email.resolver';
import { mountEmailRoutes } from './email/email.routes';
import { identityFeatureModules } from './features';
import { featureEntities, featureMigrations } from './features-schema';
import { IdentityCore1764100000000 } from './migrations/1764100000000-identity-core';
import { seedDemoSubscribers } from './seed/demo-seed';
import { createIdentityServices, IdentityServices } from './services';
import { RefreshTokenEntity, SessionEntity } from './sessions/session.entity';
import { IdentityOptions, resolveSettings } from './settings';
import { StaffAccountEntity } from './staff/staff-account.entity';
import { staffResolvers } from './staff/staff.resolver';
import { SubscriberEntity } from './subscribers/subscriber.entity';
import { loadSubscriber } from './subscribers/subscriber.loader';
import { subscriberResolvers } from './subscribers/subscriber.resolver';
import { toSubscriberReference } from './subscribers/subscriber.type';

export * from './settings';
export { DEFAULT_SCRYPT_PARAMS, PasswordHasher } from './auth/kdf';
export type { ScryptParams } from './auth/kdf';
export { parseStaffAccounts } from './staff/staff-config';
export { loadIdentityConfig } from './config';
export type { IdentityServices } from './services';

// eslint-disable-next-line @typescript-eslint/ban-types
export const identityCoreEntities: Function[] = [SubscriberEntity, SessionEntity, RefreshTokenEntity, StaffAccountEntity, RateLimitEntity, EmailVerificationEntity];
// eslint-disable-next-line @typescript-eslint/ban-types
export const identityCoreMigrations: Function[] = [IdentityCore1764100000000];

/** Demo staff accounts of the embedded default (clear passwords are refused in production). */
export const DEMO_STAFF_ACCOUNTS = [
  { login: 'operator', role: 'OPERATOR' as const, password: 'Operator-2026!' },
  { login: 'admin', role: 'ADMIN' as const, password: 'Admin-2026!' },
];

/** Housekeeping: expired rate-limit buckets and refresh tokens. */
const PURGE_INTERVAL_MS = 10 * 60_000;

/** billing's debt events (terms 3.3): access is suspended while a debt is unpaid and restored when it is settled. */
export async function handleBillingEvent(services: IdentityServices, event: DomainEvent, manager: EntityManager): Promise<void> {
  const subscriberId = typeof event.payload.subscriberId === 'string' ? event.payload.subscriberId : null;
  if (!subscriberId) return;
  if (event.type === 'DebtIncurred') await services.access.debtIncurred(manager, subscriberId);
  else if (event.type === 'DebtSettled') await services.access.debtSettled(manager, subscriberId);
}

/**
 * The identity subgraph: subscribers, registration and login, sessions, access status, staff operations (core),
 * plus consents, terms, notices, activity, retention and preferences (features module). Identity signs access
 * tokens with its Ed25519 key, publishes the public half at /.well-known/jwks.json and verifies its own tokens
 * from memory.
 */
export function createIdentitySubgraph(options: IdentityOptions): SubgraphDefinition {
  const settings = resolveSettings(options);
  const publicKeys = [settings.signingKey.publicJwk, ...settings.previousPublicKeys];
  return {
    name: 'identity',
    entities: [...identityCoreEntities, ...featureEntities],
    migrations: [...identityCoreMigrations, ...featureMigrations],
    keySource: () => localJwksSource(publicKeys),
    async setup(runtime: SubgraphRuntime) {
      // The embedded default comes with demo staff accounts unless configured otherwise; production never does.
      const demoStaff = settings.staffAccounts.length === 0 && runtime.platform.mode === 'all-in-one' && !runtime.platform.production;
      const services = createIdentityServices(runtime, demoStaff ? { ...settings, staffAccounts: DEMO_STAFF_ACCOUNTS } : settings);
      const features = identityFeatureModules(runtime);
      await services.staffAuth.syncFromConfiguration();

      // Handlers of one stream (debt events here, ActivityRecorded in the features module) share one consumer
      // and run in one transaction; each ignores the event types it does not know.
      runtime.consume('billing', (event, manager) => handleBillingEvent(services, event, manager));
      features.registerConsumers?.();

      const resolvers = [
        ...subscriberResolvers(services),
        ...authResolvers(services),
        ...emailResolvers(services),
        ...staffResolvers(services),
        ...features.resolvers,
      ];
      const schema = await buildFederatedSchema({
        resolvers: resolvers as [Function, ...Function[]],
        orphanedTypes: features.orphanedTypes,
        referenceResolvers: {
          Subscriber: {
            __resolveReference: async (reference: { id: string }, ctx: GraphQLContext) => {
              const entity = await loadSubscriber(ctx, runtime.database, reference.id);
              return entity ? toSubscriberReference(entity) : null;
            },
          },
        },
      });

      let purgeTimer: NodeJS.Timeout | null = null;
      runtime.onStop(async () => {
        if (purgeTimer) clearInterval(purgeTimer);
      });

      return {
        schema,
        routes: (app: Express) => {
          app.get('/.well-known/jwks.json', (_req, res) => {
            res.setHeader('cache-control', 'public, max-age=300');
            res.json({ keys: publicKeys });
          });
          mountEmailRoutes(app, services.email, runtime.logger);
          features.routes?.(app);
        },
        seed: async () => {
          await seedDemoSubscribers(runtime, services);
          await features.seed?.();
        },
        start: async () => {
          purgeTimer = setInterval(() => {
            void Promise.all([services.limiter.purge(24 * 3600_000), services.sessions.purgeTokens()]).catch((error) =>
              runtime.logger.warn({ err: error }, 'identity housekeeping failed'),
            );
          }, PURGE_INTERVAL_MS);
          purgeTimer.unref();
          await features.start?.();
        },
      };
    },
  };
}
