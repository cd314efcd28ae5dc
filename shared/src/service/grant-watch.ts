import type { FeedWakeups } from '../events/feed-wakeups';
import type { GraphQLContext } from '../graphql/context';
import { LoaderRegistry } from '../graphql/loaders';
import type { Logger } from '../logging/logger';
import type { AccessPolicy } from './access-policy';

const GRANT_CHANGE = 'ManagementRequestChanged';

/** The wake-up key of one grant (manager → owner's number): what the end of that grant wakes. */
export function grantKey(managerId: string, ownerId: string): string {
  return `grant:${managerId}:${ownerId}`;
}

/**
 * Ends live subscriptions that act on a number through management (terms 4.3) as soon as that grant ends (terms 4.4),
 * not at their next event. AccessPolicy notes each grant a subscription relied on (`ctx.managedAccess`); the
 * subscription follows the grant's key on the service's feed wake-ups, which delegation's `ManagementRequestChanged`
 * (away from ACTIVE) wakes — on every replica, through the wake-ups' channel. Woken, it asks AccessPolicy again
 * (delegation decides, as for any request) and ends with that answer's error; a wake-up for a grant that still
 * holds (granted again) changes nothing.
 */
export class GrantWatch {
  constructor(
    private readonly wakeups: FeedWakeups,
    private readonly accessPolicy: AccessPolicy,
    private readonly logger: Logger,
  ) {
    wakeups.wakeOn(GRANT_CHANGE, (payload) =>
      payload.previousStatus === 'ACTIVE' && typeof payload.requesterId === 'string' && typeof payload.ownerId === 'string' ? [grantKey(payload.requesterId, payload.ownerId)] : [],
    );
  }

  /**
   * Delegation's `ManagementRequestChanged`, as the service consumed it: the end of a grant (a change away from ACTIVE)
   * wakes its subscriptions here and, through the wake-ups' channel, on the service's other replicas.
   */
  changed(change: { requesterId: string; ownerId: string | null; previousStatus: string | null }): void {
    if (change.previousStatus === 'ACTIVE') this.wakeups.written([{ type: GRANT_CHANGE, payload: { ...change } }]);
  }

  /** The subscription's results, cut with the refusal once a grant it acts through has ended. */
  watch<T>(ctx: GraphQLContext, source: AsyncIterator<T>): AsyncIterableIterator<T> {
    const log = ctx.managedAccess;
    const unfollows: (() => void)[] = [];
    let cutWith: { error: unknown } | null = null;
    let interrupt: ((error: unknown) => void) | null = null;
    let stopNoting: (() => void) | null = null;

    const stop = () => {
      stopNoting?.();
      stopNoting = null;
      for (const unfollow of unfollows.splice(0)) unfollow();
    };
    const cut = (error: unknown) => {
      if (cutWith) return;
      cutWith = { error };
      stop();
      interrupt?.(error);
      void Promise.resolve(source.return?.()).catch(() => undefined);
    };
    const checking = new Map<string, Promise<void>>();
    const recheck = (ownerId: string) => {
      if (cutWith || checking.has(ownerId)) return;
      const check = this.accessPolicy
        // A fresh loader: the question goes to delegation again, not to this subscription's first answer.
        .assertMayManage({ ...ctx, loaders: new LoaderRegistry() }, ownerId)
        .then(
          () => undefined,
          (error: unknown) => {
            this.logger.debug({ requestId: ctx.requestId, err: error }, 'a grant this subscription acted through has ended; ending it');
            cut(error);
          },
        )
        .finally(() => checking.delete(ownerId));
      checking.set(ownerId, check);
    };
    const follow = (grant: { managerId: string; ownerId: string }) => {
      if (!cutWith) unfollows.push(this.wakeups.follow(grantKey(grant.managerId, grant.ownerId), () => recheck(grant.ownerId)));
    };
    if (log) {
      for (const grant of log.grants) follow(grant);
      stopNoting = log.onNote(follow);
    }

    const iterator: AsyncIterableIterator<T> = {
      next: async () => {
        if (cutWith) throw cutWith.error;
        const interrupted = new Promise<never>((_, reject) => (interrupt = reject));
        interrupted.catch(() => undefined);
        try {
          const result = await Promise.race([source.next(), interrupted]);
          if (result.done) stop();
          return result;
        } catch (error) {
          stop();
          throw error;
        } finally {
          interrupt = null;
        }
      },
      return: async (value?: unknown) => {
        stop();
        await source.return?.(value);
        return { done: true, value: undefined };
      },
      [Symbol.asyncIterator]: () => iterator,
    };
    return iterator;
  }
}
