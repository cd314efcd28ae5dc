import { randomUUID } from 'node:crypto';
import type { MigrationInterface, QueryRunner } from 'typeorm';
import { columns, createTable } from '@selfcare/shared';

/**
 * Orders and the operator's catalog: product orders, each line's tariff periods (backfilled with one open period
 * per line from its `tariff_since`), the catalog's change log and holder jobs; per-unit rates on tariff versions,
 * obsolete offers, the line's access status, the order that connected a service. Columns are added in place
 * (nullable or with a default), so no table is rebuilt on SQLite and rows from before keep reading.
 */
export class CatalogOrders1764600000000 implements MigrationInterface {
  name = 'CatalogOrders1764600000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query("ALTER TABLE subscriber_lines ADD COLUMN access_status VARCHAR(20) NOT NULL DEFAULT 'ACTIVE'");
    await queryRunner.query('ALTER TABLE subscriber_lines ADD COLUMN terminated_at DATETIME(3) NULL');
    await queryRunner.query('ALTER TABLE connected_services ADD COLUMN order_id VARCHAR(36) NULL');
    await queryRunner.query('ALTER TABLE tariff_plan_versions ADD COLUMN rates TEXT NULL');
    await queryRunner.query('ALTER TABLE tariff_plans ADD COLUMN obsolete_at DATETIME(3) NULL');
    await queryRunner.query('ALTER TABLE services ADD COLUMN obsolete_at DATETIME(3) NULL');

    await createTable(
      queryRunner,
      'tariff_periods',
      [
        columns.uuid(),
        columns.uuid('subscriber_id'),
        columns.uuid('tariff_plan_id'),
        columns.uuid('tariff_version_id'),
        columns.dateTime('starts_at'),
        columns.dateTime('ends_at', { isNullable: true }),
        columns.uuid('order_id', { isNullable: true }),
      ],
      [{ columns: ['subscriber_id', 'starts_at'] }],
    );
    // Every line known so far has been on its tariff since `tariff_since`.
    const lines: { subscriber_id: string; tariff_plan_id: string; tariff_version_id: string; tariff_since: string | Date }[] = await queryRunner.query(
      'SELECT subscriber_id, tariff_plan_id, tariff_version_id, tariff_since FROM subscriber_lines',
    );
    for (let i = 0; i < lines.length; i += 200) {
      const chunk = lines.slice(i, i + 200);
      await queryRunner.query(
        `INSERT INTO tariff_periods (id, subscriber_id, tariff_plan_id, tariff_version_id, starts_at, ends_at, order_id) VALUES ${chunk.map(() => '(?, ?, ?, ?, ?, NULL, NULL)').join(', ')}`,
        chunk.flatMap((line) => [randomUUID(), line.subscriber_id, line.tariff_plan_id, line.tariff_version_id, line.tariff_since]),
      );
    }

    await createTable(
      queryRunner,
      'product_orders',
      [
        columns.uuid(),
        columns.string('kind', 30),
        columns.string('status', 20),
        columns.string('step', 20),
        columns.uuid('subscriber_id'),
        columns.uuid('actor_id'),
        columns.string('actor_kind', 20),
        columns.boolean('via_management'),
        columns.string('channel', 20, { isNullable: true }),
        columns.string('idempotency_key', 200),
        columns.string('request_hash', 64),
        columns.string('offer_kind', 10),
        columns.uuid('offer_id', { isNullable: true }),
        columns.string('offer_code', 40),
        columns.uuid('offer_version_id', { isNullable: true }),
        columns.string('accepted_terms_version', 40),
        columns.bigint('accepted_price_minor', { isNullable: true }),
        columns.bigint('fee_minor'),
        columns.uuid('previous_tariff_plan_id', { isNullable: true }),
        columns.string('failure_code', 40, { isNullable: true }),
        columns.text('failure_details', { isNullable: true }),
        columns.uuid('lease_owner', { isNullable: true }),
        columns.dateTime('lease_until', { isNullable: true }),
        columns.int('attempts'),
        columns.dateTime('created_at'),
        columns.dateTime('updated_at'),
        columns.dateTime('completed_at', { isNullable: true }),
      ],
      [
        { columns: ['actor_id', 'idempotency_key'], unique: true, name: 'uq_product_orders_actor_id_idempotency_key' },
        { columns: ['subscriber_id', 'created_at'] },
        { columns: ['status', 'lease_until'] },
      ],
    );

    await createTable(
      queryRunner,
      'catalog_changes',
      [
        columns.uuid(),
        columns.string('offer_kind', 10),
        columns.uuid('offer_id'),
        columns.string('offer_code', 40),
        columns.string('action', 40),
        columns.uuid('staff_id'),
        columns.string('staff_role', 20),
        columns.string('details', 1000),
        columns.dateTime('at'),
      ],
      [{ columns: ['offer_id', 'at'] }],
    );

    await createTable(
      queryRunner,
      'offer_holder_jobs',
      [
        columns.uuid(),
        columns.string('kind', 30),
        columns.string('offer_kind', 10),
        columns.uuid('offer_id'),
        columns.uuid('version_id', { isNullable: true }),
        columns.uuid('replacement_id', { isNullable: true }),
        columns.uuid('staff_id'),
        columns.uuid('after_subscriber_id', { isNullable: true }),
        columns.int('done'),
        columns.dateTime('lease_until', { isNullable: true }),
        columns.dateTime('created_at'),
        columns.dateTime('finished_at', { isNullable: true }),
      ],
      [{ columns: ['finished_at'] }],
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const table of ['offer_holder_jobs', 'catalog_changes', 'product_orders', 'tariff_periods']) await queryRunner.dropTable(table, true);
    await queryRunner.query('ALTER TABLE services DROP COLUMN obsolete_at');
    await queryRunner.query('ALTER TABLE tariff_plans DROP COLUMN obsolete_at');
    await queryRunner.query('ALTER TABLE tariff_plan_versions DROP COLUMN rates');
    await queryRunner.query('ALTER TABLE connected_services DROP COLUMN order_id');
    await queryRunner.query('ALTER TABLE subscriber_lines DROP COLUMN terminated_at');
    await queryRunner.query('ALTER TABLE subscriber_lines DROP COLUMN access_status');
  }
}
