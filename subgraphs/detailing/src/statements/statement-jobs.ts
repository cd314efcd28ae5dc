import { randomUUID } from 'node:crypto';
import { Brackets } from 'typeorm';
import { Clock, EmailTransport, InternalClient, Language, Logger, renderTexts, notifyPreferences } from '@selfcare/shared';
import { ChunkWriter } from './chunk-writer';
import { StatementChunkEntity, StatementEntity, StatementStatus } from './entities';
import type { StatementLinks } from './links';
import { renderers } from './renderers';
import { StatementStore } from './store';
import { localTime, periodText, statementTexts } from './texts';
import { usageRowsOf } from './usage-rows';

export interface StatementJobSettings {
  /** Renders (and mailings) one process runs at once; 0: this process takes orders and serves files, others render. */
  concurrency: number;
  /** How long a process owns a job without renewing it; after a crash another takes the job over once this ran out. */
  leaseMs: number;
  /** How often due jobs are looked for while some are open (retries, leases), besides the poke an order gives. */
  pollMs: number;
  /** Render attempts before FAILED. */
  maxAttempts: number;
  /** SMTP attempts before EMAIL_UNDELIVERABLE. */
  maxEmailAttempts: number;
}

class Stopping extends Error {}
class LeaseLost extends Error {}

const backoffMs = (attempt: number) => Math.min(5_000 * 2 ** Math.max(attempt - 1, 0), 600_000);

/**
 * Runs statements: QUEUED → RUNNING (rendered a page of rows at a time into chunks) → READY → SENT when e-mailed.
 * State lives in the database, so a job survives a restart: at start-up and every `pollMs` the runner takes up
 * QUEUED jobs, RUNNING ones whose lease ran out and READY ones still to be mailed; each is claimed by a versioned
 * update, so two replicas never run the same job.
 */
export class StatementJobs {
  private timer?: NodeJS.Timeout;
  private readonly active = new Set<Promise<void>>();
  private stopping = false;
  private ticking = false;
  private again = false;

  constructor(
    private readonly store: StatementStore,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly internal: InternalClient,
    private readonly email: EmailTransport,
    private readonly links: StatementLinks,
    private readonly settings: StatementJobSettings,
  ) {}

  start(): void {
    this.stopping = false;
    this.poke();
  }

  /**
   * The next look: soon while jobs are open, else once a lease time — what another replica that crashed mid-render
   * leaves is due only then anyway — so an idle service costs one statement a minute.
   */
  private schedule(openWork: boolean): void {
    if (this.stopping) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => this.poke(), openWork || this.active.size > 0 ? this.settings.pollMs : this.settings.leaseMs);
    this.timer.unref();
  }

  /** Lets running renders stop at their next page (their jobs go back to QUEUED) and waits for them. */
  async stop(): Promise<void> {
    this.stopping = true;
    if (this.timer) clearTimeout(this.timer);
    while (this.active.size > 0) await Promise.allSettled([...this.active]);
  }

  /** Look for due jobs now (an order was placed, a job finished). */
  poke(): void {
    if (this.stopping) return;
    if (this.ticking) {
      this.again = true;
      return;
    }
    this.ticking = true;
    void this.tick()
      .then((openWork) => this.schedule(openWork))
      .catch((error) => {
        this.logger.warn({ err: error }, 'statement job scan failed');
        this.schedule(true);
      })
      .finally(() => {
        this.ticking = false;
        if (this.again) {
          this.again = false;
          this.poke();
        }
      });
  }

  /** Jobs running in this process now (tests, metrics). */
  get running(): number {
    return this.active.size;
  }

  /** Claims due jobs up to the concurrency; says whether any job is open (due now or later). */
  private async tick(): Promise<boolean> {
    const free = this.settings.concurrency - this.active.size;
    if (free <= 0 || this.stopping) return true;
    const now = this.clock.now();
    const due = await this.store.database.manager
      .createQueryBuilder(StatementEntity, 's')
      .where(
        new Brackets((q) => {
          q.where('s.status = :queued AND s.next_attempt_at <= :now', { queued: StatementStatus.QUEUED, now })
            .orWhere('s.status = :running AND s.lease_until < :now', { running: StatementStatus.RUNNING })
            .orWhere('s.status = :ready AND s.email_pending = :yes AND s.next_attempt_at <= :now AND (s.lease_until IS NULL OR s.lease_until < :now)', {
              ready: StatementStatus.READY,
              yes: true,
            });
        }),
      )
      .orderBy('s.next_attempt_at', 'ASC')
      .take(free)
      .getMany();
    for (const row of due) {
      const token = randomUUID();
      const leaseUntil = new Date(now.getTime() + this.settings.leaseMs);
      const mailing = row.status === StatementStatus.READY;
      const claimed = await this.store.change(row, mailing ? { leaseToken: token, leaseUntil } : { status: StatementStatus.RUNNING, leaseToken: token, leaseUntil, attempts: row.attempts + 1 });
      if (!claimed) continue;
      const job = (mailing ? this.mail(claimed) : this.render(claimed))
        .catch((error) => this.logger.error({ err: error, statementId: row.id }, 'statement job failed'))
        .finally(() => {
          this.active.delete(job);
          this.poke();
        });
      this.active.add(job);
    }
    if (due.length > 0) return true;
    const open = await this.store.database.manager
      .createQueryBuilder(StatementEntity, 's')
      .select('s.id')
      .where('s.status IN (:...open)', { open: [StatementStatus.QUEUED, StatementStatus.RUNNING] })
      .orWhere('s.status = :ready AND s.email_pending = :yes', { ready: StatementStatus.READY, yes: true })
      .limit(1)
      .getRawOne();
    return open !== undefined;
  }

  private async renewLease(row: StatementEntity): Promise<void> {
    if (this.stopping) throw new Stopping();
    const result = await this.store.database.manager.update(
      StatementEntity,
      { id: row.id, leaseToken: row.leaseToken! },
      { leaseUntil: new Date(this.clock.now().getTime() + this.settings.leaseMs) },
    );
    if (!result.affected) throw new LeaseLost();
  }

  private async render(row: StatementEntity): Promise<void> {
    const database = this.store.database;
    const started = process.memoryUsage().rss;
    try {
      const language = row.language as Language;
      const msisdn = await this.msisdnOf(row.subscriberId);
      // A job taken over after a crash starts its file again.
      await database.transaction((manager) => manager.delete(StatementChunkEntity, { statementId: row.id }));
      const writer = new ChunkWriter(database, row.id, () => this.renewLease(row));
      const renderer = renderers[row.format];
      const count = await renderer.render(
        { language, msisdn, from: row.periodFrom, to: row.periodTo, masked: row.viaManagement },
        usageRowsOf(database, row.subscriberId, row.periodFrom, row.periodTo),
        (data) => writer.add(data),
        async () => {
          await writer.drained();
          if (this.stopping) throw new Stopping();
        },
      );
      const bytes = await writer.finish();
      await this.store.change(row, {
        status: StatementStatus.READY,
        openSlot: null,
        rowCount: count,
        byteSize: bytes,
        leaseToken: null,
        leaseUntil: null,
        nextAttemptAt: this.clock.now(),
      });
      this.logger.info({ statementId: row.id, rows: count, bytes, rssGrowth: process.memoryUsage().rss - started }, 'statement rendered');
    } catch (error) {
      if (error instanceof LeaseLost) return;
      if (error instanceof Stopping) {
        // Handed back at once, so the next start (or another replica) takes it up without waiting for the lease.
        await this.store.change(row, { status: StatementStatus.QUEUED, leaseToken: null, leaseUntil: null, attempts: row.attempts - 1, nextAttemptAt: this.clock.now() });
        return;
      }
      this.logger.warn({ err: error, statementId: row.id, attempt: row.attempts }, 'statement render failed');
      const final = row.attempts >= this.settings.maxAttempts;
      await this.store.change(
        row,
        final
          ? { status: StatementStatus.FAILED, failureCode: 'RENDER_FAILED', openSlot: null, emailPending: false, leaseToken: null, leaseUntil: null }
          : { status: StatementStatus.QUEUED, leaseToken: null, leaseUntil: null, nextAttemptAt: new Date(this.clock.now().getTime() + backoffMs(row.attempts)) },
      );
    }
  }

  /** The number for the file's heading, from identity; without identity the file is made without it rather than not at all. */
  private async msisdnOf(subscriberId: string): Promise<string | null> {
    try {
      const answer = await this.internal.call(notifyPreferences, { subscriberIds: [subscriberId] });
      return answer.subscribers.find((s) => s.subscriberId === subscriberId)?.msisdn ?? null;
    } catch (error) {
      this.logger.info({ err: error, subscriberId }, 'no number for the statement heading: identity did not answer');
      return null;
    }
  }

  /**
   * E-mails the link to the verified address of who ordered it (identity's notify-preferences); SENT only once the
   * SMTP server accepted the message. No verified address: READY stays, failureCode EMAIL_NOT_VERIFIED.
   */
  private async mail(row: StatementEntity): Promise<void> {
    const release = { leaseToken: null, leaseUntil: null };
    try {
      const answer = await this.internal.call(notifyPreferences, { subscriberIds: [...new Set([row.orderedBy, row.subscriberId])] });
      const orderer = answer.subscribers.find((s) => s.subscriberId === row.orderedBy);
      const line = answer.subscribers.find((s) => s.subscriberId === row.subscriberId);
      if (!orderer?.email) {
        await this.store.change(row, { ...release, emailPending: false, failureCode: 'EMAIL_NOT_VERIFIED' });
        return;
      }
      const language = row.language as Language;
      const link = this.links.urlFor(row.id, this.clock.now());
      const params = {
        period: periodText(row.periodFrom, row.periodTo),
        number: line?.msisdn ?? '',
        format: row.format,
        expires: `${localTime(link.expiresAt).slice(0, 16)} (UTC+5)`,
        url: link.url,
      };
      // The statement's id as Message-ID: a resend after a crash between acceptance and the SENT write is recognisable.
      await this.email.send({
        id: `statement-${row.id}`,
        to: orderer.email,
        subject: renderTexts(statementTexts.emailSubject, language, params),
        text: renderTexts(statementTexts.emailBody, language, params),
      });
      await this.store.change(row, { ...release, status: StatementStatus.SENT, emailPending: false, emailAttempts: row.emailAttempts + 1 });
    } catch (error) {
      const attempts = row.emailAttempts + 1;
      this.logger.warn({ err: error, statementId: row.id, attempt: attempts }, 'statement e-mail failed');
      const final = attempts >= this.settings.maxEmailAttempts;
      await this.store.change(
        row,
        final
          ? { ...release, emailAttempts: attempts, emailPending: false, failureCode: 'EMAIL_UNDELIVERABLE' }
          : { ...release, emailAttempts: attempts, nextAttemptAt: new Date(this.clock.now().getTime() + backoffMs(attempts)) },
      );
    }
  }
}


