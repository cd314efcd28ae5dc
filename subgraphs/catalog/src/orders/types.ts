import { Directive, Field, ID, ObjectType, registerEnumType } from 'type-graphql';
import { ChannelEnum, ErrorCode, Money, connectionType } from '@selfcare/shared';
import { Subscriber } from '../inventory/types';
import type { ProductOrderEntity } from './entities';

export enum OrderKind {
  CONNECT_SERVICE = 'CONNECT_SERVICE',
  DISCONNECT_SERVICE = 'DISCONNECT_SERVICE',
  CHANGE_TARIFF = 'CHANGE_TARIFF',
}

export enum OrderStatus {
  ACKNOWLEDGED = 'ACKNOWLEDGED',
  IN_PROGRESS = 'IN_PROGRESS',
  COMPLETED = 'COMPLETED',
  FAILED = 'FAILED',
  REJECTED = 'REJECTED',
}

registerEnumType(OrderKind, { name: 'OrderKind' });
registerEnumType(OrderStatus, { name: 'OrderStatus', description: 'TMF622-style: ACKNOWLEDGED → IN_PROGRESS → COMPLETED; or REJECTED (refused, nothing charged) or FAILED (charged, then refunded)' });

@Directive('@key(fields: "id")')
@ObjectType({ description: 'An order to connect or disconnect a service or change the tariff (terms 2.1, 2.2, 5.2)' })
export class ProductOrder {
  @Field(() => ID)
  id: string;

  @Field(() => OrderKind)
  kind: OrderKind;

  @Field(() => OrderStatus)
  status: OrderStatus;

  @Field(() => Subscriber, { description: 'the number the order is for' })
  subscriber: Subscriber;

  @Field(() => ErrorCode, { nullable: true, description: 'why it was REJECTED or FAILED' })
  failureCode: ErrorCode | null;

  @Field(() => Date)
  createdAt: Date;

  @Field(() => Date, { nullable: true })
  completedAt: Date | null;

  @Field(() => String, { description: 'terms 2.2: the terms version accepted with it (for a disconnection, the one the service ran under)' })
  acceptedTermsVersion: string;

  @Field(() => String, { description: 'the service or tariff code ordered' })
  offerCode: string;

  @Field(() => Money, { nullable: true, description: 'terms 2.2: the monthly fee accepted with it' })
  acceptedPrice: Money | null;

  @Field(() => Money, { description: 'the one-off fee the order charges: connection or switch fee (refunded when FAILED)' })
  fee: Money;

  @Field(() => Boolean, { description: 'terms 4.3: placed by a manager of the number' })
  viaManagement: boolean;

  @Field(() => ChannelEnum, { nullable: true })
  channel: ChannelEnum | null;
}

export const ProductOrderConnection = connectionType(ProductOrder, 'ProductOrder');
export type ProductOrderConnection = InstanceType<typeof ProductOrderConnection>;

export function toProductOrder(row: ProductOrderEntity): ProductOrder {
  return Object.assign(new ProductOrder(), {
    id: row.id,
    kind: row.kind as OrderKind,
    status: row.status as OrderStatus,
    subscriber: Object.assign(new Subscriber(), { id: row.subscriberId }),
    failureCode: (row.failureCode as ErrorCode | null) ?? null,
    createdAt: row.createdAt,
    completedAt: row.completedAt,
    acceptedTermsVersion: row.acceptedTermsVersion,
    offerCode: row.offerCode,
    acceptedPrice: row.acceptedPriceMinor === null ? null : Money.fromMinor(row.acceptedPriceMinor),
    fee: Money.fromMinor(row.feeMinor),
    viaManagement: row.viaManagement,
    channel: (row.channel as ChannelEnum | null) ?? null,
  });
}
