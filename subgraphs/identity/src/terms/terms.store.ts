import type { EntityManager } from 'typeorm';
import { TermsVersionEntity } from './terms.entities';

/** The version in force: the one published last (highest ordinal). */
export async function currentTerms(manager: EntityManager): Promise<TermsVersionEntity | null> {
  return manager.findOne(TermsVersionEntity, { where: {}, order: { ordinal: 'DESC' } });
}

export async function currentTermsVersion(manager: EntityManager): Promise<string | null> {
  return (await currentTerms(manager))?.version ?? null;
}
