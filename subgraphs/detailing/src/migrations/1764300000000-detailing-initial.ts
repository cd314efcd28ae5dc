import type { MigrationInterface, QueryRunner } from 'typeorm';
import { columns, createTable } from '@selfcare/shared';

/** Detailing schema, dialect-neutral (SQLite and MariaDB): rated usage records per line. */
export class DetailingInitial1764300000000 implements MigrationInterface {
  name = 'DetailingInitial1764300000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await createTable(
      queryRunner,
      'usage_records',
      [
        columns.uuid(),
        columns.uuid('subscriber_id'),
        columns.string('kind', 10),
        columns.dateTime('started_at'),
        columns.string('direction', 10, { isNullable: true }),
        columns.string('counterparty', 64, { isNullable: true }),
        columns.int('seconds', { isNullable: true }),
        columns.bigint('bytes', { isNullable: true }),
        columns.boolean('roaming'),
        columns.string('roaming_country', 2, { isNullable: true }),
        columns.boolean('zero_rated'),
        columns.bigint('charge_minor'),
        columns.string('allowance_unit', 10, { isNullable: true }),
        columns.int('allowance_used', { isNullable: true }),
        columns.text('description'),
        columns.string('source_ref', 100, { isNullable: true }),
        columns.dateTime('created_at'),
      ],
      [
        // Every read is "one line, one period, newest first".
        { columns: ['subscriber_id', 'started_at'] },
        { columns: ['source_ref'], unique: true },
      ],
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('usage_records', true);
  }
}
