import type { MigrationInterface, QueryRunner } from 'typeorm';
import { columns, createTable } from '@selfcare/shared';

/** Charges from orders (refusals kept per reference) and the periodic-fee run's days. New tables only. */
export class BillingCharges1764650000000 implements MigrationInterface {
  name = 'BillingCharges1764650000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await createTable(queryRunner, 'refused_charges', [
      columns.uuid('account_id', { isPrimary: true }),
      columns.string('reference', 100, { isPrimary: true }),
      columns.bigint('amount_minor'),
      columns.bigint('balance_minor'),
      columns.bigint('credit_limit_minor'),
      columns.dateTime('created_at'),
    ]);
    await createTable(queryRunner, 'fee_runs', [
      columns.string('day', 10, { isPrimary: true }),
      columns.uuid('after_subscriber_id', { isNullable: true }),
      columns.int('lines'),
      columns.int('charged'),
      columns.bigint('amount_minor'),
      columns.boolean('skipped'),
      columns.uuid('lease_owner', { isNullable: true }),
      columns.dateTime('lease_until', { isNullable: true }),
      columns.dateTime('started_at'),
      columns.dateTime('completed_at', { isNullable: true }),
    ]);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('fee_runs', true);
    await queryRunner.dropTable('refused_charges', true);
  }
}
