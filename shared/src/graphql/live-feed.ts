/**
 * A subscription's event source that reads the service's own database: first everything after the client's
 * cursor (events missed while disconnected), then new rows as they appear. Reading the database, not process
 * memory, makes it right with several replicas and across restarts.
 */
export interface LiveFeedOptions<Row, Cursor> {
  /** Rows after `cursor` (null = only rows from now on were asked for, see `startAt`), oldest first. */
  fetchAfter: (cursor: Cursor | null) => Promise<Row[]>;
  cursorOf: (row: Row) => Cursor;
  /** Where to start: the client's `after` cursor, or the current position when it gave none. */
  startAt: () => Promise<Cursor | null>;
  intervalMs: number;
  onError?: (error: unknown) => void;
}

export function liveFeed<Row, Cursor>(options: LiveFeedOptions<Row, Cursor>): AsyncIterableIterator<Row> {
  const buffer: Row[] = [];
  let cursor: Cursor | null | undefined;
  let closed = false;
  let wake: (() => void) | null = null;

  const sleep = () =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        wake = null;
        resolve();
      }, options.intervalMs);
      wake = () => {
        clearTimeout(timer);
        wake = null;
        resolve();
      };
    });

  const iterator: AsyncIterableIterator<Row> = {
    async next(): Promise<IteratorResult<Row>> {
      if (cursor === undefined) cursor = await options.startAt();
      while (!closed) {
        const row = buffer.shift();
        if (row !== undefined) return { value: row, done: false };
        try {
          const rows = await options.fetchAfter(cursor);
          if (rows.length) {
            cursor = options.cursorOf(rows[rows.length - 1]!);
            buffer.push(...rows);
            continue;
          }
        } catch (error) {
          options.onError?.(error);
        }
        await sleep();
      }
      return { value: undefined, done: true };
    },
    async return(): Promise<IteratorResult<Row>> {
      closed = true;
      wake?.();
      return { value: undefined, done: true };
    },
    [Symbol.asyncIterator]() {
      return iterator;
    },
  };
  return iterator;
}
