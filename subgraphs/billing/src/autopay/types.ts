import { Field, ObjectType } from 'type-graphql';
import { ErrorCode, Money } from '@selfcare/shared';
import { SavedCard, toSavedCard } from '../accounts/types';
import type { SavedCardEntity } from '../accounts/entities';
import type { AutopayEntity } from './entities';

@ObjectType({ description: "Autopay: the saved card pays `amount` when a charge takes the balance below `threshold`" })
export class Autopay {
  @Field(() => Boolean)
  enabled: boolean;

  @Field(() => SavedCard, { nullable: true, description: 'null once the card was removed' })
  card: SavedCard | null;

  @Field(() => Money)
  threshold: Money;

  @Field(() => Money)
  amount: Money;

  @Field(() => ErrorCode, { nullable: true, description: 'Why the system turned it off (PAYMENT_DECLINED: a top-up failed); null otherwise' })
  failureCode: ErrorCode | null;

  @Field(() => Date)
  updatedAt: Date;
}

export function toAutopay(row: AutopayEntity, card: SavedCardEntity | null): Autopay {
  return Object.assign(new Autopay(), {
    enabled: row.enabled,
    card: card && !card.removedAt ? toSavedCard(card) : null,
    threshold: Money.fromMinor(row.thresholdMinor),
    amount: Money.fromMinor(row.amountMinor),
    failureCode: (row.failureCode as ErrorCode | null) ?? null,
    updatedAt: row.updatedAt,
  });
}
