import { DomainError } from '@selfcare/shared';

/** Failures raised by the catalog (tariffs, services, each subscriber's product inventory). */
export class CatalogError extends DomainError {
  override readonly module = 'catalog';
}
