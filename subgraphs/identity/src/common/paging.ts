import DataLoader from 'dataloader';
import type { EntityManager, ObjectLiteral } from 'typeorm';
import { CursorPosition, GraphQLContext, badInput, decodeCursor, pageSize, toConnection } from '@selfcare/shared';

/**
 * Newest-first pages of a per-subscriber list (notifications, activity), ordered by (timestamp, id) with
 * keyset cursors. Requests for many subscribers in one GraphQL request (e.g. a list of managed numbers with
 * their activity) are batched: one statement for a single subscriber, two for any number of them.
 * (To be replaced by the kit's keyset-page loader once it lands in shared/.)
 */
export interface PageRequest {
  subscriberId: string;
  first: number | null | undefined;
  after: string | null | undefined;
}

export interface PagedListOptions<T extends ObjectLiteral> {
  name: string;
  entity: new () => T;
  /** property holding the sort timestamp, e.g. 'createdAt' */
  timeProperty: keyof T & string;
  manager: () => EntityManager;
}

interface LoaderKey {
  subscriberId: string;
  limit: number;
  after: CursorPosition | null;
  afterRaw: string;
}

export type Page<T> = ReturnType<typeof toConnection<T>>;

export function loadPage<T extends ObjectLiteral & { id: string; subscriberId: string }>(
  ctx: GraphQLContext,
  options: PagedListOptions<T>,
  request: PageRequest,
): Promise<Page<T>> {
  // Validation first, so a bad argument is the caller's error, not the batch's.
  const limit = pageSize(request.first);
  const after = decodeCursor(request.after);
  // The cursor's key is a timestamp in ms: anything else was not made by us, and must not silently read as "no rows".
  if (after && !(typeof after.k === 'number' && Number.isSafeInteger(after.k) && Math.abs(after.k) <= 8.64e15)) {
    throw badInput('after', { KK: 'Курсор қате', RU: 'Неверный курсор', EN: 'Invalid cursor' });
  }
  const loader = ctx.loaders.get<LoaderKey, Page<T>>(
    `identity.page.${options.name}`,
    () =>
      new DataLoader<LoaderKey, Page<T>, string>((keys) => fetchPages(options, keys), {
        cacheKeyFn: (key) => `${key.subscriberId}|${key.limit}|${key.afterRaw}`,
      }),
  );
  return loader.load({ subscriberId: request.subscriberId, limit, after, afterRaw: request.after ?? '' });
}

async function fetchPages<T extends ObjectLiteral & { id: string; subscriberId: string }>(
  options: PagedListOptions<T>,
  keys: readonly LoaderKey[],
): Promise<Page<T>[]> {
  const groups = new Map<string, LoaderKey[]>();
  for (const key of keys) {
    const group = `${key.limit}|${key.afterRaw}`;
    groups.set(group, [...(groups.get(group) ?? []), key]);
  }
  const rowsBySubscriber = new Map<string, T[]>();
  for (const group of groups.values()) {
    const { limit, after } = group[0]!;
    const ids = [...new Set(group.map((key) => key.subscriberId))];
    const rows = await fetchRows(options, ids, limit + 1, after);
    for (const row of rows) {
      const list = rowsBySubscriber.get(`${row.subscriberId}|${limit}|${group[0]!.afterRaw}`) ?? [];
      list.push(row);
      rowsBySubscriber.set(`${row.subscriberId}|${limit}|${group[0]!.afterRaw}`, list);
    }
  }
  return keys.map((key) =>
    toConnection(rowsBySubscriber.get(`${key.subscriberId}|${key.limit}|${key.afterRaw}`) ?? [], key.limit, (row) => ({
      k: (row[options.timeProperty] as Date).getTime(),
      id: row.id,
    })),
  );
}

function sortNewestFirst<T extends ObjectLiteral & { id: string }>(rows: T[], timeProperty: keyof T & string): T[] {
  return rows.sort((a, b) => {
    const diff = (b[timeProperty] as Date).getTime() - (a[timeProperty] as Date).getTime();
    return diff !== 0 ? diff : a.id < b.id ? 1 : a.id > b.id ? -1 : 0;
  });
}

async function fetchRows<T extends ObjectLiteral & { id: string; subscriberId: string }>(
  options: PagedListOptions<T>,
  subscriberIds: string[],
  take: number,
  after: CursorPosition | null,
): Promise<T[]> {
  const manager = options.manager();
  const time = options.timeProperty;
  const keyset = (qb: { andWhere(sql: string, params?: Record<string, unknown>): unknown }, alias: string) => {
    if (!after) return;
    qb.andWhere(`(${alias}.${time} < :cursorAt OR (${alias}.${time} = :cursorAt AND ${alias}.id < :cursorId))`, {
      cursorAt: new Date(Number(after.k)),
      cursorId: after.id,
    });
  };
  if (subscriberIds.length === 1) {
    const qb = manager
      .createQueryBuilder(options.entity, 'item')
      .where('item.subscriberId = :subscriberId', { subscriberId: subscriberIds[0] })
      .orderBy(`item.${time}`, 'DESC')
      .addOrderBy('item.id', 'DESC')
      .take(take);
    keyset(qb, 'item');
    return qb.getMany();
  }
  // Many subscribers: rank each subscriber's rows with a window function, keep the first `take` of each.
  const ranked = manager
    .createQueryBuilder(options.entity, 'item')
    .select('item.id', 'id')
    .addSelect(`ROW_NUMBER() OVER (PARTITION BY item.subscriberId ORDER BY item.${time} DESC, item.id DESC)`, 'rn')
    .where('item.subscriberId IN (:...subscriberIds)', { subscriberIds });
  keyset(ranked, 'item');
  const idRows: { id: string }[] = await manager
    .createQueryBuilder()
    .select('ranked.id', 'id')
    .from(`(${ranked.getQuery()})`, 'ranked')
    .where('ranked.rn <= :take', { take })
    .setParameters(ranked.getParameters())
    .getRawMany();
  if (idRows.length === 0) return [];
  const rows = await manager
    .createQueryBuilder(options.entity, 'item')
    .where('item.id IN (:...ids)', { ids: idRows.map((r) => r.id) })
    .getMany();
  return sortNewestFirst(rows, time);
}
