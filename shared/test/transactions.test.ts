import { usingMariaDb } from '../src/testing/databases';
import { OpenedDatabase, openEventDatabase } from './event-fixtures';

/**
 * Database.transaction: on MariaDB READ COMMITTED, set once per pooled connection for its session rather than
 * before every transaction; on SQLite BEGIN IMMEDIATE, one at a time. A rolled-back transaction leaves the
 * connection usable and nothing written.
 */
describe('Database.transaction', () => {
  let db: OpenedDatabase;
  beforeEach(async () => {
    db = await openEventDatabase('tx');
  });
  afterEach(async () => db.close());

  // tx_isolation: MariaDB 10.x has no transaction_isolation alias yet.
  const isolation = (manager: { query(sql: string): Promise<{ level: string }[]> }) => manager.query('SELECT @@tx_isolation AS level').then((rows) => rows[0]!.level);

  it('runs every transaction in READ COMMITTED on MariaDB with one statement of set-up per connection, not per transaction (SQLite: BEGIN IMMEDIATE, nothing set)', async () => {
    const queries: string[] = [];
    const counter = db.database.counter;
    const logQuery = counter.logQuery.bind(counter);
    counter.logQuery = (query: string) => {
      queries.push(query);
      logQuery(query);
    };
    if (!usingMariaDb()) {
      // SQLite: serializable by nature (one writer), nothing to set; each transaction takes the write lock up front.
      await Promise.all(Array.from({ length: 5 }, () => db.database.transaction((manager) => manager.query('SELECT 1'))));
      expect(queries.filter((q) => q === 'BEGIN IMMEDIATE')).toHaveLength(5);
      expect(queries.filter((q) => q.startsWith('SET '))).toEqual([]);
      return;
    }
    // More transactions than the pool has connections, several at once: each connection is set up once.
    const levels = await Promise.all(Array.from({ length: 30 }, () => db.database.transaction((manager) => isolation(manager))));
    expect(new Set(levels)).toEqual(new Set(['READ-COMMITTED']));
    const setUps = queries.filter((q) => q.startsWith('SET SESSION TRANSACTION ISOLATION')).length;
    expect(setUps).toBeGreaterThan(0);
    expect(setUps).toBeLessThanOrEqual(10);
    expect(queries.filter((q) => q.startsWith('SET TRANSACTION'))).toEqual([]);
    expect(queries.filter((q) => q === 'START TRANSACTION')).toHaveLength(30);
    // Later transactions find their connections set up already.
    queries.length = 0;
    for (let i = 0; i < 5; i += 1) expect(await db.database.transaction((manager) => isolation(manager))).toBe('READ-COMMITTED');
    expect(queries.filter((q) => q.startsWith('SET '))).toEqual([]);
  });

  it('rolls back what a failed transaction wrote and keeps the connection for the next one', async () => {
    await expect(
      db.database.transaction(async (manager) => {
        await manager.query("INSERT INTO test_changes (id, label) VALUES ('00000000-0000-4000-8000-000000000001', 'rolled back')");
        throw new Error('fails');
      }),
    ).rejects.toThrow('fails');
    const rows = await db.database.manager.query("SELECT COUNT(*) AS n FROM test_changes WHERE label = 'rolled back'");
    expect(Number(rows[0].n)).toBe(0);
    if (usingMariaDb()) expect(await db.database.transaction((manager) => isolation(manager))).toBe('READ-COMMITTED');
    await db.database.transaction((manager) => manager.query("INSERT INTO test_changes (id, label) VALUES ('00000000-0000-4000-8000-000000000002', 'kept')"));
    const kept = await db.database.manager.query("SELECT COUNT(*) AS n FROM test_changes WHERE label = 'kept'");
    expect(Number(kept[0].n)).toBe(1);
  });
});
