import { createHash } from 'node:crypto';
import { LessThan } from 'typeorm';
import type { Clock, Database } from '@selfcare/shared';
import { RateLimitEntity } from './rate-limit.entity';

/** At most `limit` hits per `windowMs` (a fixed window starting at the first hit). */
export interface WindowRule {
  key: string;
  limit: number;
  windowMs: number;
}

/** `maxFailures` failures within `windowMs` lock the key for `lockMs`. */
export interface LockoutRule {
  key: string;
  maxFailures: number;
  windowMs: number;
  lockMs: number;
}

/** Bucket keys are hashed: the table never holds a phone number, login or address. */
export function bucketKey(scope: string, value: string): string {
  return createHash('sha256').update(`${scope}\u0000${value}`).digest('hex');
}

/**
 * Counters in identity's own database, so several identity replicas share one view of the limits
 * (a per-process counter would multiply the allowance by the number of replicas).
 */
export class RateLimiter {
  constructor(private readonly database: Database, private readonly clock: Clock) {}

  /**
   * Counts one hit on every rule; returns 0 when all are within their limit, else the milliseconds until the
   * most restrictive exceeded window ends.
   */
  async hit(rules: WindowRule[]): Promise<number> {
    return this.withRows(rules.map((r) => r.key), (rows, now) => {
      let waitMs = 0;
      for (const rule of rules) {
        const row = rows.get(rule.key)!;
        if (row.windowStartedAt.getTime() + rule.windowMs <= now.getTime() || row.hits === 0) {
          row.windowStartedAt = now;
          row.hits = 0;
        }
        row.hits += 1;
        if (row.hits > rule.limit) waitMs = Math.max(waitMs, row.windowStartedAt.getTime() + rule.windowMs - now.getTime());
      }
      return waitMs;
    });
  }

  /** Milliseconds until the longest lock among `keys` ends; 0 when none is locked. Reads only. */
  async lockedFor(keys: string[]): Promise<number> {
    return Math.max(0, ...(await this.locks(keys)).values());
  }

  /** Milliseconds until each locked key's lock ends (keys not locked are absent). One read. */
  async locks(keys: string[]): Promise<Map<string, number>> {
    const now = this.clock.now().getTime();
    const rows = await this.database.manager.getRepository(RateLimitEntity).findBy(keys.map((key) => ({ key })));
    const locks = new Map<string, number>();
    for (const row of rows) {
      const waitMs = row.lockedUntil ? row.lockedUntil.getTime() - now : 0;
      if (waitMs > 0) locks.set(row.key, waitMs);
    }
    return locks;
  }

  /** Counts a failure on each rule and locks the keys whose failures reached the maximum. */
  async failure(rules: LockoutRule[]): Promise<void> {
    await this.withRows(rules.map((r) => r.key), (rows, now) => {
      for (const rule of rules) {
        const row = rows.get(rule.key)!;
        if (row.windowStartedAt.getTime() + rule.windowMs <= now.getTime() || row.hits === 0) {
          row.windowStartedAt = now;
          row.hits = 0;
        }
        row.hits += 1;
        if (row.hits >= rule.maxFailures) {
          row.lockedUntil = new Date(now.getTime() + rule.lockMs);
          row.hits = 0;
        }
      }
    });
  }

  /** Forgets the failures of these keys (a successful login clears its login's count, not the address's). */
  async reset(keys: string[]): Promise<void> {
    if (keys.length === 0) return;
    await this.database.transaction((manager) => manager.getRepository(RateLimitEntity).delete(keys));
  }

  /** Drops buckets untouched for `olderThanMs` (longer than any window or lock). */
  async purge(olderThanMs: number): Promise<number> {
    const cutoff = new Date(this.clock.now().getTime() - olderThanMs);
    const result = await this.database.transaction((manager) => manager.getRepository(RateLimitEntity).delete({ updatedAt: LessThan(cutoff) }));
    return result.affected ?? 0;
  }

  /** Runs `update` on the locked rows of `keys` (created when missing) in one transaction. */
  private async withRows<T>(keys: string[], update: (rows: Map<string, RateLimitEntity>, now: Date) => T): Promise<T> {
    const unique = [...new Set(keys)].sort(); // a fixed lock order: no deadlock between two requests
    for (let attempt = 0; ; attempt += 1) {
      try {
        return await this.database.transaction(async (manager) => {
          const repository = manager.getRepository(RateLimitEntity);
          const now = this.clock.now();
          const rows = new Map<string, RateLimitEntity>();
          const fresh: RateLimitEntity[] = [];
          for (const key of unique) {
            let row = await repository.findOne({ where: { key }, ...(this.database.lockMode ? { lock: this.database.lockMode } : {}) });
            if (!row) {
              row = repository.create({ key, windowStartedAt: now, hits: 0, lockedUntil: null, updatedAt: now });
              fresh.push(row);
            }
            rows.set(key, row);
          }
          const result = update(rows, now);
          for (const row of rows.values()) {
            row.updatedAt = now;
            if (row.lockedUntil && row.lockedUntil.getTime() <= now.getTime()) row.lockedUntil = null;
          }
          if (fresh.length) await repository.insert(fresh);
          const existing = [...rows.values()].filter((row) => !fresh.includes(row));
          for (const row of existing) {
            await repository.update({ key: row.key }, { windowStartedAt: row.windowStartedAt, hits: row.hits, lockedUntil: row.lockedUntil, updatedAt: row.updatedAt });
          }
          return result;
        });
      } catch (error) {
        // Two replicas created the same bucket at once: the loser retries and finds the row. Several requests from one
        // address creating the same new buckets can also deadlock on MariaDB; InnoDB rolled the victim back: retry it.
        if (attempt < 5 && (this.database.isDuplicateKey(error) || isDeadlock(error))) {
          await new Promise((resolve) => setTimeout(resolve, Math.floor(Math.random() * 10 * (attempt + 1))));
          continue;
        }
        throw error;
      }
    }
  }
}

/** MariaDB chose this transaction as a deadlock victim and rolled it back (ER_LOCK_DEADLOCK). */
function isDeadlock(error: unknown): boolean {
  const e = error as { code?: string; errno?: number; driverError?: { code?: string; errno?: number } };
  return (e?.driverError?.code ?? e?.code) === 'ER_LOCK_DEADLOCK' || (e?.driverError?.errno ?? e?.errno) === 1213;
}
