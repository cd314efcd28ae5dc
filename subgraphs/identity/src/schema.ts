import { buildFederatedSchema, GraphQLContext, type Class } from '@selfcare/shared';
import type { GraphQLSchema } from 'graphql';
import { ActivityEntryEntity } from './activity/activity.entities';
import { activityResolvers } from './activity/activity.resolver';
import { ActivityConnection, ActivityEntry } from './activity/activity.types';
import { authResolvers } from './auth/auth.resolver';
import { KnownLoginAddressEntity } from './auth/known-address.entity';
import { RateLimitEntity } from './auth/rate-limit.entity';
import type { IdentityServices } from './composition';
import { AshyqRecordEntity, ConsentEntity, ConsentHistoryEntity } from './consents/consent.entities';
import { ConsentHistoryEntry, consentResolvers } from './consents/consent.resolver';
import { Consent } from './consents/consent.types';
import { EmailVerificationEntity } from './email/email-verification.entity';
import { emailResolvers } from './email/email.resolver';
import { LinkSecretEntity } from './links/link-secret.entity';
import { IdentityCore1764100000000 } from './migrations/1764100000000-identity-core';
import { IdentityFeatures1764200000000 } from './migrations/1764200000000-identity-features';
import { IdentityKnownAddresses1764300000000 } from './migrations/1764300000000-identity-known-addresses';
import { IdentityLocalizedTexts1764300000001 } from './migrations/1764300000001-identity-localized-texts';
import { IdentityTokenRevocations1764400000000 } from './migrations/1764400000000-identity-token-revocations';
import { CabinetNotificationEntity, NoticeBroadcastEntity } from './notices/notice.entities';
import { noticeResolvers } from './notices/notice.resolver';
import { NoticeBroadcast, Notification, NotificationConnection } from './notices/notice.types';
import { notifyByResolvers } from './preferences/notify-by.resolver';
import { TokenRevocationEntity } from './revocations/revocation.entity';
import { RefreshTokenEntity, SessionEntity } from './sessions/session.entity';
import { StaffAccountEntity } from './staff/staff-account.entity';
import { staffResolvers } from './staff/staff.resolver';
import { SubscriberEntity } from './subscribers/subscriber.entity';
import { loadSubscriber } from './subscribers/subscriber.loader';
import { subscriberResolvers } from './subscribers/subscriber.resolver';
import { toSubscriberReference } from './subscribers/subscriber.type';
import { TermsAcceptanceEntity, TermsVersionEntity } from './terms/terms.entities';
import { termsResolvers } from './terms/terms.resolver';
import { TermsAcceptance, TermsVersion } from './terms/terms.types';

export const identityEntities: Class[] = [
  SubscriberEntity,
  SessionEntity,
  RefreshTokenEntity,
  StaffAccountEntity,
  RateLimitEntity,
  EmailVerificationEntity,
  ConsentEntity,
  ConsentHistoryEntity,
  AshyqRecordEntity,
  TermsVersionEntity,
  TermsAcceptanceEntity,
  CabinetNotificationEntity,
  NoticeBroadcastEntity,
  ActivityEntryEntity,
  LinkSecretEntity,
  KnownLoginAddressEntity,
  TokenRevocationEntity,
];

/** In order; the class names and `name`s are what `schema_migrations` records, so they never change. */
export const identityMigrations: Class[] = [IdentityCore1764100000000, IdentityFeatures1764200000000, IdentityKnownAddresses1764300000000, IdentityLocalizedTexts1764300000001, IdentityTokenRevocations1764400000000];

/** identity's part of the supergraph: every module's resolvers, and the Subscriber entity's reference resolver. */
export function buildIdentitySchema(services: IdentityServices): Promise<GraphQLSchema> {
  // Built in this order, the SDL lists the fields as it always has (type-graphql keeps definition order).
  const resolvers = [
    ...consentResolvers(services),
    ...termsResolvers(services),
    ...noticeResolvers(services),
    ...notifyByResolvers(services),
    ...activityResolvers(services),
    ...subscriberResolvers(services),
    ...authResolvers(services),
    ...emailResolvers(services),
    ...staffResolvers(services),
  ];
  return buildFederatedSchema({
    resolvers: resolvers as [Class, ...Class[]],
    // Types reached only through field resolvers on Subscriber would otherwise vanish from the schema.
    orphanedTypes: [Consent, ConsentHistoryEntry, TermsVersion, TermsAcceptance, Notification, NotificationConnection, NoticeBroadcast, ActivityEntry, ActivityConnection],
    referenceResolvers: {
      Subscriber: {
        __resolveReference: async (reference: { id: string }, ctx: GraphQLContext) => {
          const entity = await loadSubscriber(ctx, services.runtime.database, reference.id);
          return entity ? toSubscriberReference(entity) : null;
        },
      },
    },
  });
}
