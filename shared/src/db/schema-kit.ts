import { Column, ColumnOptions, EntityManager, QueryRunner, Table, TableColumnOptions, TableIndex } from 'typeorm';
import { minorUnitsTransformer } from '../domain/money';

/**
 * Migrations are written once, with TypeORM's Table API, and run on both SQLite (embedded default)
 * and MariaDB/MySQL (distributed mode). These helpers pick the right column type per driver.
 */
export function isSqlite(queryRunner: QueryRunner): boolean {
  return queryRunner.connection.driver.options.type === 'better-sqlite3' || queryRunner.connection.driver.options.type === 'sqlite';
}

export const columns = {
  uuid: (name = 'id', options: Partial<TableColumnOptions> = {}): TableColumnOptions => ({
    name,
    type: 'varchar',
    length: '36',
    ...(name === 'id' ? { isPrimary: true } : {}),
    ...options,
  }),
  autoIncrementId: (queryRunner: QueryRunner, name = 'id'): TableColumnOptions => ({
    name,
    type: isSqlite(queryRunner) ? 'integer' : 'bigint',
    isPrimary: true,
    isGenerated: true,
    generationStrategy: 'increment',
  }),
  string: (name: string, length = 255, options: Partial<TableColumnOptions> = {}): TableColumnOptions => ({
    name,
    type: 'varchar',
    length: String(length),
    ...options,
  }),
  text: (name: string, options: Partial<TableColumnOptions> = {}): TableColumnOptions => ({ name, type: 'text', ...options }),
  int: (name: string, options: Partial<TableColumnOptions> = {}): TableColumnOptions => ({ name, type: 'int', ...options }),
  bigint: (name: string, options: Partial<TableColumnOptions> = {}): TableColumnOptions => ({ name, type: 'bigint', ...options }),
  boolean: (name: string, options: Partial<TableColumnOptions> = {}): TableColumnOptions => ({ name, type: 'boolean', ...options }),
  dateTime: (name: string, options: Partial<TableColumnOptions> = {}): TableColumnOptions => ({
    name,
    type: 'datetime',
    precision: 3,
    ...options,
  }),
};

export async function createTable(
  queryRunner: QueryRunner,
  name: string,
  tableColumns: TableColumnOptions[],
  indices: { columns: string[]; unique?: boolean; name?: string }[] = [],
): Promise<void> {
  await queryRunner.createTable(
    new Table({
      name,
      columns: tableColumns,
      indices: indices.map(
        (index) =>
          new TableIndex({
            name: index.name ?? `${index.unique ? 'uq' : 'ix'}_${name}_${index.columns.join('_')}`.slice(0, 64),
            columnNames: index.columns,
            isUnique: index.unique ?? false,
          }),
      ),
    }),
    true,
  );
}

/** Entity-side counterparts of the migration helpers. */
export function DateTimeColumn(options: ColumnOptions = {}): PropertyDecorator {
  return Column({ type: 'datetime', precision: 3, ...options } as ColumnOptions);
}

/** A DATETIME(3) value for plain SQL: UTC 'YYYY-MM-DD HH:MM:SS.SSS', as both drivers store it (MariaDB's connection runs in UTC). */
export function sqlDateTime(date: Date): string {
  return date.toISOString().replace('T', ' ').replace('Z', '');
}

/**
 * Rows in one multi-row INSERT with plain placeholders (`suffix`: an ON DUPLICATE KEY / ON CONFLICT clause). TypeORM's
 * insert builder spent more CPU on a batch's parameters than the database on its rows (bench/detailing.js,
 * bench/subscriptions.js). `rows[i]` holds the values of `columns` in order; dates as `sqlDateTime`, JSON as text.
 */
export async function insertRows(manager: EntityManager, table: string, columns: readonly string[], rows: readonly (readonly unknown[])[], suffix = ''): Promise<void> {
  if (rows.length === 0) return;
  const tuple = `(${columns.map(() => '?').join(', ')})`;
  await manager.query(`INSERT INTO ${table} (${columns.join(', ')}) VALUES ${rows.map(() => tuple).join(', ')}${suffix ? ` ${suffix}` : ''}`, rows.flat());
}

export function MoneyColumn(options: ColumnOptions = {}): PropertyDecorator {
  return Column({ type: 'bigint', transformer: minorUnitsTransformer, ...options } as ColumnOptions);
}

/** BIGINT ids come back as strings from mysql2; keep them numbers (they stay far below 2^53). */
export const bigintNumberTransformer = {
  to: (value: number | undefined) => value,
  from: (value: string | number | null) => (value === null ? null : Number(value)),
};
