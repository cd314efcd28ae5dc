import { Field, ID, Int, ObjectType, registerEnumType } from 'type-graphql';
import { PageInfo, SubscriberKind } from '@selfcare/shared';

@ObjectType({ description: 'An in-cabinet notification (terms 2.8)' })
export class Notification {
  @Field(() => ID)
  id: string;

  @Field(() => String)
  title: string;

  @Field(() => String)
  body: string;

  @Field(() => Date)
  createdAt: Date;

  @Field(() => Boolean)
  read: boolean;
}

@ObjectType()
export class NotificationEdge {
  @Field(() => String)
  cursor: string;

  @Field(() => Notification)
  node: Notification;
}

@ObjectType()
export class NotificationConnection {
  @Field(() => [NotificationEdge])
  edges: NotificationEdge[];

  @Field(() => PageInfo)
  pageInfo: PageInfo;
}

export enum BroadcastStatus {
  PENDING = 'PENDING',
  RUNNING = 'RUNNING',
  DONE = 'DONE',
}

registerEnumType(BroadcastStatus, { name: 'BroadcastStatus', description: 'Progress of a background delivery to many subscribers' });

@ObjectType({ description: 'An operator notice on its way to subscribers (2.8), delivered in batches in the background' })
export class NoticeBroadcast {
  @Field(() => ID)
  id: string;

  @Field(() => String)
  title: string;

  @Field(() => SubscriberKind, { nullable: true, description: 'null: every subscriber' })
  kind: SubscriberKind | null;

  @Field(() => BroadcastStatus)
  status: BroadcastStatus;

  @Field(() => Int, { description: 'subscribers handled so far' })
  delivered: number;

  @Field(() => Int)
  emailed: number;

  @Field(() => Int)
  texted: number;

  @Field(() => Date)
  createdAt: Date;

  @Field(() => Date, { nullable: true })
  finishedAt: Date | null;
}
