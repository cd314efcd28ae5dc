import { maskCounterparty } from './masking';
import { Directive, Field, Float, ID, Int, ObjectType, registerEnumType } from 'type-graphql';
import { AllowanceUnit, Language, Money, connectionType } from '@selfcare/shared';
import { Direction, UsageKind, UsageRecordEntity } from './entities';

registerEnumType(UsageKind, { name: 'UsageKind' });
registerEnumType(Direction, { name: 'Direction' });

/** identity owns Subscriber; detailing contributes usage, its summary and the allowances left. */
@Directive('@key(fields: "id")')
@ObjectType('Subscriber')
export class Subscriber {
  @Field(() => ID)
  id: string;
}

@ObjectType({ description: 'One itemized usage record: a call, an SMS, a data session or a charge' })
export class UsageRecord {
  @Field(() => ID)
  id: string;

  @Field(() => UsageKind)
  kind: UsageKind;

  @Field(() => Date)
  startedAt: Date;

  @Field(() => Direction, { nullable: true })
  direction: Direction | null;

  @Field(() => String, { nullable: true })
  counterparty: string | null;

  @Field(() => Int, { nullable: true })
  seconds: number | null;

  @Field(() => Float, { nullable: true })
  bytes: number | null;

  @Field(() => Boolean)
  roaming: boolean;

  @Field(() => String, { nullable: true, description: 'ISO 3166 country of the visited network while roaming' })
  roamingCountry: string | null;

  @Field(() => Boolean, { description: 'terms 2.10: My Beeline app traffic on the home network, not charged' })
  zeroRated: boolean;

  @Field(() => Money)
  charge: Money;

  @Field(() => String)
  description: string;
}

/** UsageConnection and UsageEdge of the contract. */
export const UsageConnection = connectionType(UsageRecord, 'Usage');
export type UsageConnection = InstanceType<typeof UsageConnection>;

@ObjectType()
export class UsageKindTotal {
  @Field(() => UsageKind)
  kind: UsageKind;

  @Field(() => Int)
  count: number;

  @Field(() => Int)
  seconds: number;

  @Field(() => Float)
  bytes: number;

  @Field(() => Money)
  charge: Money;
}

@ObjectType({ description: 'Totals of a period, per kind of usage' })
export class UsageSummary {
  @Field(() => Date)
  from: Date;

  @Field(() => Date)
  to: Date;

  @Field(() => Money)
  total: Money;

  @Field(() => [UsageKindTotal])
  byKind: UsageKindTotal[];
}

@ObjectType({ description: "What is left of the tariff's package this period" })
export class Allowance {
  @Field(() => AllowanceUnit)
  unit: AllowanceUnit;

  @Field(() => Int)
  included: number;

  @Field(() => Int)
  used: number;

  @Field(() => Int)
  left: number;

  @Field(() => Date)
  periodEnd: Date;
}

export function toUsageRecord(row: UsageRecordEntity, language: Language, masked = false): UsageRecord {
  return Object.assign(new UsageRecord(), {
    id: row.id,
    kind: row.kind,
    startedAt: row.startedAt,
    direction: row.direction,
    counterparty: masked ? maskCounterparty(row.counterparty) : row.counterparty,
    seconds: row.seconds,
    bytes: row.bytes,
    roaming: row.roaming,
    roamingCountry: row.roamingCountry,
    zeroRated: row.zeroRated,
    charge: Money.fromMinor(row.chargeMinor),
    description: row.description[language],
  });
}

export { maskCounterparty };
