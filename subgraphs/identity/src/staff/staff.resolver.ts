import { Arg, Ctx, ID, Mutation, Query, Resolver } from 'type-graphql';
import { AllowPublic, GraphQLContext, RequireStaff, requireStaff, type Class } from '@selfcare/shared';
import type { IdentityServices } from '../composition';
import { AccessReason, AccessStatus, Subscriber, toSubscriber } from '../subscribers/subscriber.type';
import { OfficePassword, ProvisionSubscriberInput, StaffAccount, StaffAuthPayload, toStaffAccount } from './staff.types';
import type { StaffTokens } from './staff-auth.service';

function toPayload(tokens: StaffTokens): StaffAuthPayload {
  const payload = new StaffAuthPayload();
  payload.accessToken = tokens.accessToken;
  payload.refreshToken = tokens.refreshToken;
  payload.accessTokenExpiresAt = tokens.accessTokenExpiresAt;
  payload.staff = toStaffAccount(tokens.staff);
  return payload;
}

/** The operator's API: staff tokens only (a subscriber token is FORBIDDEN here, whatever it asks). */
export function staffResolvers(services: IdentityServices): Class[] {
  const { staffAuth, staffOps } = services;

  @Resolver()
  class StaffResolver {
    @Mutation(() => StaffAuthPayload, { description: "Staff login; the token carries the staff role, never a subscriber's rights" })
    @AllowPublic()
    async staffLogin(@Arg('login', () => String) login: string, @Arg('password', () => String) password: string, @Ctx() ctx: GraphQLContext): Promise<StaffAuthPayload> {
      return toPayload(await staffAuth.login(login, password, ctx));
    }

    @Mutation(() => StaffAuthPayload)
    @AllowPublic()
    async refreshStaffSession(@Arg('refreshToken', () => String) refreshToken: string): Promise<StaffAuthPayload> {
      return toPayload(await staffAuth.refresh(refreshToken));
    }

    @Query(() => StaffAccount, { description: 'The logged-in staff member' })
    @RequireStaff()
    async currentStaff(@Ctx() ctx: GraphQLContext): Promise<StaffAccount> {
      return toStaffAccount(await staffAuth.account(requireStaff(ctx)));
    }

    @Query(() => Subscriber, { description: 'Staff: a line by number, account number or verified e-mail' })
    @RequireStaff()
    async staffSubscriber(@Arg('login', () => String) login: string, @Ctx() ctx: GraphQLContext): Promise<Subscriber> {
      await staffAuth.account(requireStaff(ctx));
      return toSubscriber(await staffOps.find(login));
    }

    @Mutation(() => Subscriber, { description: 'Staff: a new MOBILE line or HOME_INTERNET contract; publishes SubscriberProvisioned' })
    @RequireStaff()
    async provisionSubscriber(@Arg('input', () => ProvisionSubscriberInput) input: ProvisionSubscriberInput, @Ctx() ctx: GraphQLContext): Promise<Subscriber> {
      const actor = await staffAuth.actor(requireStaff(ctx));
      return toSubscriber(await staffOps.provision(input, actor));
    }

    @Mutation(() => Subscriber, { description: 'Staff (terms 3.3, 2.8, 2.12): ACTIVE, SUSPENDED with a reason, BLOCKED (ADMIN); cuts off issued tokens at once' })
    @RequireStaff()
    async setAccessStatus(
      @Arg('subscriberId', () => ID) subscriberId: string,
      @Arg('status', () => AccessStatus) status: AccessStatus,
      @Arg('reason', () => AccessReason, { nullable: true }) reason: AccessReason | null,
      @Ctx() ctx: GraphQLContext,
    ): Promise<Subscriber> {
      const caller = requireStaff(ctx);
      const actor = await staffAuth.actor(caller);
      return toSubscriber(await staffOps.setAccessStatus(subscriberId, { status, reason: reason ?? null }, actor, caller.role));
    }

    @Mutation(() => Subscriber, { description: 'ADMIN (terms 3.3): the contract ended; access ends, every session and token with it' })
    @RequireStaff('ADMIN')
    async terminateContract(@Arg('subscriberId', () => ID) subscriberId: string, @Ctx() ctx: GraphQLContext): Promise<Subscriber> {
      const actor = await staffAuth.actor(requireStaff(ctx, ['ADMIN']));
      return toSubscriber(await staffOps.terminate(subscriberId, actor));
    }

    @Mutation(() => OfficePassword, { description: 'terms 3.1.2: a password issued at the office; shown once, stored only hashed' })
    @RequireStaff()
    async issueOfficePassword(@Arg('subscriberId', () => ID) subscriberId: string, @Ctx() ctx: GraphQLContext): Promise<OfficePassword> {
      const actor = await staffAuth.actor(requireStaff(ctx));
      const issued = await staffOps.issueOfficePassword(subscriberId, actor);
      const result = new OfficePassword();
      result.password = issued.password;
      result.subscriber = toSubscriber(issued.subscriber);
      return result;
    }
  }

  return [StaffResolver];
}
