import { Arg, Args, ArgsType, Ctx, Field, FieldResolver, ID, Mutation, Query, Resolver, Root } from 'type-graphql';
import { GraphQLContext, PhoneNumberScalar, RequireSubscriber } from '@selfcare/shared';
import { Account, SavedCard, toSavedCard } from '../accounts/types';
import { PageArgs } from '../resolvers';
import type { AutopayService } from '../autopay/autopay-service';
import { Autopay } from '../autopay/types';
import type { CardService } from '../cards/card-service';
import type { TrustService } from '../trust/trust-service';
import { TrustPayment } from '../trust/types';
import type { TransferService } from '../transfers/transfer-service';
import { BalanceTransfer, BalanceTransferConnection } from '../transfers/types';
import type { PaymentService } from './payment-service';
import { Payment, PaymentConnection } from './types';

/** Arguments in the contract's order (an ArgsType keeps declaration order; parameter decorators do not). */
@ArgsType()
export class PayByCardArgs {
  @Field(() => ID)
  subscriberId: string;

  @Field(() => String, { description: 'KZT, a decimal string with at most two digits after the point, e.g. "1500.00"' })
  amount: string;

  @Field(() => String, { nullable: true, description: "The provider's token of a new card (POST /v1/tokens); or give savedCardId" })
  cardToken?: string | null;

  @Field(() => Boolean, { nullable: true, description: "Keep the card (the provider's token and its display data only) on the payer's own account" })
  saveCard?: boolean | null;

  @Field(() => String)
  idempotencyKey: string;

  @Field(() => ID, { nullable: true, description: 'A saved card of this account, or of the payer’s own, instead of cardToken' })
  savedCardId?: string | null;
}

@ArgsType()
export class SetAutopayArgs {
  @Field(() => ID)
  subscriberId: string;

  @Field(() => ID)
  savedCardId: string;

  @Field(() => String)
  threshold: string;

  @Field(() => String)
  amount: string;
}

@ArgsType()
export class TransferBalanceArgs {
  @Field(() => ID)
  fromSubscriberId: string;

  @Field(() => PhoneNumberScalar)
  toMsisdn: string;

  @Field(() => String)
  amount: string;

  @Field(() => String)
  idempotencyKey: string;
}

@ArgsType()
export class ConfirmTransferArgs {
  @Field(() => ID)
  id: string;

  @Field(() => String)
  code: string;
}

export interface PaymentsResolverServices {
  payments: PaymentService;
  cards: CardService;
  autopay: AutopayService;
  trust: TrustService;
  transfers: TransferService;
}

/** Payments, saved cards, autopay, trust payment and transfers: thin resolvers, the services decide. */
export function paymentsResolvers({ payments, cards, autopay, trust, transfers }: PaymentsResolverServices) {
  @Resolver(() => Payment)
  class PaymentResolver {
    @Mutation(() => Payment, {
      description:
        'terms 2.1: pay by bank card for an own or managed number. cardToken comes from the payment provider (the card number never reaches this API), or savedCardId names a saved card. Same idempotencyKey + same arguments -> the same Payment; different arguments -> IDEMPOTENCY_CONFLICT.',
    })
    @RequireSubscriber()
    payByCard(@Ctx() ctx: GraphQLContext, @Args(() => PayByCardArgs) args: PayByCardArgs): Promise<Payment> {
      return payments.payByCard(ctx, args);
    }

    @Query(() => Payment, { nullable: true, description: 'A payment for an own or managed number; null when there is none with this id' })
    @RequireSubscriber()
    payment(@Ctx() ctx: GraphQLContext, @Arg('id', () => ID) id: string): Promise<Payment | null> {
      return payments.payment(ctx, id);
    }

    @FieldResolver(() => SavedCard, { nullable: true })
    @RequireSubscriber()
    async card(@Root() payment: Payment, @Ctx() ctx: GraphQLContext): Promise<SavedCard | null> {
      const row = await payments.cardOf(ctx, payment);
      return row ? toSavedCard(row) : null;
    }
  }

  @Resolver(() => Account)
  class AccountPaymentsResolver {
    @FieldResolver(() => PaymentConnection, { description: 'Card payments for this number, newest first' })
    @RequireSubscriber()
    payments(@Root() account: Account, @Ctx() ctx: GraphQLContext, @Args(() => PageArgs) page: PageArgs): Promise<PaymentConnection> {
      return payments.paymentsOf(ctx, account, page.first, page.after);
    }

    @FieldResolver(() => Autopay, { nullable: true, description: 'The autopay set for this account, if any (on or off)' })
    @RequireSubscriber()
    autopay(@Root() account: Account, @Ctx() ctx: GraphQLContext): Promise<Autopay | null> {
      return autopay.autopayOf(ctx, account);
    }

    @FieldResolver(() => TrustPayment, { nullable: true, description: 'The open trust payment, if any' })
    @RequireSubscriber()
    trustPayment(@Root() account: Account, @Ctx() ctx: GraphQLContext): Promise<TrustPayment | null> {
      return trust.openOf(ctx, account);
    }

    @FieldResolver(() => BalanceTransferConnection, { description: 'Transfers sent from this account, newest first' })
    @RequireSubscriber()
    transfers(@Root() account: Account, @Ctx() ctx: GraphQLContext, @Args(() => PageArgs) page: PageArgs): Promise<BalanceTransferConnection> {
      return transfers.transfersOf(ctx, account, page.first, page.after);
    }
  }

  @Resolver(() => SavedCard)
  class SavedCardResolver {
    @Mutation(() => Boolean, { description: 'Removes a saved card of an own or managed number (autopay on it is turned off)' })
    @RequireSubscriber()
    removeSavedCard(@Ctx() ctx: GraphQLContext, @Arg('id', () => ID) id: string): Promise<boolean> {
      return cards.remove(ctx, id);
    }
  }

  @Resolver(() => Autopay)
  class AutopayResolver {
    @Mutation(() => Autopay, { description: 'Autopay: when a charge takes the balance below threshold, amount is paid from the saved card' })
    @RequireSubscriber()
    setAutopay(@Ctx() ctx: GraphQLContext, @Args(() => SetAutopayArgs) args: SetAutopayArgs): Promise<Autopay> {
      return autopay.set(ctx, args);
    }

    @Mutation(() => Autopay, { nullable: true, description: 'Turns autopay off; null when none was set' })
    @RequireSubscriber()
    disableAutopay(@Ctx() ctx: GraphQLContext, @Arg('subscriberId', () => ID) subscriberId: string): Promise<Autopay | null> {
      return autopay.disable(ctx, subscriberId);
    }
  }

  @Resolver(() => TrustPayment)
  class TrustPaymentResolver {
    @Mutation(() => TrustPayment, { description: 'A trust payment: a short credit for subscribers of some tenure who have been paying; CONFLICT (extensions.reason) otherwise' })
    @RequireSubscriber()
    takeTrustPayment(@Ctx() ctx: GraphQLContext, @Arg('subscriberId', () => ID) subscriberId: string): Promise<TrustPayment> {
      return trust.take(ctx, subscriberId);
    }
  }

  @Resolver(() => BalanceTransfer)
  class BalanceTransferResolver {
    @Mutation(() => BalanceTransfer, { description: 'Starts a transfer to another Beeline number; a code goes by SMS to the paying number. Same idempotencyKey + same arguments -> the same transfer' })
    @RequireSubscriber()
    transferBalance(@Ctx() ctx: GraphQLContext, @Args(() => TransferBalanceArgs) args: TransferBalanceArgs): Promise<BalanceTransfer> {
      return transfers.request(ctx, args);
    }

    @Mutation(() => BalanceTransfer, { description: 'Confirms a transfer with the code from the SMS: the money moves at once' })
    @RequireSubscriber()
    confirmTransfer(@Ctx() ctx: GraphQLContext, @Args(() => ConfirmTransferArgs) args: ConfirmTransferArgs): Promise<BalanceTransfer> {
      return transfers.confirm(ctx, args.id, args.code);
    }
  }

  return [PaymentResolver, AccountPaymentsResolver, SavedCardResolver, AutopayResolver, TrustPaymentResolver, BalanceTransferResolver] as const;
}
