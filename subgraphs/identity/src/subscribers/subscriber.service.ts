import type { EntityManager } from 'typeorm';
import { normalizeEmail, normalizeMsisdn, SubgraphRuntime } from '@selfcare/shared';
import { SubscriberEntity } from './subscriber.entity';

/** How a login was written (terms 1 "Login": the number, or an e-mail / alphanumeric login tied to it). */
export interface LoginForm {
  kind: 'msisdn' | 'email' | 'account';
  /** the canonical value: E.164, lower-cased domain e-mail, or the trimmed account number */
  value: string;
}

const ACCOUNT_NUMBER = /^[A-Za-z0-9-]{4,32}$/;

/** Reads a login in any accepted form; null when it cannot be any subscriber's login. */
export function parseLogin(input: string): LoginForm | null {
  if (typeof input !== 'string') return null;
  const text = input.trim();
  if (text.length === 0 || text.length > 254) return null;
  const msisdn = normalizeMsisdn(text);
  if (msisdn) return { kind: 'msisdn', value: msisdn };
  if (text.includes('@')) {
    const email = normalizeEmail(text);
    return email ? { kind: 'email', value: email } : null;
  }
  return ACCOUNT_NUMBER.test(text) ? { kind: 'account', value: text } : null;
}

export class SubscriberService {
  constructor(private readonly runtime: SubgraphRuntime) {}

  /** The subscriber a login names: by number, by VERIFIED e-mail only (terms 3.1.1), or by home-internet account number. */
  async findByLogin(form: LoginForm, manager: EntityManager = this.runtime.database.manager): Promise<SubscriberEntity | null> {
    const repository = manager.getRepository(SubscriberEntity);
    switch (form.kind) {
      case 'msisdn':
        return repository.findOne({ where: { msisdn: form.value } });
      case 'email':
        return repository.findOne({ where: { verifiedEmail: form.value } });
      case 'account':
        return repository.findOne({ where: { login: form.value, kind: 'HOME_INTERNET' } });
    }
  }

  findByMsisdn(msisdn: string): Promise<SubscriberEntity | null> {
    return this.runtime.database.manager.getRepository(SubscriberEntity).findOne({ where: { msisdn } });
  }

  findById(id: string, manager: EntityManager = this.runtime.database.manager): Promise<SubscriberEntity | null> {
    return manager.getRepository(SubscriberEntity).findOne({ where: { id } });
  }

  /** The row locked for update in the caller's transaction (SQLite serializes transactions instead). */
  lock(manager: EntityManager, id: string): Promise<SubscriberEntity | null> {
    const lock = this.runtime.database.lockMode;
    return manager.findOne(SubscriberEntity, { where: { id }, ...(lock ? { lock } : {}) });
  }
}
