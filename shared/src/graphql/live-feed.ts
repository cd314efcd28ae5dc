import type { FeedWaker } from '../events/feed-wakeups';

/**
 * A subscription's event source that reads the service's own database: first everything after the client's
 * cursor (events missed while disconnected), then new rows as they are written. Reading the database, not process
 * memory, makes it right with several replicas and across restarts. It reads only when woken — after a commit that
 * wrote what it follows (`key`), or by the service's shared safety poll — so an idle feed costs no statements.
 */
export interface LiveFeedOptions<Row, Cursor> {
  /** Up to `limit` rows after `cursor` (null = only rows from now on were asked for, see `startAt`), oldest first. */
  fetchAfter: (cursor: Cursor | null, limit: number) => Promise<Row[]>;
  cursorOf: (row: Row) => Cursor;
  /** Where to start: the client's `after` cursor, or the current position when it gave none. */
  startAt: () => Promise<Cursor | null>;
  wakeups: FeedWaker;
  /** What this feed follows, as the writes name it (e.g. `account:<id>`). */
  key: string;
  /** Rows per read; a full page is followed by another read at once. */
  pageSize?: number;
  /** First delay before retrying a failed read; doubles up to 30 s. */
  retryMs?: number;
  onError?: (error: unknown) => void;
}

export function liveFeed<Row, Cursor>(options: LiveFeedOptions<Row, Cursor>): AsyncIterableIterator<Row> {
  const pageSize = options.pageSize ?? 100;
  const firstRetryMs = options.retryMs ?? 1000;
  const buffer: Row[] = [];
  let cursor: Cursor | null | undefined;
  let closed = false;
  // Set by every wake-up; a read clears it first, so a write that commits while the read runs is read next.
  let poked = true;
  let retryMs = firstRetryMs;
  let wakeWaiter: (() => void) | null = null;
  const unfollow = options.wakeups.follow(options.key, () => {
    poked = true;
    wakeWaiter?.();
  });

  const close = () => {
    if (closed) return;
    closed = true;
    unfollow();
    wakeWaiter?.();
  };

  /** Until woken, closed, or `timeoutMs` passed. */
  const sleep = (timeoutMs?: number) =>
    new Promise<void>((resolve) => {
      if (poked || closed) return resolve();
      let timer: NodeJS.Timeout | undefined;
      wakeWaiter = () => {
        wakeWaiter = null;
        if (timer) clearTimeout(timer);
        resolve();
      };
      if (timeoutMs !== undefined) {
        timer = setTimeout(() => {
          poked = true;
          wakeWaiter?.();
        }, timeoutMs);
      }
    });

  const iterator: AsyncIterableIterator<Row> = {
    async next(): Promise<IteratorResult<Row>> {
      try {
        if (cursor === undefined) cursor = await options.startAt();
        while (!closed) {
          const row = buffer.shift();
          if (row !== undefined) return { value: row, done: false };
          await sleep();
          if (closed) break;
          poked = false;
          let rows: Row[];
          try {
            rows = await options.fetchAfter(cursor, pageSize);
            retryMs = firstRetryMs;
          } catch (error) {
            options.onError?.(error);
            await sleep(retryMs);
            retryMs = Math.min(retryMs * 2, 30_000);
            continue;
          }
          if (rows.length === 0) continue;
          cursor = options.cursorOf(rows[rows.length - 1]!);
          buffer.push(...rows);
          // A full page may not be all: read on without waiting for another wake-up.
          if (rows.length >= pageSize) poked = true;
        }
        return { value: undefined, done: true };
      } catch (error) {
        // graphql-js does not call return() after next() threw: stop following here.
        close();
        throw error;
      }
    },
    async return(): Promise<IteratorResult<Row>> {
      close();
      return { value: undefined, done: true };
    },
    [Symbol.asyncIterator]() {
      return iterator;
    },
  };
  return iterator;
}
