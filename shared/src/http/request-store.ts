import { AsyncLocalStorage } from 'node:async_hooks';
import { Language } from '../i18n/language';

/** What every piece of code running for one HTTP request may need without threading it through. */
export interface RequestScope {
  requestId: string;
  language: Language;
}

const storage = new AsyncLocalStorage<RequestScope>();

export function runInRequest<T>(scope: RequestScope, fn: () => T): T {
  return storage.run(scope, fn);
}

export function currentRequest(): RequestScope | undefined {
  return storage.getStore();
}

export function currentLanguage(): Language {
  return storage.getStore()?.language ?? Language.RU;
}
