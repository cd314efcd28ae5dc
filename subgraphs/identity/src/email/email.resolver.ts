import { Arg, Ctx, Mutation, Resolver } from 'type-graphql';
import { EmailAddressScalar, GraphQLContext, RequireSubscriber, requireSubscriber, type Class } from '@selfcare/shared';
import type { IdentityServices } from '../composition';
import { Subscriber, toSubscriber } from '../subscribers/subscriber.type';

export function emailResolvers(services: IdentityServices): Class[] {
  @Resolver()
  class EmailResolver {
    /** Sends a verification link; the address becomes a login once the link is opened. null removes the e-mail. */
    @Mutation(() => Subscriber, { description: 'Sends a verification link to the address; it becomes a login once confirmed. null removes it' })
    @RequireSubscriber()
    async setEmail(@Arg('email', () => EmailAddressScalar, { nullable: true }) email: string | null, @Ctx() ctx: GraphQLContext): Promise<Subscriber> {
      return toSubscriber(await services.email.setEmail(requireSubscriber(ctx), email ?? null));
    }
  }
  return [EmailResolver];
}
