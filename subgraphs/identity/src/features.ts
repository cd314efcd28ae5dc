import type { Express } from 'express';
import { z } from 'zod';
import { type SubgraphRuntime, env, parseEnv } from '@selfcare/shared';
import { activityResolvers } from './activity/activity.resolver';
import { ActivityService } from './activity/activity.service';
import { ActivityConnection, ActivityEntry } from './activity/activity.types';
import { ConsentHistoryEntry, consentResolvers } from './consents/consent.resolver';
import { ConsentService } from './consents/consent.service';
import { Consent } from './consents/consent.types';
import { mountInternalFeatureRoutes } from './features-routes';
import { BroadcastWorker, type BroadcastWorkerOptions, DEFAULT_BROADCAST_OPTIONS } from './notices/broadcast-worker';
import { noticeResolvers } from './notices/notice.resolver';
import { NoticeService } from './notices/notice.service';
import { NoticeBroadcast, Notification, NotificationConnection } from './notices/notice.types';
import { notifyByResolvers } from './preferences/notify-by.resolver';
import { NotifyByService } from './preferences/notify-by.service';
import { DEFAULT_RETENTION, RetentionService, type RetentionOptions } from './retention/retention.service';
import { seedFeatureDemoData } from './features-seed';
import { termsResolvers } from './terms/terms.resolver';
import { TermsService } from './terms/terms.service';
import { TermsAcceptance, TermsVersion } from './terms/terms.types';
import { MarketingMailer } from './unsubscribe/marketing-mailer';
import { UnsubscribeLinks } from './unsubscribe/unsubscribe-links';
import { mountUnsubscribeRoutes } from './unsubscribe/unsubscribe.routes';

/** The identity features module (consents, terms, notices, activity, retention, preferences, unsubscribe). */
export interface IdentityFeatureModules {
  // eslint-disable-next-line @typescript-eslint/ban-types
  resolvers: Function[];
  // eslint-disable-next-line @typescript-eslint/ban-types
  orphanedTypes: Function[];
  routes?: (app: Express) => void;
  start?: () => Promise<void>;
  registerConsumers?: () => void;
  seed?: () => Promise<void>;
  /** The services, for tests and the benchmark. */
  services: IdentityFeatureServices;
}

export interface IdentityFeatureServices {
  consents: ConsentService;
  terms: TermsService;
  notices: NoticeService;
  preferences: NotifyByService;
  activity: ActivityService;
  links: UnsubscribeLinks;
  mailer: MarketingMailer;
  broadcasts: BroadcastWorker;
  retention: RetentionService;
}

export interface IdentityFeatureOptions {
  /** key of signed links (unsubscribe); default: generated once and kept in identity's database */
  linkSecret?: string;
  broadcast: BroadcastWorkerOptions;
  retention: RetentionOptions;
  /** run the broadcast worker and the retention job in `start` (tests drive them by hand) */
  backgroundJobs: boolean;
}

/** Configuration from the environment, validated once (a bad value stops the start with one line). */
export function featureOptionsFromEnv(source: NodeJS.ProcessEnv = process.env): IdentityFeatureOptions {
  const parsed = parseEnv(
    {
      IDENTITY_LINK_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
      IDENTITY_BROADCAST_BATCH_SIZE: env.int(DEFAULT_BROADCAST_OPTIONS.batchSize, 1),
      IDENTITY_RETENTION_INTERVAL_SECONDS: env.int(DEFAULT_RETENTION.intervalMs / 1000, 1),
    },
    source,
  );
  return {
    ...(parsed.IDENTITY_LINK_SECRET ? { linkSecret: parsed.IDENTITY_LINK_SECRET } : {}),
    broadcast: { ...DEFAULT_BROADCAST_OPTIONS, batchSize: Math.min(parsed.IDENTITY_BROADCAST_BATCH_SIZE, 5000) },
    retention: { ...DEFAULT_RETENTION, intervalMs: parsed.IDENTITY_RETENTION_INTERVAL_SECONDS * 1000 },
    backgroundJobs: true,
  };
}

/** The features of each running identity service, for tests and the benchmark (`featureServicesOf(running.runtime)`). */
const registry = new WeakMap<SubgraphRuntime, IdentityFeatureServices>();

export function featureServicesOf(runtime: SubgraphRuntime): IdentityFeatureServices {
  const services = registry.get(runtime);
  if (!services) throw new Error('the identity features module was not set up on this runtime');
  return services;
}

export function identityFeatureModules(runtime: SubgraphRuntime, overrides: Partial<IdentityFeatureOptions> = {}): IdentityFeatureModules {
  const options: IdentityFeatureOptions = { ...featureOptionsFromEnv(), ...overrides };
  const consents = new ConsentService(runtime);
  const terms = new TermsService(runtime);
  const notices = new NoticeService(runtime);
  const preferences = new NotifyByService(runtime);
  const activity = new ActivityService(runtime);
  const links = new UnsubscribeLinks(runtime, options.linkSecret);
  const mailer = new MarketingMailer(runtime, links, consents);
  const broadcasts = new BroadcastWorker(runtime, consents, mailer, options.broadcast);
  const retention = new RetentionService(runtime, options.retention);
  const services: IdentityFeatureServices = { consents, terms, notices, preferences, activity, links, mailer, broadcasts, retention };
  registry.set(runtime, services);

  runtime.onStop(async () => {
    await broadcasts.stop();
    await retention.stop();
  });

  return {
    resolvers: [
      ...consentResolvers(runtime, consents),
      ...termsResolvers(runtime, terms),
      ...noticeResolvers(runtime, notices),
      ...notifyByResolvers(runtime, preferences),
      ...activityResolvers(runtime, activity),
    ],
    // Types reached only through field resolvers on Subscriber would otherwise vanish from the schema.
    orphanedTypes: [Consent, ConsentHistoryEntry, TermsVersion, TermsAcceptance, Notification, NotificationConnection, NoticeBroadcast, ActivityEntry, ActivityConnection],
    routes: (app) => {
      mountUnsubscribeRoutes(app, runtime, links, consents);
      mountInternalFeatureRoutes(app, runtime, { consents, notices, preferences });
    },
    start: async () => {
      // The signing key exists before the first marketing e-mail needs it inside a batch transaction.
      await links.ensureKey();
      if (!options.backgroundJobs) return;
      broadcasts.start();
      retention.start();
    },
    registerConsumers: () => activity.registerConsumers(),
    seed: () => seedFeatureDemoData(runtime, notices),
    services,
  };
}
