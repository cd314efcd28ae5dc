import type { Caller } from '../auth/caller';
import type { DomainError } from '../errors/domain-error';
import type { Language } from '../i18n/language';
import type { Logger } from '../logging/logger';
import type { ManagedAccessLog } from '../service/access-policy';
import { LoaderRegistry } from './loaders';

/** The per-request context every resolver of every subgraph receives. */
export interface GraphQLContext {
  requestId: string;
  language: Language;
  /** The language the request asked for (Accept-Language naming kk, ru or en); null: none, so `language` is the default. */
  requestedLanguage?: Language | null;
  /** The verified caller; null when no token was sent or it was refused. */
  caller: Caller | null;
  /** Why a presented token was refused (expired, revoked by a status change…). */
  authError: DomainError | null;
  /** The raw Authorization header, forwarded on internal calls made for this request. */
  authorization: string | null;
  clientAddress: string;
  userAgent: string | null;
  logger: Logger;
  loaders: LoaderRegistry;
  /** Subscriptions only: the management grants (terms 4.3) the subscription acts through, so their end (terms 4.4) ends it. */
  managedAccess?: ManagedAccessLog;
}
