import { Directive, Field, ID, Int, ObjectType } from 'type-graphql';
import { AllowanceUnit, Language, Money, SubscriberKind, TariffRates as TariffRatesValue } from '@selfcare/shared';
import type { ServiceEntity, TariffPlanEntity } from './entities';
import { OfferStatus, PartyType } from './admin-types';

@ObjectType({ description: 'Per-unit prices beyond the allowances' })
export class UsageRates {
  @Field(() => Money)
  callPerMinute: Money;

  @Field(() => Money)
  sms: Money;

  @Field(() => Money)
  dataPerMb: Money;
}

@ObjectType()
export class RoamingRates extends UsageRates {
  @Field(() => String, { description: 'CIS, EUROPE, WORLD…' })
  zone: string;
}

@ObjectType({ description: 'terms 2.10: the operator’s app’s data' })
export class OperatorAppDataRule {
  @Field(() => Money, { description: 'on the home network: free' })
  homePerMb: Money;

  @Field(() => String, { description: 'in roaming: ZONE_DATA_RATE, the roaming zone’s data rate' })
  roaming: string;
}

@ObjectType({ description: 'terms 2.2, 2.10: the tariff’s published per-unit rates, at home and in roaming per zone' })
export class TariffRates {
  @Field(() => UsageRates)
  home: UsageRates;

  @Field(() => [RoamingRates])
  roaming: RoamingRates[];

  @Field(() => OperatorAppDataRule)
  operatorAppData: OperatorAppDataRule;
}

export function offerStatus(row: { active: boolean; obsoleteAt: Date | null }): OfferStatus {
  return row.obsoleteAt ? OfferStatus.OBSOLETE : row.active ? OfferStatus.ON_SALE : OfferStatus.RETIRED;
}

function toUsageRates<T extends UsageRates>(target: T, value: { callPerMinuteMinor: number; smsMinor: number; dataPerMbMinor: number }): T {
  return Object.assign(target, { callPerMinute: Money.fromMinor(value.callPerMinuteMinor), sms: Money.fromMinor(value.smsMinor), dataPerMb: Money.fromMinor(value.dataPerMbMinor) });
}

export function toTariffRates(rates: TariffRatesValue | null): TariffRates | null {
  if (!rates) return null;
  return Object.assign(new TariffRates(), {
    home: toUsageRates(new UsageRates(), rates.home),
    roaming: rates.roaming.map((zone) => Object.assign(toUsageRates(new RoamingRates(), zone), { zone: zone.zone })),
    operatorAppData: Object.assign(new OperatorAppDataRule(), { homePerMb: Money.fromMinor(0), roaming: 'ZONE_DATA_RATE' }),
  });
}

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

  @Field(() => Money, { description: 'price of switching to this tariff (terms 2.10)' })
  switchFee: Money;

  @Field(() => [AllowanceSpec])
  allowances: AllowanceSpec[];

  @Field(() => String, { description: 'the terms version an order must accept (terms 2.2)' })
  termsVersion: string;

  @Field(() => String)
  termsUrl: string;

  @Field(() => TariffRates, { nullable: true, description: 'null: published before rates were' })
  rates: TariffRates | null;

  @Field(() => PartyType, { nullable: true, description: 'null: open to individuals and legal entities' })
  partyType: PartyType | null;

  @Field(() => OfferStatus)
  status: OfferStatus;
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

  @Field(() => String, { description: 'the terms version an order must accept (terms 2.2)' })
  termsVersion: string;

  @Field(() => String)
  termsUrl: string;

  @Field(() => OfferStatus)
  status: OfferStatus;
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
    rates: toTariffRates(version.rates ?? null),
    partyType: (row.partyType as PartyType | null) ?? null,
    status: offerStatus(row),
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
    status: offerStatus(row),
  });
}
