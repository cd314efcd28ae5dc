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
