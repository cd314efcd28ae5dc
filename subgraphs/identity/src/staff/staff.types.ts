import { Field, ID, InputType, ObjectType, registerEnumType } from 'type-graphql';
import { Language, PhoneNumberScalar, EmailAddressScalar, SubscriberKind } from '@selfcare/shared';
import { AccessReason, AccessStatus, PartyType, Subscriber } from '../subscribers/subscriber.type';
import type { StaffAccountEntity } from './staff-account.entity';

export enum StaffRole {
  OPERATOR = 'OPERATOR',
  ADMIN = 'ADMIN',
}
registerEnumType(StaffRole, { name: 'StaffRole', description: 'ADMIN may also block/unblock access and end contracts' });

@ObjectType({ description: "An operator's employee" })
export class StaffAccount {
  @Field(() => ID)
  id: string;

  @Field(() => String)
  login: string;

  @Field(() => StaffRole)
  role: StaffRole;
}

export function toStaffAccount(entity: StaffAccountEntity): StaffAccount {
  const account = new StaffAccount();
  account.id = entity.id;
  account.login = entity.login;
  account.role = entity.role as StaffRole;
  return account;
}

@ObjectType()
export class StaffAuthPayload {
  @Field(() => String)
  accessToken: string;

  @Field(() => String)
  refreshToken: string;

  @Field(() => Date)
  accessTokenExpiresAt: Date;

  @Field(() => StaffAccount)
  staff: StaffAccount;
}

@ObjectType({ description: 'terms 3.1.2: the password issued at the office, shown this once and stored only as a hash' })
export class OfficePassword {
  @Field(() => String)
  password: string;

  @Field(() => Subscriber)
  subscriber: Subscriber;
}

@InputType({ description: 'A new subscriber line: MOBILE by msisdn, HOME_INTERNET by account number' })
export class ProvisionSubscriberInput {
  @Field(() => SubscriberKind)
  kind: SubscriberKind;

  @Field(() => PartyType)
  partyType: PartyType;

  @Field(() => PhoneNumberScalar, { nullable: true, description: 'MOBILE only' })
  msisdn?: string | null;

  @Field(() => String, { nullable: true, description: 'HOME_INTERNET only: the contract/account number, 6-20 digits; it is the login' })
  accountNumber?: string | null;

  @Field(() => Language, { defaultValue: Language.RU })
  language: Language;

  @Field(() => EmailAddressScalar, { nullable: true, description: 'kept unverified until the subscriber confirms it' })
  email?: string | null;

  @Field(() => String, { description: 'the tariff plan the line starts on (catalog and billing take it from the SubscriberProvisioned event)' })
  tariffCode: string;
}

export { AccessReason, AccessStatus };
