import type { SubgraphRuntime } from '@selfcare/shared';
import { ActivityRecorder } from './activity/activity-recorder';
import { ConsentService } from './consents/consent.service';
import { TermsService } from './terms/terms.service';
import { AuthService } from './auth/auth.service';
import { PasswordHasher } from './auth/kdf';
import { RateLimiter } from './auth/rate-limiter';
import { TokenIssuer } from './auth/tokens';
import { EmailService } from './email/email.service';
import { SessionService } from './sessions/session.service';
import { StaffAuthService } from './staff/staff-auth.service';
import { StaffOperationsService } from './staff/staff-operations.service';
import { AccessService } from './subscribers/access.service';
import { ProfileService } from './subscribers/profile.service';
import { SubscriberService } from './subscribers/subscriber.service';
import type { IdentitySettings } from './settings';

/** The identity core's services, built once per running subgraph and handed to its resolvers. */
export interface IdentityServices {
  runtime: SubgraphRuntime;
  settings: IdentitySettings;
  hasher: PasswordHasher;
  limiter: RateLimiter;
  tokens: TokenIssuer;
  sessions: SessionService;
  subscribers: SubscriberService;
  access: AccessService;
  profile: ProfileService;
  auth: AuthService;
  email: EmailService;
  staffAuth: StaffAuthService;
  staffOps: StaffOperationsService;
  activity: ActivityRecorder;
  consents: ConsentService;
  terms: TermsService;
}

/** Link-signing key material: configured, or derived from the token signing key (so it survives restarts). */
function linkSecret(settings: IdentitySettings): Buffer | string {
  if (settings.linkSecret) return settings.linkSecret;
  return settings.signingKey.privateKey.export({ format: 'der', type: 'pkcs8' });
}

export function createIdentityServices(runtime: SubgraphRuntime, settings: IdentitySettings): IdentityServices {
  const kdfSeconds = runtime.metrics.histogram('identity_kdf_seconds', 'Time of one scrypt evaluation', [], [0.01, 0.025, 0.05, 0.1, 0.2, 0.4, 0.8, 1.6]);
  const hasher = new PasswordHasher(settings.kdf, (seconds) => kdfSeconds.observe(seconds));
  const limiter = new RateLimiter(runtime.database, runtime.clock);
  // Access tokens live at most as long as the platform keeps revocations, or a revoked token could outlive its entry.
  const accessTtl = Math.min(settings.accessTokenTtlSeconds ?? runtime.platform.accessTokenTtlSeconds, runtime.platform.accessTokenTtlSeconds);
  const tokens = new TokenIssuer(settings.signingKey, () => runtime.platform.tokenIssuer, accessTtl);
  const sessions = new SessionService(runtime, settings.refreshTokenTtlSeconds);
  const subscribers = new SubscriberService(runtime);
  const activity = new ActivityRecorder(runtime);
  const consents = new ConsentService(runtime);
  const terms = new TermsService(runtime);
  const access = new AccessService(runtime, activity, sessions);
  return {
    runtime,
    settings,
    hasher,
    limiter,
    tokens,
    sessions,
    subscribers,
    access,
    profile: new ProfileService(runtime, subscribers, activity),
    auth: new AuthService(runtime, settings, hasher, limiter, tokens, sessions, subscribers, activity, consents, terms),
    email: new EmailService(runtime, subscribers, limiter, activity, linkSecret(settings), settings.emailVerificationTtlSeconds),
    staffAuth: new StaffAuthService(runtime, settings, hasher, limiter, tokens, sessions),
    staffOps: new StaffOperationsService(runtime, hasher, subscribers, access, sessions, activity),
    activity,
    consents,
    terms,
  };
}
