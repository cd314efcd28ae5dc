import { Directive, Field, ID, Int, ObjectType } from 'type-graphql';
import { AllowanceUnit, Language, Money, SubscriberKind } from '@selfcare/shared';
import type { ServiceEntity, TariffPlanEntity } from './entities';

@ObjectType({ description: "What a tariff includes per month (minutes, SMS, megabytes)" })
export class AllowanceSpec {
  @Field(() => AllowanceUnit)
  unit: AllowanceUnit;

  @Field(() => Int)
  amount: number;
}

@Directive('@key(fields: "id")')
@ObjectType({ description: 'A tariff plan with its current published terms and prices (terms 2.2, 2.10)' })
export class TariffPlan {
  @Field(() => ID)
  id: string;

  @Field(() => String)
  code: string;

  @Field(() => String)
  name: string;

  @Field(() => String)
  description: string;

  @Field(() => SubscriberKind)
  kind: SubscriberKind;

  @Field(() => Money)
  monthlyFee: Money;

  @Field(() => Money, { description: 'price of switching to this tariff (2.10)' })
  switchFee: Money;

  @Field(() => [AllowanceSpec])
  allowances: AllowanceSpec[];

  @Field(() => String, { description: 'the terms version an order must accept (2.2)' })
  termsVersion: string;

  @Field(() => String)
  termsUrl: string;
}

@Directive('@key(fields: "id")')
@ObjectType({ description: 'An optional service with its current published terms and prices (terms 2.1, 2.2)' })
export class Service {
  @Field(() => ID)
  id: string;

  @Field(() => String)
  code: string;

  @Field(() => String)
  name: string;

  @Field(() => String)
  description: string;

  @Field(() => String)
  category: string;

  @Field(() => Money)
  connectionFee: Money;

  @Field(() => Money)
  monthlyFee: Money;

  @Field(() => String, { description: 'the terms version an order must accept (2.2)' })
  termsVersion: string;

  @Field(() => String)
  termsUrl: string;
}

/** Entity rows → GraphQL objects in the caller's language. Rows without a published version are not on sale. */
export function toTariffPlan(row: TariffPlanEntity, language: Language): TariffPlan {
  const version = row.currentVersion;
  if (!version) throw new Error(`tariff ${row.code} has no published version`);
  return Object.assign(new TariffPlan(), {
    id: row.id,
    code: row.code,
    name: row.name[language],
    description: row.description[language],
    kind: row.kind as SubscriberKind,
    monthlyFee: Money.fromMinor(version.monthlyFeeMinor),
    switchFee: Money.fromMinor(version.switchFeeMinor),
    allowances: version.allowances.map((a) => Object.assign(new AllowanceSpec(), { unit: a.unit as AllowanceUnit, amount: a.amount })),
    termsVersion: version.termsVersion,
    termsUrl: version.termsUrl,
  });
}

export function toService(row: ServiceEntity, language: Language): Service {
  const version = row.currentVersion;
  if (!version) throw new Error(`service ${row.code} has no published version`);
  return Object.assign(new Service(), {
    id: row.id,
    code: row.code,
    name: row.name[language],
    description: row.description[language],
    category: row.category,
    connectionFee: Money.fromMinor(version.connectionFeeMinor),
    monthlyFee: Money.fromMinor(version.monthlyFeeMinor),
    termsVersion: version.termsVersion,
    termsUrl: version.termsUrl,
  });
}
