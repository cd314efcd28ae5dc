import { DomainError } from '@selfcare/shared';

/** Failures raised by billing (accounts, the ledger, payments). */
export class BillingError extends DomainError {
  override readonly module = 'billing';
}
