import { LessThan, MoreThan, type EntityManager } from 'typeorm';
import type { Revocation, RevocationEntry, SubgraphRuntime } from '@selfcare/shared';
import { TokenRevocationEntity } from './revocation.entity';

/** How often identity checks that the shared revocation store still holds what it was given. */
const WATCH_INTERVAL_MS = 1_000;

/**
 * Token revocations (terms 3.3, 4.1, 2.12): recorded in identity's database in the caller's transaction, then put in
 * the platform's store that every service reads. When the store has lost its contents (Redis restarted without its
 * data), every service refuses tokens (SERVICE_UNAVAILABLE) until this writes the recorded ones back, so a revoked
 * token is never accepted again.
 */
export class RevocationLog {
  private timer: NodeJS.Timeout | null = null;
  private checking: Promise<void> | null = null;

  constructor(private readonly runtime: SubgraphRuntime) {}

  private get ttlMs(): number {
    return this.runtime.platform.accessTokenTtlSeconds * 1000;
  }

  async revokeSubject(manager: EntityManager, subjectId: string, revocation: Revocation): Promise<void> {
    await this.record(manager, `subject:${subjectId}`, revocation);
    await this.runtime.platform.revocations.revokeSubject(subjectId, revocation);
  }

  async revokeSession(manager: EntityManager, sessionId: string, revocation: Revocation): Promise<void> {
    await this.record(manager, `session:${sessionId}`, revocation);
    await this.runtime.platform.revocations.revokeSession(sessionId, revocation);
  }

  private async record(manager: EntityManager, key: string, revocation: Revocation): Promise<void> {
    const row = { key, since: new Date(revocation.since), code: revocation.code, expiresAt: new Date(this.runtime.clock.now().getTime() + this.ttlMs) };
    await manager.save(TokenRevocationEntity, row);
  }

  /** Writes the recorded revocations back if the store lost them; true if it did. */
  async restoreIfLost(): Promise<boolean> {
    const store = this.runtime.platform.revocations;
    if (!store.lost || !store.restore || !(await store.lost())) return false;
    const now = this.runtime.clock.now();
    const rows = await this.runtime.database.manager.find(TokenRevocationEntity, { where: { expiresAt: MoreThan(now) } });
    const entries: RevocationEntry[] = rows.map((row) => {
      const [kind, ...rest] = row.key.split(':');
      return { kind: kind as 'subject' | 'session', id: rest.join(':'), revocation: { since: row.since.getTime(), code: row.code as Revocation['code'] }, expiresAtMs: row.expiresAt.getTime() };
    });
    await store.restore(entries);
    this.runtime.logger.warn({ revocations: entries.length }, 'the revocation store had lost its contents; restored from identity');
    return true;
  }

  /** Restores at once (a fresh store starts without its marker) and then watches the store. */
  async start(): Promise<void> {
    await this.restoreIfLost();
    this.timer = setInterval(() => {
      if (this.checking) return;
      this.checking = this.restoreIfLost()
        .then(() => this.purge())
        .catch((error) => this.runtime.logger.warn({ err: error }, 'revocation store check failed'))
        .finally(() => {
          this.checking = null;
        });
    }, WATCH_INTERVAL_MS);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.checking;
  }

  private lastPurge = 0;
  /** Expired records are of no use: the tokens they void have expired too. */
  private async purge(): Promise<void> {
    const now = this.runtime.clock.now();
    if (now.getTime() - this.lastPurge < 600_000) return;
    this.lastPurge = now.getTime();
    await this.runtime.database.manager.delete(TokenRevocationEntity, { expiresAt: LessThan(now) });
  }
}
