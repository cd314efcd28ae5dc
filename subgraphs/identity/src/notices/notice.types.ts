import { Field, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { Language, SubscriberKind, connectionType } from '@selfcare/shared';

@ObjectType({ description: "An in-cabinet notification (terms 2.8), in the caller's language (Accept-Language) when it was sent in several" })
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

/** NotificationConnection and NotificationEdge of the contract. */
export const NotificationConnection = connectionType(Notification, 'Notification');
export type NotificationConnection = InstanceType<typeof NotificationConnection>;

export enum BroadcastStatus {
  PENDING = 'PENDING',
  RUNNING = 'RUNNING',
  DONE = 'DONE',
}

registerEnumType(BroadcastStatus, { name: 'BroadcastStatus', description: 'Progress of a background delivery to many subscribers' });

@InputType({ description: 'The text of a notice in one language (terms 2.8)' })
export class NoticeTextInput {
  @Field(() => Language)
  language: Language;

  @Field(() => String, { description: '1-200 characters' })
  title: string;

  @Field(() => String, { description: '1-4000 characters' })
  body: string;
}

@ObjectType({ description: 'The text of a notice in one language' })
export class NoticeText {
  @Field(() => Language)
  language: Language;

  @Field(() => String)
  title: string;

  @Field(() => String)
  body: string;
}

@ObjectType({ description: 'An operator notice on its way to subscribers (terms 2.8), delivered in batches in the background' })
export class NoticeBroadcast {
  @Field(() => ID)
  id: string;

  @Field(() => String, { description: 'the text given for every language (or the Russian one)' })
  title: string;

  @Field(() => [NoticeText], { description: 'what subscribers read, per language' })
  texts: NoticeText[];

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
