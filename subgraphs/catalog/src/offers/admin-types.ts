import { Field, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { AllowanceUnit, SubscriberKind, connectionType } from '@selfcare/shared';

export enum PartyType {
  INDIVIDUAL = 'INDIVIDUAL',
  LEGAL_ENTITY = 'LEGAL_ENTITY',
}

export enum OfferStatus {
  ON_SALE = 'ON_SALE',
  RETIRED = 'RETIRED',
  OBSOLETE = 'OBSOLETE',
}

registerEnumType(PartyType, { name: 'PartyType' });
registerEnumType(OfferStatus, {
  name: 'OfferStatus',
  description: 'terms 2.6: ON_SALE; RETIRED (no longer sold, holders keep it at its price); OBSOLETE (its holders were moved off it)',
});

@InputType({ description: 'A text in each language of the cabinet' })
export class LocalizedTextInput {
  @Field(() => String)
  kk: string;

  @Field(() => String)
  ru: string;

  @Field(() => String)
  en: string;
}

@InputType()
export class AllowanceSpecInput {
  @Field(() => AllowanceUnit)
  unit: AllowanceUnit;

  @Field(() => Int)
  amount: number;
}

@InputType({ description: 'Per-unit prices as money amounts ("25.00")' })
export class UsageRatesInput {
  @Field(() => String)
  callPerMinute: string;

  @Field(() => String)
  sms: string;

  @Field(() => String)
  dataPerMb: string;
}

@InputType()
export class RoamingRatesInput extends UsageRatesInput {
  @Field(() => String, { description: 'the zone code, e.g. CIS, EUROPE, WORLD' })
  zone: string;
}

@InputType({ description: 'terms 2.10: the rates beyond the allowances; the operator’s app’s data is free at home and at the zone’s data rate in roaming' })
export class TariffRatesInput {
  @Field(() => UsageRatesInput)
  home: UsageRatesInput;

  @Field(() => [RoamingRatesInput])
  roaming: RoamingRatesInput[];
}

@InputType({ description: 'terms 2.2, 2.6: a version of a tariff’s terms and prices' })
export class TariffVersionInput {
  @Field(() => String)
  termsVersion: string;

  @Field(() => String)
  termsUrl: string;

  @Field(() => String)
  monthlyFee: string;

  @Field(() => String)
  switchFee: string;

  @Field(() => [AllowanceSpecInput])
  allowances: AllowanceSpecInput[];

  @Field(() => TariffRatesInput)
  rates: TariffRatesInput;

  @Field(() => Date, { nullable: true, description: 'from when it applies to the lines already on the tariff (default now; never earlier); new orders accept it at once' })
  effectiveFrom?: Date | null;
}

@InputType()
export class NewTariffInput {
  @Field(() => String, { description: 'UPPER_SNAKE, e.g. BEELINE_XL' })
  code: string;

  @Field(() => SubscriberKind)
  kind: SubscriberKind;

  @Field(() => PartyType, { nullable: true, description: 'null: open to individuals and legal entities' })
  partyType?: PartyType | null;

  @Field(() => LocalizedTextInput)
  name: LocalizedTextInput;

  @Field(() => LocalizedTextInput)
  description: LocalizedTextInput;

  @Field(() => Int, { nullable: true })
  sortOrder?: number | null;

  @Field(() => TariffVersionInput)
  version: TariffVersionInput;
}

@InputType({ description: 'Who may connect the service: lines of this kind, on any tariff or on the tariffs named' })
export class ServiceAvailabilityInput {
  @Field(() => SubscriberKind)
  kind: SubscriberKind;

  @Field(() => [String], { nullable: true })
  tariffCodes?: string[] | null;
}

@InputType({ description: 'terms 2.2, 2.6: a version of a service’s terms and prices, with its compatibility' })
export class ServiceVersionInput {
  @Field(() => String)
  termsVersion: string;

  @Field(() => String)
  termsUrl: string;

  @Field(() => String)
  connectionFee: string;

  @Field(() => String)
  monthlyFee: string;

  @Field(() => Date, { nullable: true })
  effectiveFrom?: Date | null;

  @Field(() => [ServiceAvailabilityInput])
  availability: ServiceAvailabilityInput[];

  @Field(() => [String], { description: 'codes of services that cannot be connected together with it' })
  conflictsWith: string[];
}

@InputType()
export class NewServiceInput {
  @Field(() => String)
  code: string;

  @Field(() => String, { description: 'UPPER_SNAKE, e.g. ROAMING' })
  category: string;

  @Field(() => LocalizedTextInput)
  name: LocalizedTextInput;

  @Field(() => LocalizedTextInput)
  description: LocalizedTextInput;

  @Field(() => Int, { nullable: true })
  sortOrder?: number | null;

  @Field(() => ServiceVersionInput)
  version: ServiceVersionInput;
}

@ObjectType({ description: 'terms 2.6: one of the operator’s changes to an offer' })
export class CatalogChange {
  @Field(() => ID)
  id: string;

  @Field(() => Date)
  at: Date;

  @Field(() => String)
  action: string;

  @Field(() => ID)
  staffId: string;

  @Field(() => String)
  staffRole: string;

  @Field(() => String)
  details: string;
}

export const CatalogChangeConnection = connectionType(CatalogChange, 'CatalogChange');
export type CatalogChangeConnection = InstanceType<typeof CatalogChangeConnection>;
