import { Directive, Field, ID, ObjectType, registerEnumType } from 'type-graphql';
import { EmailAddressScalar, Language, PhoneNumberScalar, SubscriberKind } from '@selfcare/shared';
import type { SubscriberEntity } from './subscriber.entity';

export enum PartyType {
  INDIVIDUAL = 'INDIVIDUAL',
  LEGAL_ENTITY = 'LEGAL_ENTITY',
}

export enum AccessStatus {
  ACTIVE = 'ACTIVE',
  SUSPENDED = 'SUSPENDED',
  BLOCKED = 'BLOCKED',
  TERMINATED = 'TERMINATED',
}

export enum AccessReason {
  DEBT = 'DEBT',
  BREACH = 'BREACH',
  UNLAWFUL_USE = 'UNLAWFUL_USE',
  THIRD_PARTY_DATA = 'THIRD_PARTY_DATA',
  PERSONAL_DATA_WITHDRAWN = 'PERSONAL_DATA_WITHDRAWN',
  CONTRACT_ENDED = 'CONTRACT_ENDED',
}

registerEnumType(PartyType, { name: 'PartyType' });
registerEnumType(AccessStatus, { name: 'AccessStatus', description: 'terms 3.3, 2.8, 2.12' });
registerEnumType(AccessReason, {
  name: 'AccessReason',
  description: 'Why access is not ACTIVE: SUSPENDED for DEBT, BREACH or UNLAWFUL_USE (terms 3.3, 2.8); BLOCKED for THIRD_PARTY_DATA or PERSONAL_DATA_WITHDRAWN (terms 2.12); TERMINATED for CONTRACT_ENDED (terms 3.3)',
});

/**
 * The subscriber entity of the supergraph; identity owns it, the other subgraphs extend it.
 * The other modules' field resolvers (consents, notifyBy, notifications, activity) receive this object.
 */
@Directive('@key(fields: "id")')
@ObjectType({ description: 'A subscriber of the cabinet: a mobile number or a Home Internet contract (terms 1)' })
export class Subscriber {
  @Field(() => ID)
  id: string;

  @Field(() => PhoneNumberScalar, { nullable: true, description: 'null only for HOME_INTERNET' })
  msisdn: string | null;

  @Field(() => String, { description: 'the msisdn, or the home-internet account number' })
  login: string;

  @Field(() => SubscriberKind)
  kind: SubscriberKind;

  @Field(() => PartyType)
  partyType: PartyType;

  @Field(() => EmailAddressScalar, { nullable: true, description: 'as last set by the subscriber; see emailVerified' })
  email: string | null;

  @Field(() => Boolean, { description: 'the e-mail was confirmed through the link sent to it; only then it is a login (terms 3.1.1)' })
  emailVerified: boolean;

  @Field(() => Language)
  language: Language;

  @Field(() => AccessStatus)
  accessStatus: AccessStatus;

  @Field(() => AccessReason, { nullable: true, description: 'why access is not ACTIVE' })
  accessReason: AccessReason | null;

  @Field(() => Boolean, { description: 'has set a password (terms 3.1.1)' })
  registered: boolean;
}

/**
 * Subscribers reached through an entity reference — another subgraph's field (a management request's owner or
 * requester, a balance change, an order) or an activity entry's actor — rather than through identity's own checked
 * paths (me, subscriber(msisdn), login). Their personal data is shown only to the subscriber, a manager of the number
 * or staff (terms 2.5); see SubscriberResolver.
 */
const references = new WeakSet<Subscriber>();

export function isSubscriberReference(subscriber: Subscriber): boolean {
  return references.has(subscriber);
}

/** A Subscriber for an entity reference: its personal fields are checked against the caller when read (terms 2.5). */
export function toSubscriberReference(entity: SubscriberEntity): Subscriber {
  const subscriber = toSubscriber(entity);
  references.add(subscriber);
  return subscriber;
}

export function toSubscriber(entity: SubscriberEntity): Subscriber {
  const subscriber = new Subscriber();
  subscriber.id = entity.id;
  subscriber.msisdn = entity.msisdn;
  subscriber.login = entity.login;
  subscriber.kind = entity.kind as SubscriberKind;
  subscriber.partyType = entity.partyType as PartyType;
  subscriber.email = entity.email;
  subscriber.emailVerified = !!entity.emailVerifiedAt && entity.email !== null && entity.email === entity.verifiedEmail;
  subscriber.language = entity.language as Language;
  subscriber.accessStatus = entity.accessStatus as AccessStatus;
  subscriber.accessReason = (entity.accessReason as AccessReason | null) ?? null;
  subscriber.registered = entity.registered;
  return subscriber;
}
