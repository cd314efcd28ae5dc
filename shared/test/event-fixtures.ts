import { randomBytes } from 'node:crypto';
import { Column, Entity, EntityManager, MigrationInterface, PrimaryColumn, PrimaryGeneratedColumn, QueryRunner } from 'typeorm';
import pino from 'pino';
import {
  Database,
  DomainEvent,
  EventTablesMigration,
  InboxEventEntity,
  OutboxEventEntity,
  ServiceMetrics,
  columns,
  createTable,
} from '../src';
import { createTestDatabase, TestDatabase } from '../src/testing/databases';

/** A change the producer makes (the event reports it). */
@Entity({ name: 'test_changes' })
export class TestChange {
  @PrimaryColumn('varchar', { length: 36 })
  id: string;

  @Column('varchar', { length: 80 })
  label: string;
}

/**
 * What the consumer applies per event. Deliberately no unique index on the event id: a duplicate
 * application must show up as a second row, not be hidden by a constraint.
 */
@Entity({ name: 'test_applied' })
export class TestApplied {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id: string | number;

  @Column('bigint', { name: 'event_id' })
  eventId: string | number;

  @Column('int', { name: 'burst_index' })
  burstIndex: number;

  @Column('varchar', { length: 80 })
  label: string;
}

export class TestTables1764000000001 implements MigrationInterface {
  name = 'TestTables1764000000001';
  async up(queryRunner: QueryRunner): Promise<void> {
    await createTable(queryRunner, 'test_changes', [columns.uuid(), columns.string('label', 80)]);
    await createTable(queryRunner, 'test_applied', [
      columns.autoIncrementId(queryRunner),
      columns.bigint('event_id'),
      columns.int('burst_index'),
      columns.string('label', 80),
    ]);
  }
  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('test_applied');
    await queryRunner.dropTable('test_changes');
  }
}

export const silentLogger = pino({ level: process.env.LOG_LEVEL === 'debug' ? 'debug' : 'silent' });

export interface OpenedDatabase {
  database: Database;
  close(): Promise<void>;
}

/** A real database (SQLite file, or MariaDB with TEST_DATABASE_URL) with the event tables and the test tables. */
export async function openEventDatabase(service: string): Promise<OpenedDatabase> {
  const test: TestDatabase = await createTestDatabase(service);
  const database = new Database({
    service,
    url: test.url,
    entities: [OutboxEventEntity, InboxEventEntity, TestChange, TestApplied],
    migrations: [EventTablesMigration, TestTables1764000000001],
    migrateOnOpen: true,
  });
  await database.open();
  return {
    database,
    close: async () => {
      await database.close();
      await test.drop();
    },
  };
}

export function metrics(name = 'test'): ServiceMetrics {
  return new ServiceMetrics(name);
}

/** The consumer side of the tests: records each applied event as a row. */
export async function recordApplied(event: DomainEvent, manager: EntityManager): Promise<void> {
  await manager.insert(TestApplied, {
    eventId: event.id,
    burstIndex: Number(event.payload.index ?? -1),
    label: String(event.payload.label ?? ''),
  });
}

export async function appliedIndexes(database: Database): Promise<number[]> {
  const rows = await database.manager.find(TestApplied, { order: { burstIndex: 'ASC' } });
  return rows.map((r) => r.burstIndex);
}

export function uniquePrefix(): string {
  return `test:${process.pid}:${randomBytes(4).toString('hex')}:`;
}

export const range = (n: number) => Array.from({ length: n }, (_, i) => i);
