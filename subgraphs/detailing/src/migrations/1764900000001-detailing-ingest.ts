import { TableColumn } from 'typeorm';
import type { MigrationInterface, QueryRunner } from 'typeorm';
import { columns, createTable } from '@selfcare/shared';

/** Usage ingestion and rating: record revisions and app tags, detailing's view of the lines, the allowance counters, the line-days' charges. */
export class DetailingIngest1764900000001 implements MigrationInterface {
  name = 'DetailingIngest1764900000001';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.addColumns('usage_records', [
      new TableColumn({ name: 'revision', type: 'int', default: 0 }),
      new TableColumn(columns.string('app', 32, { isNullable: true })),
      new TableColumn(columns.string('tariff_version_id', 36, { isNullable: true })),
      new TableColumn(columns.dateTime('period_start', { isNullable: true })),
    ]);
    await createTable(
      queryRunner,
      'usage_lines',
      [
        columns.uuid('subscriber_id', { isPrimary: true }),
        columns.string('msisdn', 16, { isNullable: true }),
        columns.string('login', 64, { isNullable: true }),
        columns.string('kind', 16),
        columns.boolean('ended'),
        columns.dateTime('updated_at'),
      ],
      [{ columns: ['msisdn'] }, { columns: ['login'] }],
    );
    await createTable(queryRunner, 'usage_counters', [
      columns.uuid('subscriber_id', { isPrimary: true }),
      columns.dateTime('period_start', { isPrimary: true }),
      columns.int('minutes'),
      columns.int('sms'),
      columns.int('megabytes'),
      columns.dateTime('updated_at'),
    ]);
    await createTable(
      queryRunner,
      'usage_charge_totals',
      [
        columns.uuid('subscriber_id', { isPrimary: true }),
        columns.string('day', 10, { isPrimary: true }),
        columns.bigint('rated_minor'),
        columns.bigint('posted_minor'),
        columns.int('pending_records'),
        columns.int('postings'),
        columns.boolean('pending'),
        columns.dateTime('last_at'),
        columns.dateTime('updated_at'),
      ],
      [{ columns: ['pending'] }],
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('usage_charge_totals', true);
    await queryRunner.dropTable('usage_counters', true);
    await queryRunner.dropTable('usage_lines', true);
    await queryRunner.dropColumns('usage_records', ['revision', 'app', 'tariff_version_id', 'period_start']);
  }
}
