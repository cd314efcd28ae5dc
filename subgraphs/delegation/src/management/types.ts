import { Directive, Field, ID, Int, ObjectType, registerEnumType } from 'type-graphql';
import { PhoneNumberScalar } from '@selfcare/shared';
import { ManagementStatus } from './entities';

registerEnumType(ManagementStatus, {
  name: 'ManagementStatus',
  description: 'terms 5: AWAITING_CONFIRMATION (terms 5.6.3) → CONFIRMED (terms 5.6.5) → ACTIVE (terms 5.6.7); or REJECTED, EXPIRED, VOIDED, REVOKED (terms 4.4), CANCELLED',
});

/** identity owns Subscriber; delegation contributes managedNumbers and managers. */
@Directive('@key(fields: "id")')
@ObjectType('Subscriber')
export class Subscriber {
  @Field(() => ID)
  id: string;
}

export function subscriberRef(id: string): Subscriber {
  return Object.assign(new Subscriber(), { id });
}

@Directive('@key(fields: "id")')
@ObjectType({ description: 'A request to manage another number (terms 5)' })
export class ManagementRequest {
  @Field(() => ID)
  id: string;

  @Field(() => ManagementStatus)
  status: ManagementStatus;

  @Field(() => Subscriber, { description: 'Subscriber 1 (terms 5.6.1), who asks to manage the number' })
  requester: Subscriber;

  @Field(() => PhoneNumberScalar)
  ownerMsisdn: string;

  @Field(() => Subscriber, { nullable: true, description: 'Subscriber 2, the number’s owner; null while the number is not registered' })
  owner: Subscriber | null;

  @Field(() => Date)
  createdAt: Date;

  @Field(() => Date, { nullable: true, description: 'terms 5.6: the activation code is valid 24 hours' })
  activationExpiresAt: Date | null;

  @Field(() => Int, { nullable: true, description: 'terms 5.6: wrong activation entries left before the code is void (while CONFIRMED)' })
  attemptsLeft: number | null;

  @Field(() => Date, { nullable: true, description: "terms 5.5: when the owner accepted the offer (by SMS to 4259 or in the cabinet)" })
  confirmedAt: Date | null;

  @Field(() => Date, { nullable: true, description: 'terms 5.6.7: when management was handed over' })
  activatedAt: Date | null;

  @Field(() => Date, { nullable: true, description: 'When it was rejected, cancelled, revoked (terms 4.4), voided or expired' })
  endedAt: Date | null;

  @Field(() => String, {
    nullable: true,
    description:
      "Position in the caller's feed of request changes: give it as `after` to managementRequestReceived / managementRequestUpdated to get what came after it (on subscription events and on the caller's lists; null elsewhere)",
  })
  cursor: string | null;
}
