import { isIPv4, isIPv6 } from 'node:net';
import { type EntityManager, LessThan } from 'typeorm';
import type { Clock, Database } from '@selfcare/shared';
import { rateLimited } from '../common/errors';
import type { RateLimitSettings } from '../settings';
import { KnownLoginAddressEntity } from './known-address.entity';
import { bucketKey, LockoutRule, RateLimiter } from './rate-limiter';

/** The eight hextets of a valid IPv6 address (an embedded IPv4 tail becomes the last two). */
function hextets(address: string): string[] {
  let text = address;
  const v4 = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (v4) {
    const [a, b, c, d] = v4.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, v4.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.split('::') as [string, string | undefined];
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const fill = tail === undefined ? [] : Array<string>(8 - left.length - right.length).fill('0');
  return [...left, ...fill, ...right].map((h) => parseInt(h, 16).toString(16));
}

/**
 * The address throttling counts by: IPv4 as it is (also when written IPv4-mapped, as a dual-stack socket reports it),
 * IPv6 by its /64 — one line or household, and the smallest block a client can take new addresses from at will.
 */
export function throttleAddress(address: string): string {
  const text = String(address ?? '').trim().toLowerCase().replace(/^\[(.*)\]$/, '$1').replace(/%.*$/, '');
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (mapped && isIPv4(mapped[1]!)) return mapped[1]!;
  if (isIPv4(text)) return text;
  if (isIPv6(text)) return `${hextets(text).slice(0, 4).join(':')}::/64`;
  return text.slice(0, 64) || 'unknown';
}

/** The buckets one login attempt counts in. */
export interface LoginKeys {
  /** the login (canonical form, scoped: subscriber or staff) — hashed */
  login: string;
  /** the client address as throttled — hashed */
  address: string;
  /** this login from this address: the short lock */
  pair: string;
  /** this login from anywhere: the ceiling */
  ceiling: string;
  /** this address, whatever login: the spray lock */
  spray: string;
}

/**
 * Throttles password guessing without handing strangers a denial of service (the aim of NIST SP 800-63B 5.2.2):
 * - per login and client address, `loginMaxFailures` failures lock that pair for `loginLockoutSeconds` — the attacker's
 *   own address is stopped, the owner elsewhere is not;
 * - per login, `loginMaxFailuresPerLogin` failures from anywhere within `loginCeilingWindowSeconds` (a distributed
 *   attack) shut the login for the same time to every address it was never used from successfully; the addresses it
 *   was (remembered for `knownAddressDays`) keep their per-pair limit;
 * - per client address, `loginMaxFailuresPerAddress` failures on any logins lock the address (one source spraying many logins).
 * The answer and the work are the same whether or not the login exists: nothing here reads the subscriber.
 */
export class LoginThrottle {
  constructor(
    private readonly database: Database,
    private readonly clock: Clock,
    private readonly limiter: RateLimiter,
    private readonly limits: RateLimitSettings,
  ) {}

  keys(scope: 'subscriber' | 'staff', login: string, clientAddress: string): LoginKeys {
    const address = throttleAddress(clientAddress);
    const loginKey = bucketKey(`${scope}-login`, login);
    return {
      login: loginKey,
      address: bucketKey('address', address),
      pair: bucketKey('login-pair', `${loginKey}|${address}`),
      ceiling: bucketKey('login-ceiling', loginKey),
      spray: bucketKey('login-address', address),
    };
  }

  private rules(keys: LoginKeys): LockoutRule[] {
    const limits = this.limits;
    const windowMs = limits.loginFailureWindowSeconds * 1000;
    const lockMs = limits.loginLockoutSeconds * 1000;
    const ceilingMs = limits.loginCeilingWindowSeconds * 1000;
    return [
      { key: keys.pair, maxFailures: limits.loginMaxFailures, windowMs, lockMs },
      { key: keys.ceiling, maxFailures: limits.loginMaxFailuresPerLogin, windowMs: ceilingMs, lockMs: ceilingMs },
      { key: keys.spray, maxFailures: limits.loginMaxFailuresPerAddress, windowMs, lockMs },
    ];
  }

  /** Refuses (RATE_LIMITED with the seconds to wait) an attempt that must not be tried now. */
  async check(keys: LoginKeys): Promise<void> {
    const locks = await this.limiter.locks([keys.pair, keys.ceiling, keys.spray]);
    const blockedMs = Math.max(locks.get(keys.pair) ?? 0, locks.get(keys.spray) ?? 0);
    if (blockedMs > 0) throw rateLimited(blockedMs / 1000);
    const ceilingMs = locks.get(keys.ceiling) ?? 0;
    if (ceilingMs > 0 && !(await this.known(keys))) throw rateLimited(ceilingMs / 1000);
  }

  /** A wrong password (or an unknown login): counted on the pair, the login and the address. */
  async failed(keys: LoginKeys): Promise<void> {
    await this.limiter.failure(this.rules(keys));
  }

  /**
   * The password was right: this address is known for this login from now on, in the caller's transaction (so it
   * commits with the session). The pair's count is cleared by `cleared`; the login's ceiling is not — the owner
   * logging in must not refill a distributed attacker's allowance.
   */
  async succeeded(manager: EntityManager, keys: LoginKeys): Promise<void> {
    // One upsert statement: an insert-or-ignore followed by an update takes a shared lock, then an exclusive one,
    // and two simultaneous logins from one address deadlocked on MariaDB (the upsert takes the exclusive lock at once).
    await manager
      .createQueryBuilder()
      .insert()
      .into(KnownLoginAddressEntity)
      .values({ loginKey: keys.login, addressKey: keys.address, lastSuccessAt: this.clock.now() })
      .orUpdate(['last_success_at'], ['login_key', 'address_key'])
      .updateEntity(false)
      .execute();
  }

  /** After the successful attempt committed: the pair starts afresh. */
  cleared(keys: LoginKeys): Promise<void> {
    return this.limiter.reset([keys.pair]);
  }

  private async known(keys: LoginKeys): Promise<boolean> {
    const cutoff = new Date(this.clock.now().getTime() - this.limits.knownAddressDays * 24 * 3600_000);
    const row = await this.database.manager.findOne(KnownLoginAddressEntity, { where: { loginKey: keys.login, addressKey: keys.address } });
    return !!row && row.lastSuccessAt.getTime() > cutoff.getTime();
  }

  /** Forgets addresses not used successfully for `knownAddressDays`. */
  async purge(): Promise<number> {
    const cutoff = new Date(this.clock.now().getTime() - this.limits.knownAddressDays * 24 * 3600_000);
    const result = await this.database.transaction((manager) => manager.delete(KnownLoginAddressEntity, { lastSuccessAt: LessThan(cutoff) }));
    return result.affected ?? 0;
  }
}
