import { randomUUID } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import { Language, type SubgraphRuntime, type Texts } from '@selfcare/shared';
import type { ConsentService } from '../consents/consent.service';
import { normalizeNotifyBy } from '../preferences/notify-by.service';
import { NotifyBy } from '../preferences/notify-by.types';
import { SubscriberEntity } from '../subscribers/subscriber.entity';
import { sequentialId } from '../common/ids';
import { type MarketingMailer, toLanguage } from '../unsubscribe/marketing-mailer';
import { type BroadcastPurpose, CabinetNotificationEntity, NoticeBroadcastEntity, type NoticeTexts } from './notice.entities';

export interface BroadcastWorkerOptions {
  /** subscribers per batch (one transaction each) */
  batchSize: number;
  /** how long a claimed job stays with this worker without progress before another may resume it */
  leaseMs: number;
  /** how often to look for jobs when not woken */
  pollMs: number;
}

export const DEFAULT_BROADCAST_OPTIONS: BroadcastWorkerOptions = { batchSize: 1000, leaseMs: 60_000, pollMs: 5_000 };

export interface BroadcastRequest {
  purpose: BroadcastPurpose;
  title: string;
  body: string;
  /** per language; null: `title` and `body` for everybody */
  texts: NoticeTexts | null;
  kindFilter: string | null;
  byEmail: boolean;
  bySms: boolean;
  termsVersion: string | null;
  createdBy: string | null;
}

/** What the operator's terms change (terms 6.6) tells each subscriber, in their language. */
const TERMS_TITLE: Texts = { KK: 'Пайдалану шарттары өзгерді', RU: 'Изменились условия пользования', EN: 'The terms of use have changed' };
const TERMS_BODY: Texts = {
  KK: 'Жеке кабинет пен My Beeline қосымшасын пайдалану шарттарының {version} нұсқасы күшіне енді: {url}. Пайдалануды жалғастыру жаңа шарттарды қабылдау болып саналады (6.6-тармақ).',
  RU: 'Вступила в силу версия {version} условий пользования личным кабинетом и приложением My Beeline: {url}. Продолжение использования означает согласие с новыми условиями (п. 6.6).',
  EN: 'Version {version} of the terms of use of the Personal Cabinet and the My Beeline app is in force: {url}. Continuing to use them means you accept the new terms (clause 6.6).',
};
const TERMS_SMS: Texts = {
  KK: 'Beeline: жеке кабинетті пайдалану шарттары өзгерді ({version}): {url}',
  RU: 'Beeline: изменились условия пользования личным кабинетом ({version}): {url}',
  EN: 'Beeline: the Personal Cabinet terms of use have changed ({version}): {url}',
};

const INSERT_CHUNK = 500;

const LANGUAGES = [Language.KK, Language.RU, Language.EN] as const;

/** What the in-cabinet notice of a terms change (terms 6.6) says in each language. */
export function termsNoticeTexts(version: string, url: string): NoticeTexts {
  const params = { version, url };
  return Object.fromEntries(LANGUAGES.map((language) => [language, { title: TERMS_TITLE[language], body: fill(TERMS_BODY[language], params) }])) as NoticeTexts;
}

/** A job's text in each language: its own per language, or its one text for all. */
function jobTexts(job: NoticeBroadcastEntity): NoticeTexts {
  if (job.texts) return job.texts;
  // A terms job queued before texts were kept per language: its body is the URL.
  if (job.purpose === 'TERMS') return termsNoticeTexts(job.termsVersion ?? '', job.body);
  return (Object.fromEntries(LANGUAGES.map((language) => [language, { title: job.title, body: job.body }])) as NoticeTexts);
}

function pick(texts: NoticeTexts, part: (text: { title: string; body: string }) => string): Texts {
  return { KK: part(texts.KK), RU: part(texts.RU), EN: part(texts.EN) };
}

type Recipient = Pick<SubscriberEntity, 'id' | 'language' | 'msisdn' | 'verifiedEmail' | 'notifyBy'>;

/**
 * Delivers broadcast jobs (notices, terms 2.8; changes of the terms, terms 6.6) in the background, in batches of subscribers ordered
 * by id. Each batch is one transaction: the notifications, the queued SMS/e-mails and the job's cursor commit
 * together, so a crash loses or repeats nothing — the next worker (after the lease expires) resumes after the
 * last committed subscriber, and the unique (subscriber, broadcast) key makes a repeat a no-op anyway.
 */
export class BroadcastWorker {
  readonly workerId = randomUUID();
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private wakeAgain = false;
  /** the polling loop is on (start) */
  private looping = false;
  /** stop() was called: finish the batch in hand and take no more */
  private halted = false;

  constructor(
    private readonly runtime: SubgraphRuntime,
    private readonly consents: ConsentService,
    private readonly mailer: MarketingMailer,
    private readonly options: BroadcastWorkerOptions = DEFAULT_BROADCAST_OPTIONS,
  ) {}

  /** Queues a delivery job in the caller's transaction; call `poke` once it committed (else the next poll finds it). */
  async enqueue(manager: EntityManager, request: BroadcastRequest): Promise<NoticeBroadcastEntity> {
    const job: NoticeBroadcastEntity = {
      id: randomUUID(),
      ...request,
      createdAt: this.runtime.clock.now(),
      status: 'PENDING',
      lastSubscriberId: null,
      delivered: 0,
      emailed: 0,
      texted: 0,
      leaseOwner: null,
      leaseUntil: null,
      startedAt: null,
      finishedAt: null,
    };
    await manager.insert(NoticeBroadcastEntity, job);
    return job;
  }

  start(): void {
    if (this.looping) return;
    this.looping = true;
    this.halted = false;
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.looping = false;
    this.halted = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.running?.catch(() => undefined);
  }

  /** Look for work now (a job was just queued); a no-op unless started. */
  poke(): void {
    if (!this.looping) return;
    if (this.running) {
      this.wakeAgain = true;
      return;
    }
    this.schedule(0);
  }

  private schedule(delayMs: number): void {
    if (!this.looping) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      this.running = this.drain()
        .then(() => undefined)
        .catch((error) => this.runtime.logger.error({ err: error }, 'broadcast delivery failed; will retry'))
        .finally(() => {
          this.running = null;
          const again = this.wakeAgain;
          this.wakeAgain = false;
          this.schedule(again ? 0 : this.options.pollMs);
        });
    }, delayMs);
    this.timer.unref?.();
  }

  /** Runs every claimable job to its end; resolves when there is nothing left to do. */
  async drain(): Promise<number> {
    let jobs = 0;
    for (;;) {
      if (this.halted) return jobs;
      const job = await this.claim();
      if (!job) return jobs;
      jobs += 1;
      const started = Date.now();
      let outcome: 'more' | 'done' | 'lost' = 'more';
      while (outcome === 'more') {
        if (this.halted) break;
        outcome = await this.processBatch(job.id);
      }
      if (outcome === 'done') {
        const finished = await this.runtime.database.manager.findOne(NoticeBroadcastEntity, { where: { id: job.id } });
        this.runtime.logger.info(
          { broadcastId: job.id, purpose: job.purpose, delivered: finished?.delivered, emailed: finished?.emailed, texted: finished?.texted, ms: Date.now() - started },
          'broadcast delivered',
        );
      }
    }
  }

  /** Takes the oldest unfinished job whose lease is free (never held, or expired: its worker died). */
  async claim(): Promise<NoticeBroadcastEntity | null> {
    return this.runtime.database.transaction(async (manager) => {
      const now = this.runtime.clock.now();
      const query = manager
        .createQueryBuilder(NoticeBroadcastEntity, 'job')
        .where('job.status <> :done', { done: 'DONE' })
        .andWhere('(job.leaseUntil IS NULL OR job.leaseUntil < :now)', { now })
        .orderBy('job.createdAt', 'ASC')
        .addOrderBy('job.id', 'ASC')
        .limit(1);
      if (this.runtime.database.lockMode) query.setLock('pessimistic_write');
      const job = await query.getOne();
      if (!job) return null;
      if (job.leaseOwner && job.leaseOwner !== this.workerId) {
        this.runtime.logger.warn({ broadcastId: job.id, previousWorker: job.leaseOwner, cursor: job.lastSubscriberId }, 'resuming a broadcast whose worker stopped');
      }
      job.status = 'RUNNING';
      job.leaseOwner = this.workerId;
      job.leaseUntil = new Date(now.getTime() + this.options.leaseMs);
      job.startedAt = job.startedAt ?? now;
      await manager.update(
        NoticeBroadcastEntity,
        { id: job.id },
        { status: job.status, leaseOwner: job.leaseOwner, leaseUntil: job.leaseUntil, startedAt: job.startedAt },
      );
      return job;
    });
  }

  /** One batch of a job this worker holds: 'more' to go on, 'done' when finished, 'lost' if another worker took it. */
  async processBatch(jobId: string): Promise<'more' | 'done' | 'lost'> {
    return this.runtime.database.transaction(async (manager) => {
      const job = await manager.findOne(NoticeBroadcastEntity, { where: { id: jobId }, lock: this.runtime.database.lockMode });
      if (!job || job.status === 'DONE' || job.leaseOwner !== this.workerId) return 'lost';
      const now = this.runtime.clock.now();
      const recipients = await this.nextRecipients(manager, job);
      const counts = recipients.length > 0 ? await this.deliver(manager, job, recipients) : { emailed: 0, texted: 0 };
      const finished = recipients.length < this.options.batchSize;
      await manager.update(
        NoticeBroadcastEntity,
        { id: job.id },
        {
          lastSubscriberId: recipients.length > 0 ? recipients[recipients.length - 1]!.id : job.lastSubscriberId,
          delivered: job.delivered + recipients.length,
          emailed: job.emailed + counts.emailed,
          texted: job.texted + counts.texted,
          ...(finished
            ? { status: 'DONE' as const, finishedAt: now, leaseOwner: null, leaseUntil: null }
            : { leaseUntil: new Date(now.getTime() + this.options.leaseMs) }),
        },
      );
      return finished ? 'done' : 'more';
    });
  }

  private async nextRecipients(manager: EntityManager, job: NoticeBroadcastEntity): Promise<Recipient[]> {
    // A terminated contract has no cabinet (terms 3.3); an erased one has no data to use (terms 2.11).
    const query = manager
      .createQueryBuilder(SubscriberEntity, 's')
      .select(['s.id', 's.language', 's.msisdn', 's.verifiedEmail', 's.notifyBy'])
      .where('s.accessStatus <> :terminated', { terminated: 'TERMINATED' })
      .andWhere('s.erasedAt IS NULL');
    if (job.kindFilter) query.andWhere('s.kind = :kind', { kind: job.kindFilter });
    if (job.lastSubscriberId) query.andWhere('s.id > :cursor', { cursor: job.lastSubscriberId });
    return query.orderBy('s.id', 'ASC').limit(this.options.batchSize).getMany();
  }

  private async deliver(manager: EntityManager, job: NoticeBroadcastEntity, recipients: Recipient[]): Promise<{ emailed: number; texted: number }> {
    const now = this.runtime.clock.now();
    const dedupeKey = `broadcast:${job.id}`;
    const ids = recipients.map((r) => r.id);
    const inCabinet: CabinetNotificationEntity[] = [];
    let emailed = 0;
    let texted = 0;
    const texts = jobTexts(job);
    if (job.purpose === 'TERMS') {
      // terms 6.6: told per the subscriber's own settings (terms 5.1): in the cabinet, by SMS, by e-mail.
      const params = { version: job.termsVersion ?? '', url: job.body };
      for (const r of recipients) {
        const channels = normalizeNotifyBy(r.notifyBy);
        const language = toLanguage(r.language);
        if (channels.includes(NotifyBy.CABINET)) {
          inCabinet.push(this.notice(r.id, job, dedupeKey, texts[language], now));
        }
        if (channels.includes(NotifyBy.SMS) && r.msisdn) {
          await this.runtime.notifications.sms(manager, { to: r.msisdn, language, texts: TERMS_SMS, params });
          texted += 1;
        }
        if (channels.includes(NotifyBy.EMAIL) && r.verifiedEmail) {
          await this.runtime.notifications.email(manager, { to: r.verifiedEmail, language, subject: TERMS_TITLE, body: TERMS_BODY, params });
          emailed += 1;
        }
      }
    } else {
      // terms 2.8: every subscriber sees the notice in the cabinet; e-mail and SMS only with the marketing consents (terms 6.4),
      // each in the subscriber's language.
      for (const r of recipients) inCabinet.push(this.notice(r.id, job, dedupeKey, texts[toLanguage(r.language)], now));
      const subject = pick(texts, (t) => t.title);
      const body = pick(texts, (t) => t.body);
      const sms = pick(texts, (t) => `Beeline: ${t.title}. ${t.body}`);
      if (job.byEmail) {
        const consenting = await this.consents.grantedAmong(manager, ids, 'MARKETING_EMAIL');
        for (const r of recipients) {
          if (!consenting.has(r.id) || !r.verifiedEmail) continue;
          const sent = await this.mailer.send(manager, { subscriberId: r.id, email: r.verifiedEmail, language: r.language }, { subject, body }, true);
          if (sent) emailed += 1;
        }
      }
      if (job.bySms) {
        const consenting = await this.consents.grantedAmong(manager, ids, 'MARKETING_SMS');
        for (const r of recipients) {
          if (!consenting.has(r.id) || !r.msisdn) continue;
          await this.runtime.notifications.sms(manager, { to: r.msisdn, language: toLanguage(r.language), texts: sms });
          texted += 1;
        }
      }
    }
    for (let i = 0; i < inCabinet.length; i += INSERT_CHUNK) {
      await manager
        .createQueryBuilder()
        .insert()
        .into(CabinetNotificationEntity)
        .values(inCabinet.slice(i, i + INSERT_CHUNK))
        .orIgnore()
        .updateEntity(false)
        .execute();
    }
    return { emailed, texted };
  }

  /** One subscriber's row: the text in their language as delivered; the broadcast's texts are read from the job. */
  private notice(subscriberId: string, job: NoticeBroadcastEntity, dedupeKey: string, text: { title: string; body: string }, createdAt: Date): CabinetNotificationEntity {
    return { id: sequentialId(), subscriberId, dedupeKey, title: text.title.slice(0, 200), body: text.body, texts: null, broadcastId: job.id, createdAt, readAt: null };
  }
}

function fill(template: string, params: Record<string, string>): string {
  return template.replace(/\{(\w+)\}/g, (whole, key: string) => params[key] ?? whole);
}
