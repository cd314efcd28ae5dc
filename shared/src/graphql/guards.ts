import { createMethodMiddlewareDecorator } from 'type-graphql';
import type { GraphQLContext } from './context';
import type { StaffCaller, StaffRole, SubscriberCaller } from '../auth/caller';
import { DomainError } from '../errors/domain-error';
import { ErrorCode } from '../errors/error-code';

/**
 * Every resolver method declares exactly one guard (checked by `npm run lint` and a test):
 * AllowPublic, RequireSubscriber, RequireStaff, or RequireCaller.
 * Access to a particular number is then decided by AccessPolicy inside the service.
 */
export function AllowPublic(): MethodDecorator {
  return createMethodMiddlewareDecorator<GraphQLContext>(async (_data, next) => next());
}

export function requireSubscriber(ctx: GraphQLContext): SubscriberCaller {
  if (!ctx.caller) throw ctx.authError ?? new DomainError(ErrorCode.UNAUTHENTICATED);
  if (ctx.caller.kind !== 'subscriber') throw new DomainError(ErrorCode.FORBIDDEN);
  return ctx.caller;
}

export function requireStaff(ctx: GraphQLContext, roles: StaffRole[] = []): StaffCaller {
  if (!ctx.caller) throw ctx.authError ?? new DomainError(ErrorCode.UNAUTHENTICATED);
  if (ctx.caller.kind !== 'staff') throw new DomainError(ErrorCode.FORBIDDEN);
  if (roles.length > 0 && !roles.includes(ctx.caller.role) && ctx.caller.role !== 'ADMIN') throw new DomainError(ErrorCode.FORBIDDEN);
  return ctx.caller;
}

export function RequireSubscriber(): MethodDecorator {
  return createMethodMiddlewareDecorator<GraphQLContext>(async ({ context }, next) => {
    requireSubscriber(context);
    return next();
  });
}

export function RequireStaff(...roles: StaffRole[]): MethodDecorator {
  return createMethodMiddlewareDecorator<GraphQLContext>(async ({ context }, next) => {
    requireStaff(context, roles);
    return next();
  });
}

/** Any authenticated caller, subscriber or staff. */
export function RequireCaller(): MethodDecorator {
  return createMethodMiddlewareDecorator<GraphQLContext>(async ({ context }, next) => {
    if (!context.caller) throw context.authError ?? new DomainError(ErrorCode.UNAUTHENTICATED);
    return next();
  });
}
