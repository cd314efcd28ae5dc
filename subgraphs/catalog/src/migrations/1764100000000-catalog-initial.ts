import type { MigrationInterface, QueryRunner } from 'typeorm';
import { columns, createTable } from '@selfcare/shared';

/**
 * Catalog schema, dialect-neutral (SQLite and MariaDB): the managed catalog of tariffs and services with
 * versioned terms and prices (terms 2.2, 2.6), availability rules, and each line's product inventory.
 */
export class CatalogInitial1764100000000 implements MigrationInterface {
  name = 'CatalogInitial1764100000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await createTable(
      queryRunner,
      'tariff_plans',
      [
        columns.uuid(),
        columns.string('code', 40),
        columns.string('kind', 20),
        columns.string('party_type', 20, { isNullable: true }),
        columns.text('name'),
        columns.text('description'),
        columns.boolean('active'),
        columns.int('sort_order'),
        columns.uuid('current_version_id', { isNullable: true }),
        columns.dateTime('created_at'),
        columns.dateTime('updated_at'),
      ],
      [{ columns: ['code'], unique: true }, { columns: ['kind', 'active'] }],
    );
    await createTable(
      queryRunner,
      'tariff_plan_versions',
      [
        columns.uuid(),
        columns.uuid('tariff_plan_id'),
        columns.string('terms_version', 40),
        columns.string('terms_url', 255),
        columns.bigint('monthly_fee_minor'),
        columns.bigint('switch_fee_minor'),
        columns.text('allowances'),
        columns.dateTime('effective_from'),
        columns.dateTime('created_at'),
      ],
      [{ columns: ['tariff_plan_id', 'terms_version'], unique: true, name: 'uq_tariff_plan_versions_plan_terms' }],
    );
    await createTable(
      queryRunner,
      'services',
      [
        columns.uuid(),
        columns.string('code', 40),
        columns.string('category', 40),
        columns.text('name'),
        columns.text('description'),
        columns.boolean('active'),
        columns.int('sort_order'),
        columns.uuid('current_version_id', { isNullable: true }),
        columns.dateTime('created_at'),
        columns.dateTime('updated_at'),
      ],
      [{ columns: ['code'], unique: true }],
    );
    await createTable(
      queryRunner,
      'service_versions',
      [
        columns.uuid(),
        columns.uuid('service_id'),
        columns.string('terms_version', 40),
        columns.string('terms_url', 255),
        columns.bigint('connection_fee_minor'),
        columns.bigint('monthly_fee_minor'),
        columns.dateTime('effective_from'),
        columns.dateTime('created_at'),
      ],
      [{ columns: ['service_id', 'terms_version'], unique: true, name: 'uq_service_versions_service_terms' }],
    );
    await createTable(
      queryRunner,
      'service_rules',
      [
        columns.uuid(),
        columns.uuid('service_id'),
        columns.string('subscriber_kind', 20),
        columns.uuid('tariff_plan_id', { isNullable: true }),
        columns.dateTime('created_at'),
      ],
      [{ columns: ['service_id'] }],
    );
    await createTable(queryRunner, 'service_conflicts', [
      columns.uuid('service_id', { isPrimary: true }),
      columns.uuid('conflicting_service_id', { isPrimary: true }),
      columns.dateTime('created_at'),
    ]);
    await createTable(
      queryRunner,
      'subscriber_lines',
      [
        columns.uuid('subscriber_id', { isPrimary: true }),
        columns.string('kind', 20),
        columns.string('party_type', 20),
        columns.uuid('tariff_plan_id'),
        columns.uuid('tariff_version_id'),
        columns.dateTime('tariff_since'),
        columns.dateTime('created_at'),
        columns.dateTime('updated_at'),
      ],
      [{ columns: ['tariff_plan_id'] }],
    );
    await createTable(
      queryRunner,
      'connected_services',
      [
        columns.uuid(),
        columns.uuid('subscriber_id'),
        columns.uuid('service_id'),
        columns.uuid('service_version_id'),
        columns.dateTime('connected_at'),
        columns.dateTime('disconnected_at', { isNullable: true }),
      ],
      [{ columns: ['subscriber_id', 'disconnected_at'] }],
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const table of ['connected_services', 'subscriber_lines', 'service_conflicts', 'service_rules', 'service_versions', 'services', 'tariff_plan_versions', 'tariff_plans']) {
      await queryRunner.dropTable(table, true);
    }
  }
}
