import DataLoader from 'dataloader';
import type { EntityManager, EntityTarget, ObjectLiteral } from 'typeorm';
import { badInput } from '../errors/domain-error';
import type { GraphQLContext } from './context';
import { CursorPosition, decodeCursor, pageSize, toConnection } from './pagination';

/** A page of rows as the contract's connections carry them: edges with cursors, and pageInfo. */
export type Page<T> = ReturnType<typeof toConnection<T>>;

/** Extra conditions one batch of pages shares (a period, kinds); pages with different filters never share a statement. */
export interface KeysetFilter<F> {
  /** Requests with the same key share a statement: the key must say everything `where` uses. */
  key(filter: F): string;
  /**
   * SQL conditions on the ranked rows. `column('startedAt')` names a column of the entity; parameter names must not
   * start with `keyset_`.
   */
  where(filter: F, column: (property: string) => string): { sql: string; params: Record<string, unknown> } | null;
}

export interface KeysetPagesOptions<Row extends ObjectLiteral & { id: string }, F = void> {
  /** The loader's name in the request's registry, e.g. 'billing.entries'. */
  name: string;
  entity: EntityTarget<Row>;
  manager: () => EntityManager;
  /** The property holding the parent's key, e.g. 'accountId'. */
  parent: keyof Row & string;
  /** The sort key: a timestamp (Date) or an integer column; ties are broken by `id`. */
  sortBy: keyof Row & string;
  sortKind: 'timestamp' | 'integer';
  order: 'NEWEST_FIRST' | 'OLDEST_FIRST';
  filter?: KeysetFilter<F>;
}

export interface PageRequest<F = void> {
  parent: string;
  first?: number | null;
  after?: string | null;
  filter?: F;
}

interface LoaderKey<F> {
  parent: string;
  limit: number;
  after: CursorPosition | null;
  filter: F | undefined;
  /** limit, cursor and filter: what one statement serves */
  batch: string;
}

/** Parents one statement ranks at most; a larger batch is split. */
const MAX_PARENTS_PER_STATEMENT = 500;
/** The largest timestamp a Date can hold (ms). */
const MAX_TIME_MS = 8.64e15;

/**
 * One keyset-page loader for every "page of rows per parent" list (ledger entries per account, usage per line,
 * notices per subscriber): `first`/`after` with opaque cursors of (sort key, id), `limit + 1` rows for
 * hasNextPage, and one SQL statement per distinct (limit, cursor, filter) however many parents a request pages —
 * ROW_NUMBER() ranks each parent's rows (SQLite ≥ 3.25, MariaDB ≥ 10.2); a single parent is a plain ORDER BY … LIMIT.
 */
export class KeysetPages<Row extends ObjectLiteral & { id: string }, F = void> {
  constructor(private readonly options: KeysetPagesOptions<Row, F>) {}

  /** One parent's page. Bad `first` or `after` is the caller's BAD_USER_INPUT, raised before anything is read. */
  async load(ctx: GraphQLContext, request: PageRequest<F>): Promise<Page<Row>> {
    const limit = pageSize(request.first);
    const after = this.cursor(request.after);
    const filterKey = request.filter === undefined || !this.options.filter ? '' : this.options.filter.key(request.filter);
    const batch = JSON.stringify([limit, after ? [after.k, after.id] : null, filterKey]);
    return this.loader(ctx).load({ parent: request.parent, limit, after, filter: request.filter, batch });
  }

  private cursor(raw: string | null | undefined): CursorPosition | null {
    const after = decodeCursor(raw);
    if (!after) return null;
    // A key of the wrong kind was not made here; it must not silently read as "no rows".
    const k = after.k;
    const valid =
      typeof k === 'number' && Number.isSafeInteger(k) && (this.options.sortKind === 'integer' || Math.abs(k) <= MAX_TIME_MS) && after.id.length <= 64;
    if (!valid) throw badInput('after', { KK: 'Курсор қате', RU: 'Неверный курсор', EN: 'Invalid cursor' });
    return after;
  }

  private loader(ctx: GraphQLContext): DataLoader<LoaderKey<F>, Page<Row>, string> {
    return ctx.loaders.get(`keysetPages.${this.options.name}`, () =>
      new DataLoader<LoaderKey<F>, Page<Row>, string>((keys) => this.fetch(keys), {
        cacheKeyFn: (key) => JSON.stringify([key.parent, key.batch]),
        maxBatchSize: MAX_PARENTS_PER_STATEMENT,
      }),
    );
  }

  private async fetch(keys: readonly LoaderKey<F>[]): Promise<Page<Row>[]> {
    const batches = new Map<string, LoaderKey<F>[]>();
    for (const key of keys) batches.set(key.batch, [...(batches.get(key.batch) ?? []), key]);
    const rowsByKey = new Map<LoaderKey<F>, Row[]>();
    await Promise.all(
      [...batches.values()].map(async (batch) => {
        const { limit, after, filter } = batch[0]!;
        const parents = [...new Set(batch.map((key) => key.parent))];
        const rows = await this.rows(parents, limit + 1, after, filter);
        const byParent = new Map<string, Row[]>();
        for (const row of rows) {
          const parent = String(row[this.options.parent]);
          byParent.set(parent, [...(byParent.get(parent) ?? []), row]);
        }
        for (const key of batch) rowsByKey.set(key, byParent.get(key.parent) ?? []);
      }),
    );
    return keys.map((key) => toConnection(rowsByKey.get(key) ?? [], key.limit, (row) => ({ k: this.sortValue(row), id: row.id })));
  }

  private sortValue(row: Row): number {
    const value = row[this.options.sortBy] as unknown;
    return value instanceof Date ? value.getTime() : Number(value);
  }

  /** The first `take` rows of each parent, in page order: one statement. */
  private async rows(parents: string[], take: number, after: CursorPosition | null, filter: F | undefined): Promise<Row[]> {
    const { entity, parent, sortBy, sortKind, order } = this.options;
    const manager = this.options.manager();
    const desc = order === 'NEWEST_FIRST';
    const direction = desc ? 'DESC' : 'ASC';
    const keyset = (alias: string) => {
      const cmp = desc ? '<' : '>';
      return `(${alias}.${sortBy} ${cmp} :keyset_k OR (${alias}.${sortBy} = :keyset_k AND ${alias}.id ${cmp} :keyset_id))`;
    };
    const keysetParams = after ? { keyset_k: sortKind === 'timestamp' ? new Date(after.k as number) : after.k, keyset_id: after.id } : {};
    if (parents.length === 1) {
      // One parent (most requests): a plain ORDER BY … LIMIT walks the (parent, sort key) index and stops after `take`
      // rows; the window below would rank every row of the parent in the filter first (500 a line: 1.5-2× the time).
      const single = manager.createQueryBuilder(entity, 'keyset_row').where(`keyset_row.${parent} = :keyset_parent`, { keyset_parent: parents[0] });
      if (after) single.andWhere(keyset('keyset_row'), keysetParams);
      const extraSingle = filter !== undefined && this.options.filter ? this.options.filter.where(filter, (property) => `keyset_row.${property}`) : null;
      if (extraSingle) single.andWhere(extraSingle.sql, extraSingle.params);
      return single.orderBy(`keyset_row.${sortBy}`, direction).addOrderBy('keyset_row.id', direction).take(take).getMany();
    }
    const ranked = manager
      .createQueryBuilder(entity, 'keyset_row')
      .select('keyset_row.id', 'id')
      .addSelect(`ROW_NUMBER() OVER (PARTITION BY keyset_row.${parent} ORDER BY keyset_row.${sortBy} ${direction}, keyset_row.id ${direction})`, 'rn')
      .where(`keyset_row.${parent} IN (:...keyset_parents)`, { keyset_parents: parents });
    if (after) ranked.andWhere(keyset('keyset_row'), keysetParams);
    const extra = filter !== undefined && this.options.filter ? this.options.filter.where(filter, (property) => `keyset_row.${property}`) : null;
    if (extra) ranked.andWhere(extra.sql, extra.params);
    return manager
      .createQueryBuilder(entity, 'keyset_page')
      .where(`keyset_page.id IN (SELECT keyset_ranked.id FROM (${ranked.getQuery()}) keyset_ranked WHERE keyset_ranked.rn <= :keyset_take)`)
      .setParameters({ ...ranked.getParameters(), keyset_take: take })
      .orderBy(`keyset_page.${sortBy}`, direction)
      .addOrderBy('keyset_page.id', direction)
      .getMany();
  }
}
