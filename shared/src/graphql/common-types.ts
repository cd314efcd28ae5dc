import { Field, ObjectType, Directive, registerEnumType } from 'type-graphql';
import { ErrorCode } from '../errors/error-code';
import { Language } from '../i18n/language';
import { CURRENCY, formatMinorUnits } from '../domain/money';

/** Shared value types: identical in every subgraph that declares them, hence @shareable. */
@Directive('@shareable')
@ObjectType({ description: 'Exact money. amount is a decimal string with two digits, e.g. "1250.00"; never a float.' })
export class Money {
  @Field(() => String)
  amount!: string;

  @Field(() => String)
  currency!: string;

  static fromMinor(minor: number): Money {
    const money = new Money();
    money.amount = formatMinorUnits(minor);
    money.currency = CURRENCY;
    return money;
  }
}

@Directive('@shareable')
@ObjectType()
export class PageInfo {
  @Field(() => Boolean)
  hasNextPage!: boolean;

  @Field(() => String, { nullable: true })
  endCursor!: string | null;
}

export enum ChannelEnum {
  WEB = 'WEB',
  MOBILE_APP = 'MOBILE_APP',
}

export enum SubscriberKind {
  MOBILE = 'MOBILE',
  HOME_INTERNET = 'HOME_INTERNET',
}

export enum AllowanceUnit {
  MINUTES = 'MINUTES',
  SMS = 'SMS',
  MEGABYTES = 'MEGABYTES',
}

export const ERROR_CODE_DESCRIPTION =
  'What a failed operation reports in `extensions.code` (with `extensions.field` for a bad argument). The standard ' +
  'automatic-persisted-query answers PERSISTED_QUERY_NOT_FOUND and PERSISTED_QUERY_NOT_SUPPORTED keep their own codes.';

// No field returns it today; buildFederatedSchema adds the same type to every subgraph (ErrorCodeType).
registerEnumType(ErrorCode, { name: 'ErrorCode', description: ERROR_CODE_DESCRIPTION });
registerEnumType(Language, { name: 'Language' });
registerEnumType(ChannelEnum, { name: 'Channel', description: 'terms 2.3: WEB or the My Beeline app; HOME_INTERNET has no MOBILE_APP access (1)' });
registerEnumType(SubscriberKind, { name: 'SubscriberKind' });
registerEnumType(AllowanceUnit, { name: 'AllowanceUnit' });
