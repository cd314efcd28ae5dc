import { ActivityEntryEntity } from './activity/activity.entities';
import { AshyqRecordEntity, ConsentEntity, ConsentHistoryEntity } from './consents/consent.entities';
import { IdentityFeatures1764200000000 } from './features-migrations/1764200000000-identity-features';
import { CabinetNotificationEntity, NoticeBroadcastEntity } from './notices/notice.entities';
import { TermsAcceptanceEntity, TermsVersionEntity } from './terms/terms.entities';
import { LinkSecretEntity } from './unsubscribe/link-secret.entity';

/** Entities and migrations of the identity features module, merged into the subgraph definition by the core. */
// eslint-disable-next-line @typescript-eslint/ban-types
export const featureEntities: Function[] = [
  ConsentEntity,
  ConsentHistoryEntity,
  AshyqRecordEntity,
  TermsVersionEntity,
  TermsAcceptanceEntity,
  CabinetNotificationEntity,
  NoticeBroadcastEntity,
  ActivityEntryEntity,
  LinkSecretEntity,
];

// eslint-disable-next-line @typescript-eslint/ban-types
export const featureMigrations: Function[] = [IdentityFeatures1764200000000];
