import { Field, ID, ObjectType } from 'type-graphql';
import { ChannelEnum } from '@selfcare/shared';
import type { SessionEntity } from './session.entity';

@ObjectType({ description: 'A login of the subscriber (terms 4.1, 3.5): where and when' })
export class Session {
  @Field(() => ID)
  id: string;

  @Field(() => ChannelEnum)
  channel: ChannelEnum;

  @Field(() => String, { nullable: true, description: 'e.g. "iOS · iPhone 15 · My Beeline 5.2.0" or "Chrome 131 on Windows"' })
  device: string | null;

  @Field(() => Date)
  createdAt: Date;

  @Field(() => Date)
  lastSeenAt: Date;

  @Field(() => Boolean, { description: 'the session of the token making this request' })
  current: boolean;
}

export function toSession(entity: SessionEntity, currentSessionId: string | null): Session {
  const session = new Session();
  session.id = entity.id;
  session.channel = (entity.channel ?? 'WEB') as ChannelEnum;
  session.device = entity.device;
  session.createdAt = entity.createdAt;
  session.lastSeenAt = entity.lastSeenAt;
  session.current = entity.id === currentSessionId;
  return session;
}
