import { Arg, Ctx, ID, Int, Mutation, Resolver } from 'type-graphql';
import { AllowPublic, ChannelEnum, GraphQLContext, PhoneNumberScalar, RequireCaller, RequireSubscriber, requireSubscriber, type Class } from '@selfcare/shared';
import type { IdentityServices } from '../composition';
import { toSubscriber } from '../subscribers/subscriber.type';
import { AuthPayload, DeviceInput } from './auth.types';
import type { IssuedTokens } from './auth.service';

function toPayload(issued: IssuedTokens): AuthPayload {
  const payload = new AuthPayload();
  payload.accessToken = issued.accessToken;
  payload.refreshToken = issued.refreshToken;
  payload.accessTokenExpiresAt = issued.accessTokenExpiresAt;
  payload.subscriber = toSubscriber(issued.subscriber);
  return payload;
}

export function authResolvers(services: IdentityServices): Class[] {
  const { auth } = services;

  @Resolver()
  class AuthResolver {
    @Mutation(() => Boolean, { description: 'terms 3.1.1: a password by SMS; the same answer for any number (no enumeration); rate-limited per number and client' })
    @AllowPublic()
    requestPassword(@Arg('msisdn', () => PhoneNumberScalar) msisdn: string, @Ctx() ctx: GraphQLContext): Promise<boolean> {
      return auth.requestPassword(msisdn, ctx);
    }

    @Mutation(() => AuthPayload, { description: 'terms 3.1.1: login by number, verified e-mail or home-internet account number' })
    @AllowPublic()
    async login(
      @Arg('login', () => String) login: string,
      @Arg('password', () => String) password: string,
      @Arg('channel', () => ChannelEnum) channel: ChannelEnum,
      @Arg('device', () => DeviceInput, { nullable: true }) device: DeviceInput | null,
      @Ctx() ctx: GraphQLContext,
    ): Promise<AuthPayload> {
      return toPayload(await auth.login({ login, password, channel, device }, ctx));
    }

    @Mutation(() => AuthPayload, { description: 'Rotates the refresh token; a reused one ends its whole session' })
    @AllowPublic()
    async refreshSession(@Arg('refreshToken', () => String) refreshToken: string): Promise<AuthPayload> {
      return toPayload(await auth.refresh(refreshToken));
    }

    @Mutation(() => Boolean, { description: 'Ends the current session; its access tokens stop working at once' })
    @RequireCaller()
    logout(@Ctx() ctx: GraphQLContext): Promise<boolean> {
      return auth.logout(ctx);
    }

    @Mutation(() => Boolean, { description: 'terms 4.1: ends one of your sessions' })
    @RequireSubscriber()
    endSession(@Arg('id', () => ID) id: string, @Ctx() ctx: GraphQLContext): Promise<boolean> {
      return auth.endSession(requireSubscriber(ctx), id);
    }

    @Mutation(() => Int, { description: 'terms 4.1: ends every session but this one; returns how many ended' })
    @RequireSubscriber()
    endOtherSessions(@Ctx() ctx: GraphQLContext): Promise<number> {
      return auth.endOtherSessions(requireSubscriber(ctx));
    }

    @Mutation(() => Boolean, { description: 'terms 4.1: ends every other session' })
    @RequireSubscriber()
    changePassword(
      @Arg('currentPassword', () => String) currentPassword: string,
      @Arg('newPassword', () => String) newPassword: string,
      @Ctx() ctx: GraphQLContext,
    ): Promise<boolean> {
      return auth.changePassword(requireSubscriber(ctx), currentPassword, newPassword, ctx);
    }
  }

  return [AuthResolver];
}
