import type Redis from 'ioredis';
import { ErrorCode } from '../errors/error-code';

/**
 * Tokens are cut off before they expire when the subscriber's access status changes (terms 3.3, 2.8, 2.12)
 * or a session ends (terms 4.1): identity records the revocation here and every service checks it on each request.
 * Entries live as long as an access token can, after which expiry does the job.
 */
export interface Revocation {
  /** tokens issued at or before this instant (ms) are void */
  since: number;
  code: ErrorCode;
}

export interface RevocationStore {
  revokeSubject(subjectId: string, revocation: Revocation): Promise<void>;
  revokeSession(sessionId: string, revocation: Revocation): Promise<void>;
  /** The revocation that voids a token of this subject and session issued at `issuedAtMs`, if any. */
  find(subjectId: string, sessionId: string, issuedAtMs: number): Promise<Revocation | null>;
  /**
   * Stores that can lose what they hold (a Redis without persistence, a replaced node) say so here, and identity
   * writes back what its own database recorded (`restore`); until then `find` fails, so nothing is let through.
   */
  lost?(): Promise<boolean>;
  restore?(entries: RevocationEntry[]): Promise<void>;
  close(): Promise<void>;
}

/** One revocation as identity records it, to restore a store that lost its contents. */
export interface RevocationEntry {
  kind: 'subject' | 'session';
  id: string;
  revocation: Revocation;
  expiresAtMs: number;
}

function voids(revocation: Revocation | null | undefined, issuedAtMs: number): revocation is Revocation {
  return !!revocation && issuedAtMs <= revocation.since;
}

export class MemoryRevocationStore implements RevocationStore {
  private readonly subjects = new Map<string, Revocation & { expires: number }>();
  private readonly sessions = new Map<string, Revocation & { expires: number }>();
  constructor(private readonly ttlMs: number, private readonly now: () => number = Date.now) {}

  async revokeSubject(subjectId: string, revocation: Revocation): Promise<void> {
    this.subjects.set(subjectId, { ...revocation, expires: this.now() + this.ttlMs });
  }
  async revokeSession(sessionId: string, revocation: Revocation): Promise<void> {
    this.sessions.set(sessionId, { ...revocation, expires: this.now() + this.ttlMs });
  }
  async find(subjectId: string, sessionId: string, issuedAtMs: number): Promise<Revocation | null> {
    for (const [map, key] of [[this.subjects, subjectId], [this.sessions, sessionId]] as const) {
      const entry = map.get(key);
      if (entry && entry.expires < this.now()) map.delete(key);
      else if (voids(entry, issuedAtMs)) return { since: entry.since, code: entry.code };
    }
    return null;
  }
  async close(): Promise<void> {}
}

export class RedisRevocationStore implements RevocationStore {
  /** Present while the store holds every revocation identity recorded; a Redis that lost its data lacks it. */
  private readonly marker: string;
  constructor(private readonly redis: Redis, private readonly ttlMs: number, private readonly prefix = 'selfcare:revoked', private readonly now: () => number = Date.now) {
    this.marker = `${prefix}:complete`;
  }

  async revokeSubject(subjectId: string, revocation: Revocation): Promise<void> {
    await this.redis.set(`${this.prefix}:subject:${subjectId}`, JSON.stringify(revocation), 'PX', this.ttlMs);
  }
  async revokeSession(sessionId: string, revocation: Revocation): Promise<void> {
    await this.redis.set(`${this.prefix}:session:${sessionId}`, JSON.stringify(revocation), 'PX', this.ttlMs);
  }
  async find(subjectId: string, sessionId: string, issuedAtMs: number): Promise<Revocation | null> {
    const [subject, session, complete] = await this.redis.mget(`${this.prefix}:subject:${subjectId}`, `${this.prefix}:session:${sessionId}`, this.marker);
    // Fail closed: without the marker this Redis may have forgotten revocations (terms 3.3: a suspended token must stay refused).
    if (!complete) throw new Error('token revocations are being restored');
    for (const raw of [subject, session]) {
      if (!raw) continue;
      const revocation = JSON.parse(raw) as Revocation;
      if (voids(revocation, issuedAtMs)) return revocation;
    }
    return null;
  }
  async lost(): Promise<boolean> {
    return (await this.redis.exists(this.marker)) === 0;
  }
  async restore(entries: RevocationEntry[]): Promise<void> {
    const now = this.now();
    const batch = this.redis.multi();
    for (const entry of entries) {
      const left = entry.expiresAtMs - now;
      // NX: a key written since the loss is a revocation at least as new as the recorded one.
      if (left > 0) batch.set(`${this.prefix}:${entry.kind}:${entry.id}`, JSON.stringify(entry.revocation), 'PX', left, 'NX');
    }
    batch.set(this.marker, String(now));
    await batch.exec();
  }
  async close(): Promise<void> {}
}
