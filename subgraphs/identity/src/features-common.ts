import { DomainError, ErrorCode, Texts } from '@selfcare/shared';

/** Refusals of the identity features (consents, terms, notices, activity…); logs tell the module apart. */
export class IdentityFeatureError extends DomainError {
  override readonly module = 'identity';
}

export function featureError(code: ErrorCode, texts?: Texts, field?: string, params?: Record<string, string | number>): IdentityFeatureError {
  return new IdentityFeatureError(code, { ...(texts ? { texts } : {}), ...(field ? { field } : {}), ...(params ? { params } : {}) });
}

export function sameText(text: string): Texts {
  return { KK: text, RU: text, EN: text };
}

export type ActorKind = 'SUBSCRIBER' | 'STAFF' | 'SYSTEM';
export type ChannelName = 'WEB' | 'MOBILE_APP';

/** Keyset condition for "newest first" pages ordered by (timestamp, id). */
export function beforePosition(alias: string, column: string, position: { k: string | number; id: string } | null): { sql: string; params: Record<string, unknown> } {
  if (!position) return { sql: '1 = 1', params: {} };
  const at = new Date(Number(position.k));
  return {
    sql: `(${alias}.${column} < :cursorAt OR (${alias}.${column} = :cursorAt AND ${alias}.id < :cursorId))`,
    params: { cursorAt: at, cursorId: position.id },
  };
}
