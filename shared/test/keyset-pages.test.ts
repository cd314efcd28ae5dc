import 'reflect-metadata';
import { Column, Entity, MigrationInterface, PrimaryColumn, QueryRunner } from 'typeorm';
import { Field, ID, ObjectType, Query, Resolver, buildSchema } from 'type-graphql';
import { printType } from 'graphql';
import {
  Database,
  DateTimeColumn,
  DomainError,
  GraphQLContext,
  KeysetPages,
  Language,
  LoaderRegistry,
  columns,
  connectionType,
  createLogger,
  createTable,
  encodeCursor,
} from '../src';
import { createTestDatabase, TestDatabase } from '../src/testing/databases';

/** A list per parent, as the services page theirs (ledger entries per account, usage per line). */
@Entity({ name: 'test_page_items' })
class PageItem {
  @PrimaryColumn('varchar', { length: 36 })
  id: string;

  @Column('varchar', { name: 'owner_id', length: 36 })
  ownerId: string;

  @DateTimeColumn({ name: 'happened_at' })
  happenedAt: Date;

  @Column('int')
  seq: number;

  @Column('varchar', { length: 10 })
  kind: string;
}

class PageItemsTable1764000000002 implements MigrationInterface {
  name = 'PageItemsTable1764000000002';
  async up(queryRunner: QueryRunner): Promise<void> {
    await createTable(
      queryRunner,
      'test_page_items',
      [columns.uuid(), columns.uuid('owner_id'), columns.dateTime('happened_at'), columns.int('seq'), columns.string('kind', 10)],
      [{ columns: ['owner_id', 'happened_at'] }],
    );
  }
  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('test_page_items');
  }
}

const PARENTS = 100;
const PER_PARENT = 7;
const T0 = Date.parse('2026-03-01T00:00:00.000Z');
const owner = (p: number) => `00000000-0000-4000-8000-${String(p).padStart(12, '0')}`;

/** Rows of parent p: times with ties (two rows share each even minute), so the id must break them. */
function rowsOf(p: number): PageItem[] {
  return Array.from({ length: PER_PARENT }, (_, i) =>
    Object.assign(new PageItem(), {
      id: `${String(p).padStart(3, '0')}-${String.fromCharCode(97 + ((i * 5) % PER_PARENT))}`,
      ownerId: owner(p),
      happenedAt: new Date(T0 + Math.floor(i / 2) * 60_000),
      seq: i + 1,
      kind: i % 3 === 0 ? 'CALL' : 'SMS',
    }),
  );
}

const newestFirst = (a: PageItem, b: PageItem) => b.happenedAt.getTime() - a.happenedAt.getTime() || (a.id < b.id ? 1 : -1);

describe('KeysetPages: a page of rows per parent in one statement (real database)', () => {
  let test: TestDatabase;
  let database: Database;
  const logger = createLogger('keyset-test', 'fatal');
  const context = (): GraphQLContext => ({
    requestId: 'test',
    language: Language.RU,
    caller: null,
    authError: null,
    authorization: null,
    clientAddress: '127.0.0.1',
    userAgent: null,
    logger,
    loaders: new LoaderRegistry(),
  });

  beforeAll(async () => {
    test = await createTestDatabase('keyset');
    database = new Database({ service: 'keyset', url: test.url, entities: [PageItem], migrations: [PageItemsTable1764000000002], migrateOnOpen: true });
    await database.open();
    const all = Array.from({ length: PARENTS }, (_, p) => rowsOf(p)).flat();
    for (let i = 0; i < all.length; i += 100) await database.manager.insert(PageItem, all.slice(i, i + 100));
  });
  afterAll(async () => {
    await database.close();
    await test.drop();
  });

  const byTime = () =>
    new KeysetPages<PageItem>({ name: 'test.byTime', entity: PageItem, manager: () => database.manager, parent: 'ownerId', sortBy: 'happenedAt', sortKind: 'timestamp', order: 'NEWEST_FIRST' });

  it.each([1, 10, 100])('pages %i parents with one SQL statement', async (parents) => {
    const pages = byTime();
    const ctx = context();
    const before = database.counter.count;
    const results = await Promise.all(Array.from({ length: parents }, (_, p) => pages.load(ctx, { parent: owner(p), first: 3 })));
    expect(database.counter.count - before).toBe(1);
    results.forEach((page, p) => {
      expect(page.edges.map((e) => e.node.id)).toEqual(rowsOf(p).sort(newestFirst).slice(0, 3).map((r) => r.id));
      expect(page.pageInfo).toEqual({ hasNextPage: true, endCursor: page.edges[2]!.cursor });
    });
  });

  it('one statement per distinct (limit, cursor), however many parents share each', async () => {
    const pages = byTime();
    const ctx = context();
    const first = await pages.load(ctx, { parent: owner(0), first: 2 });
    const after = first.pageInfo.endCursor!;
    const before = database.counter.count;
    await Promise.all([
      ...Array.from({ length: 50 }, (_, p) => pages.load(ctx, { parent: owner(p + 1), first: 2 })),
      ...Array.from({ length: 50 }, (_, p) => pages.load(ctx, { parent: owner(p + 1), first: 2, after })),
      ...Array.from({ length: 50 }, (_, p) => pages.load(ctx, { parent: owner(p + 1), first: 4 })),
    ]);
    expect(database.counter.count - before).toBe(3);
    // Asked again in the same request: served from the request's loader.
    await pages.load(ctx, { parent: owner(0), first: 2 });
    expect(database.counter.count - before).toBe(3);
  });

  it('walks every row of a parent exactly once, through ties, to a last page without a next one', async () => {
    for (const order of ['NEWEST_FIRST', 'OLDEST_FIRST'] as const) {
      const pages = new KeysetPages<PageItem>({ name: `test.walk.${order}`, entity: PageItem, manager: () => database.manager, parent: 'ownerId', sortBy: 'happenedAt', sortKind: 'timestamp', order });
      const seen: string[] = [];
      let after: string | null = null;
      for (let round = 0; round < 10; round += 1) {
        const page = await pages.load(context(), { parent: owner(42), first: 2, after });
        seen.push(...page.edges.map((e) => e.node.id));
        if (!page.pageInfo.hasNextPage) break;
        after = page.pageInfo.endCursor;
      }
      const expected = rowsOf(42).sort(newestFirst).map((r) => r.id);
      expect(seen).toEqual(order === 'NEWEST_FIRST' ? expected : [...expected].reverse());
    }
  });

  it('sorts by an integer key too, with the cursors billing’s balanceChanged resumes from ({k: seq, id})', async () => {
    const pages = new KeysetPages<PageItem>({ name: 'test.bySeq', entity: PageItem, manager: () => database.manager, parent: 'ownerId', sortBy: 'seq', sortKind: 'integer', order: 'NEWEST_FIRST' });
    const page = await pages.load(context(), { parent: owner(7), first: 3 });
    expect(page.edges.map((e) => e.node.seq)).toEqual([7, 6, 5]);
    expect(page.edges[0]!.cursor).toBe(encodeCursor({ k: 7, id: page.edges[0]!.node.id }));
    const next = await pages.load(context(), { parent: owner(7), first: 10, after: page.pageInfo.endCursor });
    expect(next.edges.map((e) => e.node.seq)).toEqual([4, 3, 2, 1]);
    expect(next.pageInfo).toEqual({ hasNextPage: false, endCursor: next.edges[3]!.cursor });
  });

  it('keeps pages with different filters apart and applies each', async () => {
    const pages = new KeysetPages<PageItem, { kind: string }>({
      name: 'test.filtered',
      entity: PageItem,
      manager: () => database.manager,
      parent: 'ownerId',
      sortBy: 'seq',
      sortKind: 'integer',
      order: 'OLDEST_FIRST',
      filter: { key: (f) => f.kind, where: (f, column) => ({ sql: `${column('kind')} = :kind`, params: { kind: f.kind } }) },
    });
    const ctx = context();
    const before = database.counter.count;
    const [calls, sms] = await Promise.all([pages.load(ctx, { parent: owner(3), filter: { kind: 'CALL' } }), pages.load(ctx, { parent: owner(3), filter: { kind: 'SMS' } })]);
    expect(database.counter.count - before).toBe(2);
    expect(calls.edges.map((e) => e.node.seq)).toEqual([1, 4, 7]);
    expect(sms.edges.map((e) => e.node.seq)).toEqual([2, 3, 5, 6]);
  });

  it('answers a parent without rows with an empty page', async () => {
    const page = await byTime().load(context(), { parent: owner(999) });
    expect(page).toEqual({ edges: [], pageInfo: { hasNextPage: false, endCursor: null } });
  });

  it.each([
    ['not base64 JSON', 'garbage!!'],
    ['a key that is no number', encodeCursor({ k: 'x', id: 'a' })],
    ['a time beyond any date', encodeCursor({ k: 9e15, id: 'a' })],
    ['a fraction', encodeCursor({ k: 1.5, id: 'a' })],
    ['an overlong id', encodeCursor({ k: 1, id: 'x'.repeat(500) })],
  ])('refuses a cursor that is %s as BAD_USER_INPUT on `after`, reading nothing', async (_what, after) => {
    const before = database.counter.count;
    const refused = byTime().load(context(), { parent: owner(1), after });
    await expect(refused).rejects.toBeInstanceOf(DomainError);
    await expect(refused).rejects.toMatchObject({ code: 'BAD_USER_INPUT', options: { field: 'after' } });
    expect(database.counter.count).toBe(before);
  });

  it.each([0, -1, 101, 2.5])('refuses first: %p as BAD_USER_INPUT on `first`', async (first) => {
    await expect(byTime().load(context(), { parent: owner(1), first })).rejects.toMatchObject({ code: 'BAD_USER_INPUT', options: { field: 'first' } });
  });
});

@ObjectType({ description: 'A thing in a list' })
class Thing {
  @Field(() => ID)
  id: string;
}

const ThingConnection = connectionType(Thing, 'Thing');

describe('connectionType: the contract’s Connection/Edge pair for a node type', () => {
  it('makes <Name>Connection { edges pageInfo } and <Name>Edge { cursor node } as the contract spells them', async () => {
    @Resolver()
    class Things {
      @Query(() => ThingConnection)
      things(): InstanceType<typeof ThingConnection> {
        return ThingConnection.from({ edges: [{ cursor: 'c1', node: { id: 't1' } }], pageInfo: { hasNextPage: false, endCursor: 'c1' } }, (row) =>
          Object.assign(new Thing(), row),
        );
      }
    }
    const schema = await buildSchema({ resolvers: [Things], validate: false });
    expect(printType(schema.getType('ThingConnection')!)).toBe('type ThingConnection {\n  edges: [ThingEdge!]!\n  pageInfo: PageInfo!\n}');
    expect(printType(schema.getType('ThingEdge')!)).toBe('type ThingEdge {\n  cursor: String!\n  node: Thing!\n}');
    expect(printType(schema.getType('PageInfo')!)).toContain('hasNextPage: Boolean!');
  });

  it('turns a page of rows into the connection, node by node', () => {
    const connection = ThingConnection.from({ edges: [{ cursor: 'c1', node: { raw: 'a' } }], pageInfo: { hasNextPage: true, endCursor: 'c1' } }, (row) =>
      Object.assign(new Thing(), { id: row.raw.toUpperCase() }),
    );
    expect(connection).toBeInstanceOf(ThingConnection);
    expect(connection.edges[0]).toBeInstanceOf(ThingConnection.Edge);
    expect(connection).toEqual({ edges: [{ cursor: 'c1', node: { id: 'A' } }], pageInfo: { hasNextPage: true, endCursor: 'c1' } });
  });
});
