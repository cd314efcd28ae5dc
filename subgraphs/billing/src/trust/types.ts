import { Field, ID, ObjectType, registerEnumType } from 'type-graphql';
import { Money } from '@selfcare/shared';
import { TrustPaymentEntity, TrustPaymentStatus } from './entities';

registerEnumType(TrustPaymentStatus, { name: 'TrustPaymentStatus' });

@ObjectType({ description: 'A trust payment: a short credit of the balance, repaid from the next card payment; unpaid at expiry it is taken back (debt, terms 3.3)' })
export class TrustPayment {
  @Field(() => ID)
  id: string;

  @Field(() => TrustPaymentStatus)
  status: TrustPaymentStatus;

  @Field(() => Money)
  amount: Money;

  @Field(() => Money, { description: 'What is still to repay' })
  outstanding: Money;

  @Field(() => Date)
  grantedAt: Date;

  @Field(() => Date)
  expiresAt: Date;

  @Field(() => Date, { nullable: true })
  settledAt: Date | null;
}

export function toTrustPayment(row: TrustPaymentEntity): TrustPayment {
  return Object.assign(new TrustPayment(), {
    id: row.id,
    status: row.status,
    amount: Money.fromMinor(row.amountMinor),
    outstanding: Money.fromMinor(row.outstandingMinor),
    grantedAt: row.grantedAt,
    expiresAt: row.expiresAt,
    settledAt: row.settledAt,
  });
}
