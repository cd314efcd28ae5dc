import { randomUUID } from 'node:crypto';
import { ErrorCode, GraphQLContext, StaffCaller, SubgraphRuntime } from '@selfcare/shared';
import { identityError } from '../common/errors';
import { PasswordHasher } from '../auth/kdf';
import type { LoginThrottle } from '../auth/login-throttle';
import { TokenIssuer } from '../auth/tokens';
import { MAX_PASSWORD_LENGTH } from '../auth/passwords';
import { SessionService } from '../sessions/session.service';
import { describeDevice } from '../sessions/device';
import type { Actor } from '../common/actor';
import type { IdentitySettings } from '../settings';
import { StaffAccountEntity } from './staff-account.entity';

export interface StaffTokens {
  accessToken: string;
  refreshToken: string;
  accessTokenExpiresAt: Date;
  staff: StaffAccountEntity;
}

/**
 * The operator's employees: accounts from configuration, their own login and sessions. Their tokens carry
 * `act: staff` and a role, so a subscriber token can never pass a staff guard and the other way round.
 */
export class StaffAuthService {
  constructor(
    private readonly runtime: SubgraphRuntime,
    private readonly settings: IdentitySettings,
    private readonly hasher: PasswordHasher,
    private readonly throttle: LoginThrottle,
    private readonly tokens: TokenIssuer,
    private readonly sessions: SessionService,
  ) {}

  /**
   * Makes the table match the configuration: new accounts are added, changed roles and hashes applied,
   * accounts no longer configured deactivated (kept, because the activity record names them).
   */
  async syncFromConfiguration(): Promise<void> {
    const stored = new Map((await this.runtime.database.manager.find(StaffAccountEntity)).map((a) => [a.login, a.passwordHash]));
    const configured = await Promise.all(
      this.settings.staffAccounts.map(async (account) => {
        const login = account.login.toLowerCase();
        let passwordHash = account.passwordHash;
        if (!passwordHash) {
          // A clear password (never in production): keep the stored hash when it still matches, so a restart
          // does not count as a password change.
          const current = stored.get(login) ?? null;
          passwordHash = current && (await this.hasher.verify(account.password ?? '', current)) ? current : await this.hasher.hash(account.password ?? '');
        }
        return { login, role: account.role, passwordHash };
      }),
    );
    await this.runtime.database.transaction(async (manager) => {
      const now = this.runtime.clock.now();
      const existing = await manager.find(StaffAccountEntity);
      const byLogin = new Map(existing.map((account) => [account.login, account]));
      for (const account of configured) {
        const current = byLogin.get(account.login);
        if (!current) {
          await manager.insert(StaffAccountEntity, { id: randomUUID(), ...account, active: true, createdAt: now, updatedAt: now });
        } else if (current.role !== account.role || current.passwordHash !== account.passwordHash || !current.active) {
          await manager.update(StaffAccountEntity, { id: current.id }, { role: account.role, passwordHash: account.passwordHash, active: true, updatedAt: now });
          // A changed role or password must not live on in tokens issued before.
          if (current.active) await this.sessions.revocations.revokeSubject(manager, current.id, { since: now.getTime(), code: ErrorCode.UNAUTHENTICATED });
        }
      }
      const keep = new Set(configured.map((a) => a.login));
      for (const account of existing) {
        if (!keep.has(account.login) && account.active) {
          await manager.update(StaffAccountEntity, { id: account.id }, { active: false, updatedAt: now });
          await this.sessions.revocations.revokeSubject(manager, account.id, { since: now.getTime(), code: ErrorCode.UNAUTHENTICATED });
        }
      }
    });
  }

  async login(loginInput: string, password: string, ctx: GraphQLContext): Promise<StaffTokens> {
    const login = String(loginInput ?? '').trim().toLowerCase().slice(0, 64);
    const keys = this.throttle.keys('staff', login, ctx.clientAddress);
    await this.throttle.check(keys);
    const account = login ? await this.runtime.database.manager.findOne(StaffAccountEntity, { where: { login } }) : null;
    const usable = account && account.active ? account : null;
    const ok = await this.hasher.verify(typeof password === 'string' ? password.slice(0, MAX_PASSWORD_LENGTH + 1) : '', usable?.passwordHash ?? null);
    if (!usable || !ok || (password ?? '').length > MAX_PASSWORD_LENGTH) {
      await this.throttle.failed(keys);
      throw identityError(ErrorCode.INVALID_CREDENTIALS);
    }
    const opened = await this.runtime.database.transaction(async (manager) => {
      const session = await this.sessions.open(manager, {
        subjectKind: 'STAFF',
        subjectId: usable.id,
        channel: null,
        device: describeDevice('WEB', null, ctx.userAgent),
        clientAddress: ctx.clientAddress,
      });
      await this.throttle.succeeded(manager, keys);
      return session;
    });
    await this.throttle.cleared(keys);
    ctx.logger.info({ staffId: usable.id, role: usable.role }, 'staff login');
    return this.issue(usable, opened.session.id, opened.refreshToken);
  }

  async refresh(refreshToken: string): Promise<StaffTokens> {
    const result = await this.runtime.database.transaction(async (manager) => {
      const rotation = await this.sessions.rotate(manager, refreshToken, 'STAFF');
      if (rotation.outcome !== 'rotated') return rotation;
      const account = await manager.findOne(StaffAccountEntity, { where: { id: rotation.session.subjectId } });
      if (!account || !account.active) throw identityError(ErrorCode.UNAUTHENTICATED);
      return { ...rotation, account };
    });
    if (result.outcome !== 'rotated') throw identityError(ErrorCode.UNAUTHENTICATED, { extensions: { reason: 'refresh token invalid, expired or reused' } });
    return this.issue(result.account, result.session.id, result.refreshToken);
  }

  private async issue(account: StaffAccountEntity, sessionId: string, refreshToken: string): Promise<StaffTokens> {
    const { token, expiresAt } = await this.tokens.accessToken({ kind: 'staff', staffId: account.id, sessionId, role: account.role }, this.runtime.clock.now().getTime());
    return { accessToken: token, refreshToken, accessTokenExpiresAt: expiresAt, staff: account };
  }

  /** The caller's account; a deactivated account is refused even with a token still valid. */
  async account(caller: StaffCaller): Promise<StaffAccountEntity> {
    const account = await this.runtime.database.manager.findOne(StaffAccountEntity, { where: { id: caller.staffId } });
    if (!account || !account.active) throw identityError(ErrorCode.FORBIDDEN);
    return account;
  }

  async actor(caller: StaffCaller): Promise<Actor> {
    const account = await this.account(caller);
    return { kind: 'STAFF', id: account.id, viaManagement: false, channel: null, staff: { role: account.role, login: account.login } };
  }
}
