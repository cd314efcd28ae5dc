import { DomainError } from '@selfcare/shared';

/** Failures raised by detailing (usage records, summaries, allowances, statements). */
export class DetailingError extends DomainError {
  override readonly module = 'detailing';
}
