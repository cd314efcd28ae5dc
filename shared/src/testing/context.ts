import { randomUUID } from 'node:crypto';
import type { GraphQLContext } from '../graphql/context';
import { LoaderRegistry } from '../graphql/loaders';
import { Language } from '../i18n/language';
import { createLogger } from '../logging/logger';

/** A GraphQL context as the kit builds it for a verified subscriber caller (`overrides`: a token, a ManagedAccessLog…). */
export function subscriberContext(subscriberId: string, overrides: Partial<GraphQLContext> = {}): GraphQLContext {
  return {
    requestId: randomUUID(),
    language: Language.RU,
    caller: { kind: 'subscriber', subscriberId, sessionId: randomUUID(), channel: 'WEB' },
    authError: null,
    authorization: null,
    clientAddress: '127.0.0.1',
    userAgent: null,
    logger: createLogger('test', 'silent'),
    loaders: new LoaderRegistry(),
    ...overrides,
  };
}
