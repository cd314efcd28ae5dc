import { Directive, Field, ID, Int, ObjectType, registerEnumType } from 'type-graphql';
import { Language, Money, connectionType } from '@selfcare/shared';
import { AccountEntity, LedgerEntryEntity, LedgerEntryKind, SavedCardEntity } from './entities';

registerEnumType(LedgerEntryKind, { name: 'LedgerEntryKind' });

/** identity owns Subscriber; billing contributes the personal account. */
@Directive('@key(fields: "id")')
@ObjectType('Subscriber')
export class Subscriber {
  @Field(() => ID)
  id: string;
}

@ObjectType({ description: 'One movement of money on the personal account (append-only ledger)' })
export class LedgerEntry {
  @Field(() => ID)
  id: string;

  @Field(() => Date)
  at: Date;

  @Field(() => LedgerEntryKind)
  kind: LedgerEntryKind;

  @Field(() => Money, { description: 'signed: positive credits the account, negative debits it' })
  amount: Money;

  @Field(() => Money)
  balanceAfter: Money;

  @Field(() => String)
  description: string;
}

/** LedgerConnection and LedgerEdge of the contract. */
export const LedgerConnection = connectionType(LedgerEntry, 'Ledger');
export type LedgerConnection = InstanceType<typeof LedgerConnection>;

@ObjectType({ description: 'A bank card saved with the payment provider (only display data is kept)' })
export class SavedCard {
  @Field(() => ID)
  id: string;

  @Field(() => String)
  brand: string;

  @Field(() => String)
  last4: string;

  @Field(() => Int)
  expMonth: number;

  @Field(() => Int)
  expYear: number;
}

@Directive('@key(fields: "id")')
@ObjectType({ description: 'The personal account in KZT (terms 2.1)' })
export class Account {
  @Field(() => ID)
  id: string;

  @Field(() => String)
  number: string;

  @Field(() => Money)
  balance: Money;

  @Field(() => Money, { description: 'how far below zero the balance may go before it is debt' })
  creditLimit: Money;

  @Field(() => Boolean, { description: 'terms 3.3: the balance is below minus the credit limit (unpaid debt)' })
  inDebt: boolean;

  /** not a GraphQL field: whose account it is, for authorization of the nested fields */
  subscriberId: string;
}

export function toAccount(row: AccountEntity): Account {
  return Object.assign(new Account(), {
    id: row.id,
    number: row.number,
    balance: Money.fromMinor(row.balanceMinor),
    creditLimit: Money.fromMinor(row.creditLimitMinor),
    inDebt: row.inDebt,
    subscriberId: row.subscriberId,
  });
}

export function toLedgerEntry(row: LedgerEntryEntity, language: Language): LedgerEntry {
  return Object.assign(new LedgerEntry(), {
    id: row.id,
    at: row.at,
    kind: row.kind,
    amount: Money.fromMinor(row.amountMinor),
    balanceAfter: Money.fromMinor(row.balanceAfterMinor),
    description: row.description[language],
  });
}

export function toSavedCard(row: SavedCardEntity): SavedCard {
  return Object.assign(new SavedCard(), { id: row.id, brand: row.brand, last4: row.last4, expMonth: row.expMonth, expYear: row.expYear });
}
