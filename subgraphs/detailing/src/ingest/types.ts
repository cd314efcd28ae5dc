import { Field, Float, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { Money } from '@selfcare/shared';
import { Direction, UsageKind } from '../usage/entities';

export enum UsageRejectionReasonEnum {
  INVALID = 'INVALID',
  UNKNOWN_NUMBER = 'UNKNOWN_NUMBER',
  IN_FUTURE = 'IN_FUTURE',
  NO_RATE = 'NO_RATE',
  CONFLICT = 'CONFLICT',
}
registerEnumType(UsageRejectionReasonEnum, { name: 'UsageRejectionReason', description: 'Why a usage record was not taken' });

@InputType({ description: 'One usage record from the network side (staff: a batch through ingestUsage)' })
export class UsageRecordInput {
  @Field(() => String, { description: "the network's id of the record: a record sent twice is stored once" })
  sourceRef: string;

  @Field(() => Int, { nullable: true, description: 'a correction of the record sent earlier with a lower revision (default 0)' })
  revision?: number | null;

  @Field(() => String, { description: 'the number (E.164) or home-internet login the usage belongs to' })
  line: string;

  @Field(() => UsageKind)
  kind: UsageKind;

  @Field(() => Date)
  startedAt: Date;

  @Field(() => Direction, { nullable: true, description: 'calls and SMS' })
  direction?: Direction | null;

  @Field(() => String, { nullable: true, description: 'the other number of a call or SMS, or the service of a data session' })
  counterparty?: string | null;

  @Field(() => Int, { nullable: true, description: 'calls: the duration' })
  seconds?: number | null;

  @Field(() => Float, { nullable: true, description: 'data sessions: the volume' })
  bytes?: number | null;

  @Field(() => Boolean, { nullable: true })
  roaming?: boolean | null;

  @Field(() => String, { nullable: true, description: 'ISO 3166 country of the visited network while roaming' })
  roamingCountry?: string | null;

  @Field(() => String, { nullable: true, description: "terms 2.10: the operator's own app (MY_BEELINE) whose data this is" })
  app?: string | null;

  @Field(() => String, { nullable: true, description: 'CHARGE only: the amount in KZT ("125.50"), priced by the network side' })
  amount?: string | null;

  @Field(() => String, { nullable: true, description: 'CHARGE only: what the charge is for' })
  description?: string | null;
}

@ObjectType()
export class UsageRejection {
  @Field(() => Int, { description: 'the record’s position in the batch (0-based), or its line in the CSV file' })
  index: number;

  @Field(() => String, { nullable: true })
  sourceRef: string | null;

  @Field(() => UsageRejectionReasonEnum)
  reason: UsageRejectionReasonEnum;

  @Field(() => String, { nullable: true, description: 'the field at fault' })
  field: string | null;
}

@ObjectType({ description: 'What a batch of usage records left: stored and rated, corrected, already known, refused' })
export class UsageIngestResult {
  @Field(() => Int)
  accepted: number;

  @Field(() => Int)
  corrected: number;

  @Field(() => Int)
  duplicates: number;

  @Field(() => [UsageRejection])
  rejected: UsageRejection[];
}

@ObjectType({ description: 'Usage of one calendar day in Asia/Almaty (UTC+5)' })
export class UsageDay {
  @Field(() => String, { description: 'YYYY-MM-DD, Almaty time' })
  day: string;

  @Field(() => Int)
  count: number;

  @Field(() => Int)
  seconds: number;

  @Field(() => Float)
  bytes: number;

  @Field(() => Money)
  charge: Money;
}
