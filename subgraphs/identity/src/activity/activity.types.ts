import { Field, ID, ObjectType, registerEnumType } from 'type-graphql';
import { ChannelEnum, connectionType } from '@selfcare/shared';

export enum ActorKind {
  SUBSCRIBER = 'SUBSCRIBER',
  STAFF = 'STAFF',
  SYSTEM = 'SYSTEM',
}

registerEnumType(ActorKind, { name: 'ActorKind', description: 'Who acted: a subscriber (the owner or a manager), the operator staff, or the system' });

@ObjectType({ description: 'One action on a number (terms 2.4, 3.5, 4.3)' })
export class ActivityEntry {
  @Field(() => ID)
  id: string;

  @Field(() => Date)
  at: Date;

  @Field(() => String)
  action: string;

  @Field(() => Boolean, { description: 'terms 4.3: the actor managed this number on the owner\'s behalf' })
  viaManagement: boolean;

  @Field(() => ChannelEnum, { nullable: true })
  channel: ChannelEnum | null;

  @Field(() => String, { nullable: true, description: "what changed, in the caller's language (Accept-Language: kk, ru, en)" })
  details: string | null;

  @Field(() => ActorKind)
  actorKind: ActorKind;

  /** the acting subscriber's id; resolved to `actor` */
  actorId: string | null;
}

/** ActivityConnection and ActivityEdge of the contract. */
export const ActivityConnection = connectionType(ActivityEntry, 'Activity');
export type ActivityConnection = InstanceType<typeof ActivityConnection>;
