import DataLoader from 'dataloader';
import type { GraphQLContext } from '../graphql/context';
import { requireSubscriber } from '../graphql/guards';
import { DomainError } from '../errors/domain-error';
import { ErrorCode } from '../errors/error-code';
import { subscriberId as subscriberIdSchema } from '../contracts/common';
import { MAX_MANAGEMENT_CHECK_IDS } from '../contracts/delegation-api';
import type { AccessTokenClaims, SubscriberCaller } from '../auth/caller';
import { AccessTokenVerifier, bearerToken } from '../auth/verifier';
import { LoaderRegistry } from '../graphql/loaders';

/** Answers "may this manager manage these numbers now?" (terms 4.2/4.3, section 5); delegation owns the answer. */
export interface ManagementGrantSource {
  managedBy(managerId: string, subscriberIds: readonly string[]): Promise<boolean[]>;
}

/**
 * The grants one live subscription relied on (terms 4.3), noted by AccessPolicy as it allows a managed number, so the
 * subscription can be ended when a grant ends (terms 4.4: revocation reaches live subscriptions, not only the next request).
 * Only subscription contexts carry one (`GraphQLContext.managedAccess`); copies of the context share it.
 */
export class ManagedAccessLog {
  private readonly noted = new Map<string, { managerId: string; ownerId: string }>();
  private readonly listeners = new Set<(grant: { managerId: string; ownerId: string }) => void>();

  note(managerId: string, ownerId: string): void {
    const key = `${managerId}:${ownerId}`;
    if (this.noted.has(key)) return;
    const grant = { managerId, ownerId };
    this.noted.set(key, grant);
    for (const listener of this.listeners) listener(grant);
  }

  get grants(): { managerId: string; ownerId: string }[] {
    return [...this.noted.values()];
  }

  /** `listener` hears of grants noted from now on; the returned function stops it. */
  onNote(listener: (grant: { managerId: string; ownerId: string }) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}

export interface NumberAccess {
  subscriberId: string;
  /** true when the caller acts through number management (section 5), not as the owner */
  viaManagement: boolean;
  actorId: string;
}

/**
 * The one place that decides whether a subscriber caller may act on a number: their own, or one whose
 * management was handed to them (terms 4.3: "everything the owner can"). terms 2.5: nobody else, staff included.
 * Every check of one request shares one DataLoader, so all numbers asked about in the same tick cost one
 * question to delegation, however they are asked (one by one, `assertMayManageAll`, `filterManageable`).
 */
export class AccessPolicy {
  /** Questions of one manager not sent yet, by manager: those of the same turn of the event loop go together. */
  private readonly unsent = new Map<string, { ids: Set<string>; answers: Promise<Map<string, boolean>> }>();

  constructor(private readonly grants: ManagementGrantSource) {}

  /**
   * One question to delegation for one manager's numbers asked in the same turn of the event loop, whichever requests
   * ask them: a socket's subscriptions to a manager's numbers (terms 4.3) start as separate requests in one turn, and
   * asked one by one, 10,000 of them opening kept delegation busy past the internal timeout (bench/subscriptions.js).
   * Nothing is remembered: each question is answered by delegation, only sent with others.
   */
  private managedBy(managerId: string, ids: readonly string[]): Promise<boolean[]> {
    let batch = this.unsent.get(managerId);
    if (!batch || batch.ids.size + ids.length > MAX_MANAGEMENT_CHECK_IDS) {
      const questions = new Set<string>();
      const created: { ids: Set<string>; answers: Promise<Map<string, boolean>> } = {
        ids: questions,
        answers: new Promise<void>((resolve) => setImmediate(resolve)).then(async () => {
          if (this.unsent.get(managerId) === created) this.unsent.delete(managerId);
          const asked = [...questions];
          const answers = await this.grants.managedBy(managerId, asked);
          return new Map(asked.map((id, i) => [id, answers[i] === true]));
        }),
      };
      batch = created;
      this.unsent.set(managerId, batch);
    }
    for (const id of ids) batch.ids.add(id);
    return batch.answers.then((answers) => ids.map((id) => answers.get(id) === true));
  }

  async assertMayManage(ctx: GraphQLContext, subscriberId: string): Promise<NumberAccess> {
    const [access] = await this.assertMayManageAll(ctx, [subscriberId]);
    return access!;
  }

  /** All of these numbers, or FORBIDDEN: one grant question for every number that is not the caller's own. */
  async assertMayManageAll(ctx: GraphQLContext, subscriberIds: readonly string[]): Promise<NumberAccess[]> {
    const caller = requireSubscriber(ctx);
    const accesses = await this.accessTo(ctx, caller, subscriberIds);
    if (accesses.some((access) => access === null)) throw new DomainError(ErrorCode.FORBIDDEN);
    return accesses as NumberAccess[];
  }

  /** The numbers of these the caller may act on, in the given order; the others are left out, not refused. */
  async filterManageable(ctx: GraphQLContext, subscriberIds: readonly string[]): Promise<NumberAccess[]> {
    const caller = requireSubscriber(ctx);
    return (await this.accessTo(ctx, caller, subscriberIds)).filter((access): access is NumberAccess => access !== null);
  }

  /**
   * Runs `read` alongside the check and hands its result over only if the caller may act on the number. Reading
   * first puts the caller's own number (decided at once) and managed ones (decided by delegation) into the same
   * DataLoader batches, so a request's statement count does not depend on whose numbers it names.
   */
  async whenMayManage<T>(ctx: GraphQLContext, subscriberId: string, read: () => Promise<T>): Promise<T> {
    requireSubscriber(ctx);
    let data: Promise<T>;
    try {
      data = read();
    } catch (error) {
      // A read that throws at once (a bad argument) still waits for the check: another's number is FORBIDDEN first.
      data = Promise.reject(error);
    }
    // Awaited below only once the check passed; until then a failed read must not surface as unhandled.
    data.catch(() => undefined);
    await this.assertMayManage(ctx, subscriberId);
    return data;
  }

  /** The owner alone (e.g. sessions, terms 4.4 revocation): management does not reach these. */
  assertOwner(ctx: GraphQLContext, subscriberId: string): NumberAccess {
    const caller = requireSubscriber(ctx);
    if (caller.subscriberId !== subscriberId) throw new DomainError(ErrorCode.FORBIDDEN);
    return { subscriberId, viaManagement: false, actorId: caller.subscriberId };
  }

  private async accessTo(ctx: GraphQLContext, caller: SubscriberCaller, subscriberIds: readonly string[]): Promise<(NumberAccess | null)[]> {
    const own = (id: string) => id === caller.subscriberId;
    // An id no subscriber can have (too long, empty) is nobody's number to manage: not worth a question, and it
    // must not make delegation refuse the whole batch.
    const asked = subscriberIds.filter((id) => !own(id) && subscriberIdSchema.safeParse(id).success);
    const managed = new Map<string, boolean>();
    if (asked.length) {
      const answers = await this.managedLoader(ctx, caller).loadMany(asked);
      asked.forEach((id, i) => {
        const answer = answers[i];
        if (answer instanceof Error) throw answer;
        managed.set(id, answer === true);
      });
    }
    return subscriberIds.map((id) => {
      if (own(id)) return { subscriberId: id, viaManagement: false, actorId: caller.subscriberId };
      if (!managed.get(id)) return null;
      ctx.managedAccess?.note(caller.subscriberId, id);
      return { subscriberId: id, viaManagement: true, actorId: caller.subscriberId };
    });
  }

  private managedLoader(ctx: GraphQLContext, caller: SubscriberCaller): DataLoader<string, boolean> {
    return ctx.loaders.get<string, boolean>(
      'accessPolicy.managed',
      // delegation answers at most MAX_MANAGEMENT_CHECK_IDS numbers per question; a larger request asks several times.
      () => new DataLoader<string, boolean>((ids) => this.managedBy(caller.subscriberId, ids), { maxBatchSize: MAX_MANAGEMENT_CHECK_IDS }),
    );
  }
}

/** How long a live subscription trusts its last grant answer without asking delegation again (see `liveAccessCheck`). */
export const GRANT_RECHECK_MS = 60_000;

/**
 * The check before each event of one live subscription: the caller's token is still valid and not revoked (terms 3.3,
 * 4.1) and, given a number, the caller may still act on it (terms 4.4).
 * The signature is verified once (it cannot change while the token lives); each event checks the expiry and the
 * revocation store. The grant is not asked about per event: GrantWatch ends the subscription as soon as delegation's
 * `ManagementRequestChanged` says the grant ended; a fresh question (a new loader, not the first request's answer)
 * goes to delegation only when the last one is older than `recheckMs` (up to a fifth more), which bounds how long a late wake-up (the bus
 * down) can leave a stream open. Asking per event cost an HTTP round trip per delivered balance change
 * (bench/subscriptions.js: 349 postings/s and events lost to delegation's timeouts at 10,000 subscribers).
 */
export function liveAccessCheck(
  ctx: GraphQLContext,
  verifier: Pick<AccessTokenVerifier, 'verifySignature' | 'assertNotRevoked'>,
  number?: { policy: AccessPolicy; subscriberId: string },
  options: { recheckMs?: number; now?: () => number } = {},
): () => Promise<void> {
  const now = options.now ?? Date.now;
  const recheckMs = options.recheckMs ?? GRANT_RECHECK_MS;
  let claims: Promise<AccessTokenClaims> | null = null;
  // The subscription's first request has just checked the grant. Up to a fifth later, so that subscriptions opened
  // together do not all ask delegation in the same second.
  let grantCheckedAt = now();
  const recheckAfter = recheckMs * (1 + Math.random() / 5);
  return async () => {
    const token = bearerToken(ctx.authorization);
    if (!token) throw new DomainError(ErrorCode.UNAUTHENTICATED);
    claims ??= verifier.verifySignature(token);
    const verified = await claims.catch((error: unknown) => {
      claims = null;
      throw error;
    });
    if (verified.exp * 1000 <= now()) throw new DomainError(ErrorCode.UNAUTHENTICATED, { extensions: { reason: 'token expired' } });
    await verifier.assertNotRevoked(verified);
    if (number && now() - grantCheckedAt >= recheckAfter) {
      if (requireSubscriber(ctx).subscriberId !== number.subscriberId) {
        try {
          await number.policy.assertMayManage({ ...ctx, loaders: new LoaderRegistry() }, number.subscriberId);
        } catch (error) {
          // Delegation not answering is no answer: the stream goes on (GrantWatch still ends it when the grant ends)
          // and asks again at the next event, until the grant has gone unconfirmed for five intervals.
          const unavailable = error instanceof DomainError && error.code === ErrorCode.SERVICE_UNAVAILABLE;
          if (!unavailable || now() - grantCheckedAt >= 5 * recheckMs) throw error;
          return;
        }
      }
      grantCheckedAt = now();
    }
  };
}
