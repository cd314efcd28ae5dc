import { Field, ObjectType, registerEnumType } from 'type-graphql';

export enum ConsentPurpose {
  PERSONAL_DATA = 'PERSONAL_DATA',
  PARTNER_SHARING = 'PARTNER_SHARING',
  MARKETING_EMAIL = 'MARKETING_EMAIL',
  MARKETING_SMS = 'MARKETING_SMS',
  ASHYQ = 'ASHYQ',
}

registerEnumType(ConsentPurpose, {
  name: 'ConsentPurpose',
  description: 'terms 2.11 (personal data, partners), terms 6.4 (marketing e-mail / SMS), terms 2.13-2.14 (Ashyq)',
});

@ObjectType({ description: 'The current state of one consent (terms 2.11-2.14, 6.4); the full history is kept.' })
export class Consent {
  @Field(() => ConsentPurpose)
  purpose: ConsentPurpose;

  @Field(() => Boolean)
  granted: boolean;

  @Field(() => Date)
  changedAt: Date;

  @Field(() => String, { nullable: true, description: 'the terms version in force when the consent changed' })
  termsVersion: string | null;
}
