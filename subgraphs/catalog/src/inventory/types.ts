import { Directive, Field, ID, ObjectType } from 'type-graphql';
import { Money } from '@selfcare/shared';
import { Service } from '../offers/types';

/** identity owns Subscriber; the catalog contributes its tariff and services (contract [catalog] fields). */
@Directive('@key(fields: "id")')
@ObjectType('Subscriber')
export class Subscriber {
  @Field(() => ID)
  id: string;
}

@ObjectType({ description: 'A service connected to the line' })
export class ConnectedService {
  @Field(() => Service)
  service: Service;

  @Field(() => Date)
  connectedAt: Date;

  @Field(() => String, { description: 'terms 2.2: the terms version accepted when the service was connected' })
  acceptedTermsVersion: string;

  @Field(() => Money, { description: 'terms 2.2: the monthly fee accepted when the service was connected' })
  acceptedPrice: Money;
}
