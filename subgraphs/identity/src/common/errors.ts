import { DomainError, DomainErrorOptions, ErrorCode, Texts } from '@selfcare/shared';

/** Refusals of the identity subgraph (any of its modules); logs name the module. */
export class IdentityError extends DomainError {
  override readonly module = 'identity';
}

export function identityError(code: ErrorCode, options: DomainErrorOptions = {}): IdentityError {
  return new IdentityError(code, options);
}

/** A refusal with an optional specific text and the argument at fault. */
export function refusal(code: ErrorCode, texts?: Texts, field?: string, params?: Record<string, string | number>): IdentityError {
  return new IdentityError(code, { ...(texts ? { texts } : {}), ...(field ? { field } : {}), ...(params ? { params } : {}) });
}

export function identityBadInput(field: string, texts: Texts, params?: Record<string, string | number>): IdentityError {
  return new IdentityError(ErrorCode.BAD_USER_INPUT, { field, texts, ...(params ? { params } : {}) });
}

/** RATE_LIMITED with the seconds the caller should wait, as the contract's clients read it. */
export function rateLimited(retryAfterSeconds: number): IdentityError {
  return new IdentityError(ErrorCode.RATE_LIMITED, { extensions: { retryAfterSeconds: Math.max(1, Math.ceil(retryAfterSeconds)) } });
}
