import { randomUUID } from 'node:crypto';
import { In, type EntityManager } from 'typeorm';
import { ErrorCode, type SubgraphRuntime, identityEvents } from '@selfcare/shared';
import type { ChannelName } from '../common/actor';
import { refusal } from '../common/errors';
import type { ConsentService } from '../consents/consent.service';
import { type BroadcastWorker, termsNoticeTexts } from '../notices/broadcast-worker';
import { TermsAcceptanceEntity, TermsVersionEntity } from './terms.entities';
import type { TermsRecords } from './terms.store';

const VERSION_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$/;

/**
 * Terms of use versions (terms 6.1, 6.2, 6.6): the operator publishes a version, subscribers are told per their
 * notification settings (a broadcast job), and acceptance — explicit, at registration, or by continued use at
 * the next login (terms 3.5, 6.6) — is recorded once per version with its time and channel.
 */
export class TermsService {
  constructor(
    private readonly runtime: SubgraphRuntime,
    private readonly records: TermsRecords,
    private readonly consents: ConsentService,
    private readonly broadcasts: BroadcastWorker,
  ) {}

  async currentVersion(manager: EntityManager = this.runtime.database.manager): Promise<string | null> {
    return this.records.currentVersion(manager);
  }

  async current(manager: EntityManager = this.runtime.database.manager): Promise<TermsVersionEntity> {
    const terms = await this.records.current(manager);
    if (!terms) throw refusal(ErrorCode.NOT_FOUND);
    return terms;
  }

  /**
   * Every successful login (the login calls this): continued use after a change is acceptance of the version in
   * force (terms 3.5, 6.6). Logging in is also consent to
   * personal-data processing (terms 2.11), recorded again here if it had been withdrawn.
   */
  async acceptOnLogin(manager: EntityManager, subscriberId: string, channel: ChannelName): Promise<void> {
    const terms = await this.records.current(manager);
    await this.consents.consentByLogin(manager, subscriberId, channel, terms?.version ?? null);
    if (!terms) return;
    // At registration the acceptance was recorded a moment ago (recordRegistrationConsents); then this adds nothing.
    await this.records.recordAcceptance(manager, { subscriberId, version: terms.version, channel, method: 'CONTINUED_USE' });
  }

  /** acceptTerms (terms 6.1, 6.6): only the version in force can be accepted; accepting it again changes nothing. */
  async accept(subscriberId: string, version: string, channel: ChannelName): Promise<TermsVersionEntity> {
    return this.runtime.database.transaction(async (manager) => {
      const terms = await this.records.current(manager);
      if (!terms || terms.version !== version) {
        const known = await manager.findOne(TermsVersionEntity, { where: { version } });
        if (!known) {
          throw refusal(ErrorCode.NOT_FOUND, { KK: 'Мұндай шарттар нұсқасы жоқ', RU: 'Такой версии условий нет', EN: 'No such terms version' }, 'version');
        }
        throw refusal(
          ErrorCode.BAD_USER_INPUT,
          {
            KK: 'Тек қолданыстағы {current} нұсқасын қабылдауға болады',
            RU: 'Принять можно только действующую версию {current}',
            EN: 'Only the version in force, {current}, can be accepted',
          },
          'version',
          { current: terms?.version ?? '-' },
        );
      }
      await this.records.recordAcceptance(manager, { subscriberId, version, channel, method: 'EXPLICIT' });
      return terms;
    });
  }

  /** publishTerms (terms 6.6): a new version in force from now; subscribers are told in a background job. */
  async publish(staffId: string, version: string, url: string): Promise<TermsVersionEntity> {
    const trimmedVersion = version.trim();
    if (!VERSION_PATTERN.test(trimmedVersion)) {
      throw refusal(
        ErrorCode.BAD_USER_INPUT,
        { KK: 'Нұсқа: 1-32 әріп, сан, нүкте, сызықша', RU: 'Версия: 1-32 букв, цифр, точек, дефисов', EN: 'Version: 1-32 letters, digits, dots, dashes' },
        'version',
      );
    }
    const parsedUrl = parseHttpUrl(url);
    if (!parsedUrl) {
      throw refusal(ErrorCode.BAD_USER_INPUT, { KK: 'Сілтеме http(s) болуы керек', RU: 'Ссылка должна быть http(s)-адресом', EN: 'The URL must be an http(s) address' }, 'url');
    }
    try {
      const published = await this.runtime.database.transaction(async (manager) => {
        const latest = await manager.findOne(TermsVersionEntity, { where: {}, order: { ordinal: 'DESC' }, lock: this.runtime.database.lockMode });
        if (await manager.findOne(TermsVersionEntity, { where: { version: trimmedVersion } })) throw duplicateVersion();
        const terms: TermsVersionEntity = {
          id: randomUUID(),
          version: trimmedVersion,
          ordinal: (latest?.ordinal ?? 0) + 1,
          url: parsedUrl,
          publishedAt: this.runtime.clock.now(),
          publishedBy: staffId,
        };
        await manager.insert(TermsVersionEntity, terms);
        await this.broadcasts.enqueue(manager, {
          purpose: 'TERMS',
          title: `Terms of use ${terms.version}`,
          body: terms.url,
          texts: termsNoticeTexts(terms.version, terms.url),
          kindFilter: null,
          byEmail: false,
          bySms: false,
          termsVersion: terms.version,
          createdBy: staffId,
        });
        await this.runtime.outboxFor(identityEvents).add(manager, 'TermsPublished', {
          version: terms.version,
          url: terms.url,
          publishedAt: terms.publishedAt.toISOString(),
          publishedBy: staffId,
        });
        return terms;
      });
      this.broadcasts.poke();
      return published;
    } catch (error) {
      if (this.runtime.database.isDuplicateKey(error)) throw duplicateVersion();
      throw error;
    }
  }

  async acceptancesFor(subscriberIds: readonly string[]): Promise<TermsAcceptanceEntity[]> {
    if (subscriberIds.length === 0) return [];
    return this.runtime.database.manager.find(TermsAcceptanceEntity, {
      where: { subscriberId: In([...subscriberIds]) },
      order: { acceptedAt: 'DESC' },
    });
  }
}

function duplicateVersion() {
  return refusal(ErrorCode.CONFLICT, { KK: 'Бұл нұсқа жарияланған', RU: 'Эта версия уже опубликована', EN: 'This version is already published' }, 'version');
}

function parseHttpUrl(value: string): string | null {
  if (typeof value !== 'string' || value.length > 500) return null;
  try {
    const url = new URL(value.trim());
    return url.protocol === 'https:' || url.protocol === 'http:' ? url.toString() : null;
  } catch {
    return null;
  }
}
