import { Directive, Field, ID, ObjectType, registerEnumType } from 'type-graphql';
import { ErrorCode, Money, connectionType } from '@selfcare/shared';
import { SavedCard, Subscriber } from '../accounts/types';
import { PaymentEntity, PaymentStatus } from './entities';

registerEnumType(PaymentStatus, { name: 'PaymentStatus' });

@Directive('@key(fields: "id")')
@ObjectType({ description: 'terms 2.1: a payment by bank card' })
export class Payment {
  @Field(() => ID)
  id: string;

  @Field(() => PaymentStatus, { description: 'PENDING until the provider tells how it ended; REQUIRES_ACTION while a 3-D Secure step waits' })
  status: PaymentStatus;

  @Field(() => Money)
  amount: Money;

  @Field(() => SavedCard, { nullable: true, description: 'The saved card paid with, or saved by this payment; null for a card not saved' })
  card: SavedCard | null;

  @Field(() => String, { nullable: true, description: '3-D Secure step when REQUIRES_ACTION' })
  actionUrl: string | null;

  @Field(() => ErrorCode, { nullable: true, description: 'Why it FAILED: PAYMENT_DECLINED, or BAD_USER_INPUT for a card token the provider refused' })
  failureCode: ErrorCode | null;

  @Field(() => Date)
  createdAt: Date;

  @Field(() => Date, { nullable: true, description: 'When it SUCCEEDED or FAILED' })
  completedAt: Date | null;

  @Field(() => Subscriber, { description: 'The number paid for' })
  subscriber: Subscriber;

  @Field(() => Boolean, { description: "Made by the account's autopay, not by a person" })
  autopay: boolean;

  /** not GraphQL fields */
  savedCardId: string | null;
}

/** PaymentConnection and PaymentEdge (Account.payments). */
export const PaymentConnection = connectionType(Payment, 'Payment');
export type PaymentConnection = InstanceType<typeof PaymentConnection>;

export function toPayment(row: PaymentEntity): Payment {
  return Object.assign(new Payment(), {
    id: row.id,
    status: row.status,
    amount: Money.fromMinor(row.amountMinor),
    card: null,
    actionUrl: row.status === PaymentStatus.REQUIRES_ACTION ? row.actionUrl : null,
    failureCode: (row.failureCode as ErrorCode | null) ?? null,
    createdAt: row.createdAt,
    completedAt: row.completedAt,
    subscriber: Object.assign(new Subscriber(), { id: row.subscriberId }),
    autopay: row.origin === 'AUTOPAY',
    savedCardId: row.savedCardId,
  });
}
