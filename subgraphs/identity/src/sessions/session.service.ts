import { randomUUID } from 'node:crypto';
import { EntityManager, In, IsNull, LessThan, MoreThan, Not } from 'typeorm';
import { ErrorCode, SubgraphRuntime } from '@selfcare/shared';
import { identityError } from '../common/errors';
import { RevocationLog } from '../revocations/revocation-log';
import { hashRefreshToken, looksLikeRefreshToken, newRefreshToken } from '../auth/tokens';
import { RefreshTokenEntity, SessionEndReason, SessionEntity, SessionSubjectKind } from './session.entity';

export interface OpenSession {
  subjectKind: SessionSubjectKind;
  subjectId: string;
  channel: 'WEB' | 'MOBILE_APP' | null;
  device: string | null;
  clientAddress: string | null;
}

/** How often `touch` writes lastSeenAt for one session: a request a second must not mean a write a second. */
const TOUCH_INTERVAL_MS = 60_000;

/**
 * Sessions and their rotating refresh tokens (terms 4.1: the subscriber sees and ends sessions; terms 3.5: sessions and
 * devices show what happened). Ending a session also revokes its access tokens on every service at once.
 */
export class SessionService {
  private readonly lastTouched = new Map<string, number>();

  constructor(
    private readonly runtime: SubgraphRuntime,
    readonly refreshTtlSeconds: number,
    /** Every revocation of identity goes through here: recorded, then in the shared store. */
    readonly revocations: RevocationLog,
  ) {}

  private now(): Date {
    return this.runtime.clock.now();
  }

  /** A new session with its first refresh token, in the caller's transaction. */
  async open(manager: EntityManager, input: OpenSession): Promise<{ session: SessionEntity; refreshToken: string }> {
    const now = this.now();
    const session = manager.create(SessionEntity, {
      id: randomUUID(),
      subjectKind: input.subjectKind,
      subjectId: input.subjectId,
      channel: input.channel,
      device: input.device,
      clientAddress: input.clientAddress ? input.clientAddress.slice(0, 64) : null,
      createdAt: now,
      lastSeenAt: now,
      expiresAt: new Date(now.getTime() + this.refreshTtlSeconds * 1000),
      endedAt: null,
      endReason: null,
    });
    await manager.insert(SessionEntity, session);
    const refreshToken = await this.issueRefreshToken(manager, session.id, now);
    return { session, refreshToken };
  }

  private async issueRefreshToken(manager: EntityManager, sessionId: string, now: Date): Promise<string> {
    const { token, hash } = newRefreshToken();
    await manager.insert(RefreshTokenEntity, {
      id: randomUUID(),
      sessionId,
      tokenHash: hash,
      issuedAt: now,
      expiresAt: new Date(now.getTime() + this.refreshTtlSeconds * 1000),
      rotatedAt: null,
    });
    return token;
  }

  /**
   * Rotates a refresh token in the caller's transaction: the presented one is spent, a new one is returned.
   * A token that was already rotated is a copy in someone else's hands: the whole session ends (the family),
   * its access tokens are revoked, and the result says so — the caller commits that, then refuses.
   */
  async rotate(
    manager: EntityManager,
    presented: string,
    subjectKind: SessionSubjectKind,
  ): Promise<{ outcome: 'rotated'; session: SessionEntity; refreshToken: string } | { outcome: 'reused'; session: SessionEntity } | { outcome: 'invalid' }> {
    if (!looksLikeRefreshToken(presented)) return { outcome: 'invalid' };
    const lock = this.runtime.database.lockMode;
    const token = await manager.findOne(RefreshTokenEntity, { where: { tokenHash: hashRefreshToken(presented) }, ...(lock ? { lock } : {}) });
    if (!token) return { outcome: 'invalid' };
    const session = await manager.findOne(SessionEntity, { where: { id: token.sessionId }, ...(lock ? { lock } : {}) });
    if (!session || session.subjectKind !== subjectKind) return { outcome: 'invalid' };
    const now = this.now();
    if (token.rotatedAt) {
      if (!session.endedAt) await this.end(manager, [session], 'REFRESH_TOKEN_REUSED');
      return { outcome: 'reused', session };
    }
    if (session.endedAt || token.expiresAt.getTime() <= now.getTime() || session.expiresAt.getTime() <= now.getTime()) return { outcome: 'invalid' };
    await manager.update(RefreshTokenEntity, { id: token.id }, { rotatedAt: now });
    session.lastSeenAt = now;
    session.expiresAt = new Date(now.getTime() + this.refreshTtlSeconds * 1000);
    await manager.update(SessionEntity, { id: session.id }, { lastSeenAt: session.lastSeenAt, expiresAt: session.expiresAt });
    const refreshToken = await this.issueRefreshToken(manager, session.id, now);
    return { outcome: 'rotated', session, refreshToken };
  }

  /**
   * Ends sessions in the caller's transaction and revokes their access tokens as its last step: if the revocation
   * store is down, nothing is committed and the caller gets an error instead of a session that only looks ended.
   */
  async end(manager: EntityManager, sessions: SessionEntity[], reason: SessionEndReason): Promise<number> {
    const open = sessions.filter((s) => !s.endedAt);
    if (open.length === 0) return 0;
    const now = this.now();
    const ids = open.map((s) => s.id);
    await manager.update(SessionEntity, { id: In(ids), endedAt: IsNull() }, { endedAt: now, endReason: reason });
    for (const session of open) {
      session.endedAt = now;
      session.endReason = reason;
      await this.revocations.revokeSession(manager, session.id, { since: now.getTime(), code: ErrorCode.UNAUTHENTICATED });
    }
    return open.length;
  }

  /** A live session of this subject by id (for endSession / logout), locked in the caller's transaction. */
  async findLive(manager: EntityManager, subjectId: string, sessionId: string): Promise<SessionEntity | null> {
    const lock = this.runtime.database.lockMode;
    const session = await manager.findOne(SessionEntity, { where: { id: sessionId, subjectId }, ...(lock ? { lock } : {}) });
    if (!session || session.endedAt || session.expiresAt.getTime() <= this.now().getTime()) return null;
    return session;
  }

  /** The subject's live sessions, optionally but one (endOtherSessions, changePassword). */
  async liveSessions(manager: EntityManager, subjectId: string, exceptSessionId?: string): Promise<SessionEntity[]> {
    return manager.find(SessionEntity, {
      where: {
        subjectId,
        endedAt: IsNull(),
        expiresAt: MoreThan(this.now()),
        ...(exceptSessionId ? { id: Not(exceptSessionId) } : {}),
      },
    });
  }

  /** Live sessions of several subscribers in one query (the `sessions` field's DataLoader). */
  async liveSessionsOf(subjectIds: readonly string[]): Promise<SessionEntity[]> {
    return this.runtime.database.manager.find(SessionEntity, {
      where: { subjectId: In([...subjectIds]), endedAt: IsNull(), expiresAt: MoreThan(this.now()) },
      order: { lastSeenAt: 'DESC', id: 'ASC' },
    });
  }

  /** Marks a session as used now (at most once a minute per session and process). */
  async touch(sessionId: string): Promise<void> {
    const now = this.now();
    const last = this.lastTouched.get(sessionId) ?? 0;
    if (now.getTime() - last < TOUCH_INTERVAL_MS) return;
    this.lastTouched.set(sessionId, now.getTime());
    if (this.lastTouched.size > 50_000) this.lastTouched.clear();
    await this.runtime.database.transaction((manager) =>
      manager.update(SessionEntity, { id: sessionId, endedAt: IsNull() }, { lastSeenAt: now }),
    );
  }

  /**
   * Deletes refresh tokens past their expiry (a rotated one must be kept until then, to recognise its reuse).
   * Sessions themselves stay: they are part of what the subscriber and the operator see of past access (terms 3.5).
   */
  async purgeTokens(): Promise<number> {
    const cutoff = new Date(this.now().getTime() - 60_000);
    const result = await this.runtime.database.transaction((manager) => manager.delete(RefreshTokenEntity, { expiresAt: LessThan(cutoff) }));
    return result.affected ?? 0;
  }

  /** The one answer to a refresh token that is unknown, expired, spent or of an ended session. */
  static invalidRefresh() {
    return identityError(ErrorCode.UNAUTHENTICATED, {
      texts: {
        KK: 'Сессия аяқталды, қайта кіріңіз',
        RU: 'Сеанс завершён, войдите снова',
        EN: 'The session has ended, please log in again',
      },
      extensions: { reason: 'refresh token invalid, expired or reused' },
    });
  }
}
