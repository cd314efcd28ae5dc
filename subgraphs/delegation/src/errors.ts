import { DomainError, ErrorCode, Texts } from '@selfcare/shared';

/** Failures raised by delegation (managing another number, terms 5). */
export class DelegationError extends DomainError {
  override readonly module = 'delegation';
}

export function refusal(code: ErrorCode, texts?: Texts, options: { field?: string; params?: Record<string, string | number>; extensions?: Record<string, unknown> } = {}): DelegationError {
  return new DelegationError(code, { ...(texts ? { texts } : {}), ...options });
}
