import 'reflect-metadata';
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { DataSource, DataSourceOptions, EntityManager, Logger as TypeOrmLogger, MixedList, QueryRunner } from 'typeorm';
import type { Logger } from '../logging/logger';
import type { Class } from '../types';

export type Dialect = 'sqlite' | 'mariadb';

export interface DatabaseOptions {
  /** The owning service, e.g. "identity": names logs and metrics. */
  service: string;
  /** sqlite:./data/identity.sqlite, sqlite::memory:, mysql://user:pass@host:3306/db or mariadb://… */
  url: string;
  entities: MixedList<Class | string>;
  migrations: MixedList<Class | string>;
  logger?: Logger;
  /** Run pending migrations when opening (the embedded default); distributed mode runs `npm run migrate` instead. */
  migrateOnOpen?: boolean;
  poolSize?: number;
}

/** Counts SQL statements, so tests and the benchmark can prove there is no N+1. */
export class StatementCounter implements TypeOrmLogger {
  count = 0;
  constructor(private readonly logger?: Logger) {}
  logQuery(query: string): void {
    if (query === 'START TRANSACTION' || query === 'BEGIN TRANSACTION' || query === 'BEGIN IMMEDIATE' || query === 'COMMIT' || query === 'ROLLBACK' || query === READ_COMMITTED_SESSION) return;
    this.count += 1;
  }
  logQueryError(error: string | Error, query: string): void {
    this.logger?.warn({ err: error, query }, 'SQL statement failed');
  }
  logQuerySlow(time: number, query: string): void {
    this.logger?.warn({ time, query }, 'slow SQL statement');
  }
  logSchemaBuild(): void {}
  logMigration(message: string): void {
    this.logger?.info(message);
  }
  log(level: 'log' | 'info' | 'warn', message: unknown): void {
    if (level === 'warn') this.logger?.warn({ message }, 'typeorm');
  }
}

/** Once per pooled MariaDB connection (not counted: set-up, not work); see Database.transaction. */
const READ_COMMITTED_SESSION = 'SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED';

export function dialectOf(url: string): Dialect {
  if (url.startsWith('sqlite:')) return 'sqlite';
  if (url.startsWith('mysql://') || url.startsWith('mariadb://')) return 'mariadb';
  throw new Error(`unsupported database URL: ${url.split(':')[0]}:`);
}

export function dataSourceOptions(options: DatabaseOptions, counter: StatementCounter): DataSourceOptions {
  const dialect = dialectOf(options.url);
  const common = {
    entities: options.entities,
    migrations: options.migrations,
    migrationsTableName: 'schema_migrations',
    synchronize: false,
    logging: ['query', 'error', 'warn', 'migration'] as ('query' | 'error' | 'warn' | 'migration')[],
    logger: counter,
    maxQueryExecutionTime: 500,
  };
  if (dialect === 'sqlite') {
    const location = options.url.slice('sqlite:'.length);
    // An empty path would silently keep everything in memory: ask for it by name (sqlite::memory:).
    if (location === '') throw new Error(`${options.service}: the sqlite: URL needs a file path, or :memory:`);
    const database = location === ':memory:' ? ':memory:' : resolve(location);
    if (database !== ':memory:') mkdirSync(dirname(database), { recursive: true });
    return {
      ...common,
      type: 'better-sqlite3',
      database,
      // WAL lets readers go on while the single writer commits; foreign keys are off by default in SQLite.
      prepareDatabase: (db: { pragma(source: string): unknown }) => {
        db.pragma('journal_mode = WAL');
        db.pragma('synchronous = NORMAL');
        db.pragma('foreign_keys = ON');
        db.pragma('busy_timeout = 5000');
      },
    };
  }
  const url = new URL(options.url);
  return {
    ...common,
    // "mariadb", not "mysql": with "mysql" TypeORM diffs json columns forever on MariaDB.
    type: 'mariadb',
    host: url.hostname,
    port: Number(url.port || 3306),
    username: decodeURIComponent(url.username || 'root'),
    password: decodeURIComponent(url.password),
    database: url.pathname.replace(/^\//, ''),
    timezone: 'Z',
    charset: 'utf8mb4_unicode_ci',
    poolSize: options.poolSize ?? 10,
    bigNumberStrings: true,
    supportBigNumbers: true,
    dateStrings: false,
  };
}

/**
 * A service's own database. Writes go through `transaction`, which on SQLite is serialized here:
 * SQLite has no row locks and TypeORM shares one connection between all transactions there.
 */
export class Database {
  readonly dialect: Dialect;
  readonly counter: StatementCounter;
  readonly dataSource: DataSource;
  private writeQueue: Promise<unknown> = Promise.resolve();
  /** MariaDB connections of the pool already in READ COMMITTED for their whole session. */
  private readonly readCommitted = new WeakSet<object>();
  /** Migrations applied by `open()` (migrateOnOpen). */
  appliedOnOpen: string[] = [];

  constructor(readonly options: DatabaseOptions) {
    this.dialect = dialectOf(options.url);
    this.counter = new StatementCounter(options.logger);
    this.dataSource = new DataSource(dataSourceOptions(options, this.counter));
  }

  get manager(): EntityManager {
    return this.dataSource.manager;
  }

  async open(): Promise<this> {
    if (this.dialect === 'mariadb') await ensureMariaDbDatabase(this.options.url);
    await this.dataSource.initialize();
    if (this.options.migrateOnOpen) {
      this.appliedOnOpen = (await this.dataSource.runMigrations({ transaction: 'each' })).map((m) => m.name);
    } else if (await this.dataSource.showMigrations()) {
      throw new Error(`${this.options.service}: the database has pending migrations; run \`npm run migrate\` first`);
    }
    return this;
  }

  async close(): Promise<void> {
    await this.writeQueue.catch(() => undefined);
    if (this.dataSource.isInitialized) await this.dataSource.destroy();
  }

  async ping(): Promise<void> {
    await this.dataSource.query('SELECT 1');
  }

  /**
   * Runs `work` in one transaction. On MariaDB it uses READ COMMITTED plus the row locks the
   * work takes (`lock: { mode: 'pessimistic_write' }`); on SQLite transactions run one at a time.
   */
  transaction<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    if (this.dialect === 'mariadb') return this.readCommittedTransaction(work);
    const run = this.writeQueue.then(() => this.immediateTransaction(work));
    this.writeQueue = run.catch(() => undefined);
    return run;
  }

  /**
   * MariaDB: the isolation level is set once per connection for its session, not before every transaction as
   * TypeORM's `transaction('READ COMMITTED', …)` does — a statement and a round trip less per transaction, about a
   * tenth of billing's statements at 1,000 postings a second (bench/subscriptions.js). A connection the pool opens
   * anew (after a restart of the server, say) is a new object, so it is set again.
   */
  private readCommittedTransaction<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    return this.inTransaction(async (runner) => {
      const connection = (await runner.connect()) as object;
      if (!this.readCommitted.has(connection)) {
        await runner.query(READ_COMMITTED_SESSION);
        this.readCommitted.add(connection);
      }
      await runner.startTransaction();
    }, work);
  }

  /**
   * SQLite: BEGIN IMMEDIATE takes the write lock up front, waiting up to busy_timeout for another process's writer.
   * TypeORM's deferred BEGIN would read first and fail at once with "database is locked" when it then writes after
   * another process committed (SQLite cannot wait in that case), e.g. a CLI or a second replica on the same file.
   */
  private immediateTransaction<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    return this.inTransaction(async (runner) => {
      await runner.query('BEGIN IMMEDIATE');
      // TypeORM's own bookkeeping, so saves inside join this transaction and nested ones use savepoints.
      Object.assign(runner, { isTransactionActive: true, transactionDepth: 1 });
    }, work);
  }

  /** A query runner of its own: `begin` opens the transaction, `work` runs in it, then commit (or roll back) and release. */
  private async inTransaction<T>(begin: (runner: QueryRunner) => Promise<void>, work: (manager: EntityManager) => Promise<T>): Promise<T> {
    const runner = this.dataSource.createQueryRunner();
    try {
      await begin(runner);
      try {
        const result = await work(runner.manager);
        await runner.commitTransaction();
        return result;
      } catch (error) {
        await runner.rollbackTransaction().catch(() => undefined);
        throw error;
      }
    } finally {
      await runner.release();
    }
  }

  /** Locking read inside a transaction; SQLite serializes transactions instead, so it needs none. */
  get lockMode(): { mode: 'pessimistic_write' } | undefined {
    return this.dialect === 'mariadb' ? { mode: 'pessimistic_write' } : undefined;
  }

  isDuplicateKey(error: unknown): boolean {
    const e = error as { code?: string; driverError?: { code?: string }; message?: string };
    const code = e?.driverError?.code ?? e?.code;
    return code === 'ER_DUP_ENTRY' || code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
  }
}

/** MariaDB: the service creates its own database on first start, so one server can hold all five. */
async function ensureMariaDbDatabase(url: string): Promise<void> {
  const parsed = new URL(url);
  const name = parsed.pathname.replace(/^\//, '');
  if (!/^[A-Za-z0-9_]+$/.test(name)) throw new Error(`database name "${name}" must be letters, digits and underscores`);
  const mysql = await import('mysql2/promise');
  const connection = await mysql.createConnection({
    host: parsed.hostname,
    port: Number(parsed.port || 3306),
    user: decodeURIComponent(parsed.username || 'root'),
    password: decodeURIComponent(parsed.password),
  });
  try {
    await connection.query(`CREATE DATABASE IF NOT EXISTS \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
  } finally {
    await connection.end();
  }
}
