import type { SubgraphRuntime } from '@selfcare/shared';
import { ActivityService } from './activity/activity.service';
import { AuthService } from './auth/auth.service';
import { PasswordHasher } from './auth/kdf';
import { LoginThrottle } from './auth/login-throttle';
import { RateLimiter } from './auth/rate-limiter';
import { TokenIssuer } from './auth/tokens';
import { ConsentService } from './consents/consent.service';
import { EmailService } from './email/email.service';
import { LinkSigner, loadLinkSecret } from './links/link-signer';
import { BroadcastWorker } from './notices/broadcast-worker';
import { NoticeService } from './notices/notice.service';
import { RequestedNotices } from './notices/requested-notices';
import { NotifyByService } from './preferences/notify-by.service';
import { RevocationLog } from './revocations/revocation-log';
import { RetentionService } from './retention/retention.service';
import { SessionService } from './sessions/session.service';
import type { IdentitySettings } from './settings';
import { StaffAuthService } from './staff/staff-auth.service';
import { StaffOperationsService } from './staff/staff-operations.service';
import { AccessService } from './subscribers/access.service';
import { ProfileService } from './subscribers/profile.service';
import { SubscriberService } from './subscribers/subscriber.service';
import { TermsService } from './terms/terms.service';
import { TermsRecords } from './terms/terms.store';
import { MarketingMailer } from './unsubscribe/marketing-mailer';
import { UnsubscribeLinks } from './unsubscribe/unsubscribe-links';

/** Every service of a running identity subgraph, each built once here and handed to resolvers, routes and jobs. */
export interface IdentityServices {
  runtime: SubgraphRuntime;
  settings: IdentitySettings;
  hasher: PasswordHasher;
  limiter: RateLimiter;
  throttle: LoginThrottle;
  tokens: TokenIssuer;
  links: LinkSigner;
  revocations: RevocationLog;
  sessions: SessionService;
  subscribers: SubscriberService;
  activity: ActivityService;
  access: AccessService;
  profile: ProfileService;
  termsRecords: TermsRecords;
  consents: ConsentService;
  unsubscribe: UnsubscribeLinks;
  mailer: MarketingMailer;
  broadcasts: BroadcastWorker;
  notices: NoticeService;
  requestedNotices: RequestedNotices;
  terms: TermsService;
  preferences: NotifyByService;
  auth: AuthService;
  email: EmailService;
  staffAuth: StaffAuthService;
  staffOps: StaffOperationsService;
  retention: RetentionService;
}

/** The composition root: reads what the services need at start (the link secret), then wires them. */
export async function createIdentityServices(runtime: SubgraphRuntime, settings: IdentitySettings): Promise<IdentityServices> {
  const kdfSeconds = runtime.metrics.histogram('identity_kdf_seconds', 'Time of one scrypt evaluation', [], [0.01, 0.025, 0.05, 0.1, 0.2, 0.4, 0.8, 1.6]);
  const hasher = new PasswordHasher(settings.kdf, (seconds) => kdfSeconds.observe(seconds));
  const limiter = new RateLimiter(runtime.database, runtime.clock);
  const throttle = new LoginThrottle(runtime.database, runtime.clock, limiter, settings.rateLimits);
  // Access tokens live at most as long as the platform keeps revocations, or a revoked token could outlive its entry.
  const accessTtl = Math.min(settings.accessTokenTtlSeconds ?? runtime.platform.accessTokenTtlSeconds, runtime.platform.accessTokenTtlSeconds);
  const tokens = new TokenIssuer(settings.signingKey, () => runtime.platform.tokenIssuer, accessTtl);
  // Loaded before serving: links are signed inside transactions (a broadcast batch) and checked without one.
  const links = new LinkSigner(await loadLinkSecret(runtime.database, runtime.clock, settings.linkSecret));

  const revocations = new RevocationLog(runtime);
  const sessions = new SessionService(runtime, settings.refreshTokenTtlSeconds, revocations);
  const subscribers = new SubscriberService(runtime);
  const activity = new ActivityService(runtime);
  const access = new AccessService(runtime, activity, sessions);
  const profile = new ProfileService(runtime, subscribers, activity);
  const termsRecords = new TermsRecords(runtime, activity);
  const consents = new ConsentService(runtime, activity, sessions, termsRecords);
  const unsubscribe = new UnsubscribeLinks(runtime, links);
  const mailer = new MarketingMailer(runtime, unsubscribe, consents);
  const broadcasts = new BroadcastWorker(runtime, consents, mailer, settings.broadcast);
  const notices = new NoticeService(runtime, broadcasts);
  const terms = new TermsService(runtime, termsRecords, consents, broadcasts);
  const preferences = new NotifyByService(runtime, activity, consents);
  return {
    runtime,
    settings,
    hasher,
    limiter,
    throttle,
    tokens,
    links,
    revocations,
    sessions,
    subscribers,
    activity,
    access,
    profile,
    termsRecords,
    consents,
    unsubscribe,
    mailer,
    broadcasts,
    notices,
    requestedNotices: new RequestedNotices(runtime, notices),
    terms,
    preferences,
    auth: new AuthService(runtime, settings, hasher, limiter, throttle, tokens, sessions, subscribers, activity, consents, terms),
    email: new EmailService(runtime, subscribers, limiter, activity, links, settings.emailVerificationTtlSeconds),
    staffAuth: new StaffAuthService(runtime, settings, hasher, throttle, tokens, sessions),
    staffOps: new StaffOperationsService(runtime, hasher, subscribers, access, sessions, activity),
    retention: new RetentionService(runtime, activity, settings.retention),
  };
}
