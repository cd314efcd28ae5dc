import { DomainError } from '@selfcare/shared';

/** Failures raised by delegation (managing another number, terms 5). */
export class DelegationError extends DomainError {
  override readonly module = 'delegation';
}
