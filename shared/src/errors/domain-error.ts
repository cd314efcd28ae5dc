import { GraphQLError } from 'graphql';
import { ErrorCode } from './error-code';
import { Language, Texts, interpolate } from '../i18n/language';
import { messageFor } from './messages';

export interface DomainErrorOptions {
  /** The argument at fault, for BAD_USER_INPUT (contract: `extensions.field`). */
  field?: string;
  /** A more specific caller-facing text than the code's default. */
  texts?: Texts;
  params?: Record<string, string | number>;
  /** Extra, safe extensions (e.g. retryAfterSeconds). */
  extensions?: Record<string, unknown>;
}

/**
 * A failure the caller can act on. Each module derives its own class (IdentityError, CatalogError…),
 * so logs tell which module refused; the format is the same everywhere.
 */
export class DomainError extends Error {
  readonly module: string = 'shared';
  constructor(
    readonly code: ErrorCode,
    readonly options: DomainErrorOptions = {},
  ) {
    super(options.texts ? interpolate(options.texts.EN, options.params) : code);
    this.name = new.target.name;
  }

  localizedMessage(language: Language): string {
    const texts = this.options.texts;
    return texts ? interpolate(texts[language], this.options.params) : messageFor(this.code, language);
  }

  toGraphQLError(language: Language): GraphQLError {
    return new GraphQLError(this.localizedMessage(language), {
      extensions: {
        code: this.code,
        ...(this.options.field ? { field: this.options.field } : {}),
        ...(this.options.extensions ?? {}),
      },
    });
  }
}

export function badInput(field: string, texts?: Texts, params?: Record<string, string | number>): DomainError {
  return new DomainError(ErrorCode.BAD_USER_INPUT, { field, ...(texts ? { texts } : {}), ...(params ? { params } : {}) });
}
