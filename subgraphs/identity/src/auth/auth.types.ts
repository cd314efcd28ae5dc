import { Field, InputType, ObjectType } from 'type-graphql';
import { Subscriber } from '../subscribers/subscriber.type';

@ObjectType()
export class AuthPayload {
  @Field(() => String, { description: 'EdDSA JWT, short-lived; send as Authorization: Bearer' })
  accessToken: string;

  @Field(() => String, { description: 'opaque, single use: refreshSession spends it and returns the next one' })
  refreshToken: string;

  @Field(() => Date)
  accessTokenExpiresAt: Date;

  @Field(() => Subscriber)
  subscriber: Subscriber;
}

@InputType({ description: 'What the app reports about the device (terms 1: Android, iOS, Windows Phone)' })
export class DeviceInput {
  @Field(() => String, { nullable: true })
  platform?: string | null;

  @Field(() => String, { nullable: true })
  model?: string | null;

  @Field(() => String, { nullable: true })
  appVersion?: string | null;
}
