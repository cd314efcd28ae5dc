import { Field, ObjectType, registerEnumType } from 'type-graphql';
import { ChannelEnum } from '@selfcare/shared';

@ObjectType({ description: 'A published version of the terms of use (terms 6.1, 6.6)' })
export class TermsVersion {
  @Field(() => String)
  version: string;

  @Field(() => Date)
  publishedAt: Date;

  @Field(() => String)
  url: string;
}

export enum TermsAcceptanceMethod {
  REGISTRATION = 'REGISTRATION',
  EXPLICIT = 'EXPLICIT',
  CONTINUED_USE = 'CONTINUED_USE',
}

registerEnumType(TermsAcceptanceMethod, {
  name: 'TermsAcceptanceMethod',
  description: 'How terms were accepted: registration (terms 6.2), acceptTerms, or continued use at the next login (terms 3.5, 6.6)',
});

@ObjectType({ description: 'When and through which channel a terms version was accepted (terms 6.1, 6.6)' })
export class TermsAcceptance {
  @Field(() => String)
  version: string;

  @Field(() => Date)
  acceptedAt: Date;

  @Field(() => ChannelEnum, { nullable: true })
  channel: ChannelEnum | null;

  @Field(() => TermsAcceptanceMethod)
  method: TermsAcceptanceMethod;
}
