import type { MigrationInterface, QueryRunner } from 'typeorm';
import { columns, createTable } from '@selfcare/shared';

/** Billing schema, dialect-neutral (SQLite and MariaDB): accounts, the append-only ledger, saved cards. */
export class BillingInitial1764200000000 implements MigrationInterface {
  name = 'BillingInitial1764200000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await createTable(
      queryRunner,
      'accounts',
      [
        columns.uuid(),
        columns.string('number', 20),
        columns.uuid('subscriber_id'),
        columns.string('currency', 3),
        columns.bigint('balance_minor'),
        columns.bigint('credit_limit_minor'),
        columns.int('last_entry_seq'),
        columns.boolean('in_debt'),
        columns.dateTime('created_at'),
        columns.dateTime('updated_at'),
      ],
      [
        { columns: ['number'], unique: true },
        { columns: ['subscriber_id'], unique: true },
      ],
    );
    await createTable(
      queryRunner,
      'ledger_entries',
      [
        columns.uuid(),
        columns.uuid('account_id'),
        columns.int('seq'),
        columns.string('kind', 20),
        columns.bigint('amount_minor'),
        columns.bigint('balance_after_minor'),
        columns.text('description'),
        columns.string('reference', 100, { isNullable: true }),
        columns.dateTime('at'),
      ],
      [
        { columns: ['account_id', 'seq'], unique: true },
        // NULL references never collide; a repeated business key does.
        { columns: ['account_id', 'reference'], unique: true },
      ],
    );
    await createTable(
      queryRunner,
      'saved_cards',
      [
        columns.uuid(),
        columns.uuid('account_id'),
        columns.string('brand', 20),
        columns.string('last4', 4),
        columns.int('exp_month'),
        columns.int('exp_year'),
        columns.string('provider_token', 255),
        columns.dateTime('created_at'),
        columns.dateTime('removed_at', { isNullable: true }),
      ],
      [{ columns: ['account_id'] }],
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('saved_cards', true);
    await queryRunner.dropTable('ledger_entries', true);
    await queryRunner.dropTable('accounts', true);
  }
}
