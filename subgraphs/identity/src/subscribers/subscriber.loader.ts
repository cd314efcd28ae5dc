import DataLoader from 'dataloader';
import { In } from 'typeorm';
import { byKeys, Database, GraphQLContext } from '@selfcare/shared';
import { SubscriberEntity } from './subscriber.entity';

/** One query per request for every subscriber it touches (entity references, field resolvers). */
export function subscriberLoader(ctx: GraphQLContext, database: Database): DataLoader<string, SubscriberEntity | null> {
  return ctx.loaders.get<string, SubscriberEntity | null>(
    'identity.subscriberById',
    () =>
      new DataLoader(async (ids) => {
        const rows = await database.manager.getRepository(SubscriberEntity).findBy({ id: In([...ids]) });
        return byKeys(ids, rows, (row) => row.id);
      }),
  );
}

export function loadSubscriber(ctx: GraphQLContext, database: Database, id: string): Promise<SubscriberEntity | null> {
  return subscriberLoader(ctx, database).load(id);
}
