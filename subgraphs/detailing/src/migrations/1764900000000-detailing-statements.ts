import type { MigrationInterface, QueryRunner } from 'typeorm';
import { columns, createTable, isSqlite } from '@selfcare/shared';

/** Statements (orderStatement) and their rendered files in chunks; dialect-neutral (SQLite and MariaDB). */
export class DetailingStatements1764900000000 implements MigrationInterface {
  name = 'DetailingStatements1764900000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await createTable(
      queryRunner,
      'statements',
      [
        columns.uuid(),
        columns.uuid('subscriber_id'),
        columns.uuid('ordered_by'),
        columns.boolean('via_management'),
        columns.string('format', 3),
        columns.dateTime('period_from'),
        columns.dateTime('period_to'),
        columns.string('language', 2),
        columns.string('status', 10),
        columns.string('failure_code', 40, { isNullable: true }),
        columns.boolean('email_requested'),
        columns.boolean('email_pending'),
        columns.int('open_slot', { isNullable: true }),
        columns.int('version'),
        columns.int('attempts'),
        columns.int('email_attempts'),
        columns.dateTime('next_attempt_at'),
        columns.string('lease_token', 36, { isNullable: true }),
        columns.dateTime('lease_until', { isNullable: true }),
        columns.int('row_count', { isNullable: true }),
        columns.bigint('byte_size', { isNullable: true }),
        columns.dateTime('created_at'),
        columns.dateTime('updated_at'),
      ],
      [
        // The job runner's scan: due jobs by status.
        { columns: ['status', 'next_attempt_at'] },
        // Subscriber.statements: one caller's statements of one number, newest first.
        { columns: ['subscriber_id', 'ordered_by', 'created_at'] },
        // NULLs never collide: only open jobs take a slot.
        { columns: ['ordered_by', 'open_slot'], unique: true },
      ],
    );
    await createTable(queryRunner, 'statement_chunks', [
      columns.uuid('statement_id', { isPrimary: true }),
      columns.int('seq', { isPrimary: true }),
      // MariaDB's BLOB stops at 64 KiB; a chunk is 256 KiB.
      { name: 'data', type: isSqlite(queryRunner) ? 'blob' : 'mediumblob' },
    ]);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('statement_chunks', true);
    await queryRunner.dropTable('statements', true);
  }
}
