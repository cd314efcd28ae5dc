import type { Express } from 'express';
import { localJwksSource, SubgraphDefinition, SubgraphRuntime } from '@selfcare/shared';
import { createIdentityServices, IdentityServices } from './composition';
import { mountEmailRoutes } from './email/email.routes';
import { mountInternalRoutes } from './internal/internal.routes';
import { mountLineLookupRoute } from './internal/line-lookup.routes';
import { buildIdentitySchema, identityEntities, identityMigrations } from './schema';
import { seedDemoData } from './seed/demo-seed';
import { IdentityOptions, resolveSettings } from './settings';
import { mountUnsubscribeRoutes } from './unsubscribe/unsubscribe.routes';

export * from './settings';
export type { Actor } from './common/actor';
export { DEFAULT_SCRYPT_PARAMS, PasswordHasher } from './auth/kdf';
export type { ScryptParams } from './auth/kdf';
export { parseStaffAccounts } from './staff/staff-config';
export { identityEnvShape, identityOptionsFromEnv, loadIdentityConfig } from './config';
export type { IdentityConfig } from './config';
export type { IdentityServices } from './composition';
export { identityEntities, identityMigrations } from './schema';

/** Demo staff accounts of the embedded default (clear passwords are refused in production). */
export const DEMO_STAFF_ACCOUNTS = [
  { login: 'operator', role: 'OPERATOR' as const, password: 'Operator-2026!' },
  { login: 'admin', role: 'ADMIN' as const, password: 'Admin-2026!' },
];

/** Housekeeping: expired rate-limit buckets, forgotten login addresses and refresh tokens. */
const PURGE_INTERVAL_MS = 10 * 60_000;

/** The identity subgraph definition; once set up, `services` are the running subgraph's (tests, the benchmark). */
export interface IdentitySubgraph extends SubgraphDefinition {
  readonly services: IdentityServices;
}

/**
 * The identity subgraph: subscribers, registration and login, sessions, access status, staff operations, consents,
 * terms, notices, activity, retention and preferences — one module per folder, every service built once by the
 * composition root. Identity signs access tokens with its Ed25519 key, publishes the public half at
 * /.well-known/jwks.json and verifies its own tokens from memory.
 */
export function createIdentitySubgraph(options: IdentityOptions): IdentitySubgraph {
  const settings = resolveSettings(options);
  const publicKeys = [settings.signingKey.publicJwk, ...settings.previousPublicKeys];
  let services: IdentityServices | null = null;
  return {
    name: 'identity',
    entities: identityEntities,
    migrations: identityMigrations,
    keySource: () => localJwksSource(publicKeys),
    get services(): IdentityServices {
      if (!services) throw new Error('the identity subgraph has not been set up (start it first)');
      return services;
    },
    async setup(runtime: SubgraphRuntime) {
      // The embedded default comes with demo staff accounts unless configured otherwise; production never does.
      const demoStaff = settings.staffAccounts.length === 0 && runtime.platform.mode === 'all-in-one' && !runtime.platform.production;
      const running = await createIdentityServices(runtime, demoStaff ? { ...settings, staffAccounts: DEMO_STAFF_ACCOUNTS } : settings);
      services = running;
      await running.staffAuth.syncFromConfiguration();

      // Handlers of one stream share one consumer and run in one transaction; each ignores the event types it does not know.
      running.access.registerConsumers();
      running.activity.registerConsumers();
      running.requestedNotices.registerConsumers();

      const schema = await buildIdentitySchema(running);

      let purgeTimer: NodeJS.Timeout | null = null;
      runtime.onStop(async () => {
        if (purgeTimer) clearInterval(purgeTimer);
        await running.broadcasts.stop();
        await running.retention.stop();
        await running.revocations.stop();
      });

      return {
        schema,
        routes: (app: Express) => {
          app.get('/.well-known/jwks.json', (_req, res) => {
            res.setHeader('cache-control', 'public, max-age=300');
            res.json({ keys: publicKeys });
          });
          mountEmailRoutes(app, running);
          mountUnsubscribeRoutes(app, running);
          mountInternalRoutes(app, running);
          mountLineLookupRoute(app, running);
        },
        seed: () => seedDemoData(running),
        start: async () => {
          // Not a background job: until the store holds identity's revocations, every service refuses tokens.
          await running.revocations.start();
          if (!settings.backgroundJobs) return;
          purgeTimer = setInterval(() => {
            void Promise.all([running.limiter.purge(24 * 3600_000), running.throttle.purge(), running.sessions.purgeTokens()]).catch((error) =>
              runtime.logger.warn({ err: error }, 'identity housekeeping failed'),
            );
          }, PURGE_INTERVAL_MS);
          purgeTimer.unref();
          running.broadcasts.start();
          running.retention.start();
        },
      };
    },
  };
}
