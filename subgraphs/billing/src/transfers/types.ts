import { Directive, Field, ID, Int, ObjectType, registerEnumType } from 'type-graphql';
import { ErrorCode, Money, PhoneNumberScalar, connectionType } from '@selfcare/shared';
import { Subscriber } from '../accounts/types';
import { TransferEntity, TransferStatus } from './entities';

registerEnumType(TransferStatus, { name: 'TransferStatus' });

@Directive('@key(fields: "id")')
@ObjectType({ description: 'A transfer of balance to another Beeline number, confirmed by a code sent by SMS to the paying number' })
export class BalanceTransfer {
  @Field(() => ID)
  id: string;

  @Field(() => TransferStatus)
  status: TransferStatus;

  @Field(() => Money)
  amount: Money;

  @Field(() => Subscriber, { description: 'The paying number' })
  from: Subscriber;

  @Field(() => PhoneNumberScalar)
  toMsisdn: string;

  @Field(() => Date)
  createdAt: Date;

  @Field(() => Date, { nullable: true, description: 'Until when the code may be entered, while AWAITING_CONFIRMATION' })
  codeExpiresAt: Date | null;

  @Field(() => Int, { nullable: true, description: 'Wrong codes still allowed, while AWAITING_CONFIRMATION' })
  attemptsLeft: number | null;

  @Field(() => Date, { nullable: true })
  completedAt: Date | null;

  @Field(() => ErrorCode, { nullable: true, description: 'Why it FAILED at confirmation: INSUFFICIENT_FUNDS, or BAD_USER_INPUT past the daily limit' })
  failureCode: ErrorCode | null;
}

export const BalanceTransferConnection = connectionType(BalanceTransfer, 'BalanceTransfer');
export type BalanceTransferConnection = InstanceType<typeof BalanceTransferConnection>;

/** A code whose time ran out reads EXPIRED before any write records it. */
export function toTransfer(row: TransferEntity, now: Date): BalanceTransfer {
  const expired = row.status === TransferStatus.AWAITING_CONFIRMATION && row.codeExpiresAt <= now;
  const status = expired ? TransferStatus.EXPIRED : row.status;
  const awaiting = status === TransferStatus.AWAITING_CONFIRMATION;
  return Object.assign(new BalanceTransfer(), {
    id: row.id,
    status,
    amount: Money.fromMinor(row.amountMinor),
    from: Object.assign(new Subscriber(), { id: row.fromSubscriberId }),
    toMsisdn: row.toMsisdn,
    createdAt: row.createdAt,
    codeExpiresAt: awaiting ? row.codeExpiresAt : null,
    attemptsLeft: awaiting ? row.attemptsLeft : null,
    completedAt: row.completedAt,
    failureCode: (row.failureCode as ErrorCode | null) ?? null,
  });
}
