import { type Database, type GraphQLContext, Language } from '@selfcare/shared';
import { loadSubscriber } from '../subscribers/subscriber.loader';

/**
 * The language a person reads identity's texts in (activity details, notices): the one the request asks for
 * (Accept-Language), else the subscriber's own setting, else the default. The caller's row comes from the request's
 * subscriber loader, which `me` and entity references fill anyway.
 */
export async function readerLanguage(ctx: GraphQLContext, database: Database): Promise<Language> {
  if (ctx.requestedLanguage) return ctx.requestedLanguage;
  if (ctx.caller?.kind === 'subscriber') {
    const reader = await loadSubscriber(ctx, database, ctx.caller.subscriberId);
    if (reader && (Object.values(Language) as string[]).includes(reader.language)) return reader.language as Language;
  }
  return ctx.language;
}
