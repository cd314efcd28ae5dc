import type { MigrationInterface, QueryRunner } from 'typeorm';
import { columns, createTable } from '@selfcare/shared';

/**
 * Card payments and what is built on them, dialect-neutral: payments (with the reconciliation's state), the provider's
 * webhook events taken, autopay, trust payments, balance transfers (and the attempts the hourly limit counts) and billing's
 * view of the lines (msisdn, language).
 */
export class BillingPayments1764700000000 implements MigrationInterface {
  name = 'BillingPayments1764700000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await createTable(
      queryRunner,
      'payments',
      [
        columns.uuid(),
        columns.uuid('account_id'),
        columns.uuid('subscriber_id'),
        columns.uuid('actor_id', { isNullable: true }),
        columns.boolean('via_management'),
        columns.string('channel', 20, { isNullable: true }),
        columns.string('origin', 20),
        columns.string('idempotency_key', 120),
        columns.string('request_hash', 64),
        columns.bigint('amount_minor'),
        columns.string('currency', 3),
        columns.string('card_token', 100, { isNullable: true }),
        columns.uuid('saved_card_id', { isNullable: true }),
        columns.uuid('save_to_account_id', { isNullable: true }),
        columns.string('status', 20),
        columns.string('failure_code', 40, { isNullable: true }),
        columns.string('provider_charge_id', 64, { isNullable: true }),
        columns.string('action_url', 500, { isNullable: true }),
        columns.string('card_brand', 20, { isNullable: true }),
        columns.string('card_last4', 4, { isNullable: true }),
        columns.int('checks'),
        columns.dateTime('next_check_at', { isNullable: true }),
        columns.dateTime('lease_until', { isNullable: true }),
        columns.dateTime('created_at'),
        columns.dateTime('updated_at'),
        columns.dateTime('completed_at', { isNullable: true }),
      ],
      [
        { columns: ['idempotency_key'], unique: true },
        { columns: ['account_id', 'created_at'] },
        { columns: ['status', 'next_check_at'] },
        { columns: ['provider_charge_id'] },
      ],
    );
    await createTable(queryRunner, 'payment_webhook_events', [
      columns.string('event_id', 64, { isPrimary: true }),
      columns.string('type', 40),
      columns.string('charge_id', 64),
      columns.uuid('payment_id', { isNullable: true }),
      columns.dateTime('received_at'),
    ]);
    await createTable(queryRunner, 'autopay_settings', [
      columns.uuid('account_id', { isPrimary: true }),
      columns.uuid('subscriber_id'),
      columns.uuid('saved_card_id'),
      columns.bigint('threshold_minor'),
      columns.bigint('amount_minor'),
      columns.boolean('enabled'),
      columns.string('failure_code', 40, { isNullable: true }),
      columns.uuid('set_by'),
      columns.dateTime('created_at'),
      columns.dateTime('updated_at'),
    ]);
    await createTable(
      queryRunner,
      'trust_payments',
      [
        columns.uuid(),
        columns.uuid('account_id'),
        columns.uuid('subscriber_id'),
        columns.uuid('open_account_id', { isNullable: true }),
        columns.bigint('amount_minor'),
        columns.bigint('outstanding_minor'),
        columns.string('status', 20),
        columns.uuid('actor_id'),
        columns.dateTime('granted_at'),
        columns.dateTime('expires_at'),
        columns.dateTime('settled_at', { isNullable: true }),
      ],
      [
        { columns: ['account_id', 'granted_at'] },
        { columns: ['status', 'expires_at'] },
        // NULLs never collide: only the open one holds the account's id.
        { columns: ['open_account_id'], unique: true },
      ],
    );
    await createTable(
      queryRunner,
      'balance_transfers',
      [
        columns.uuid(),
        columns.uuid('from_account_id'),
        columns.uuid('from_subscriber_id'),
        columns.uuid('to_account_id'),
        columns.uuid('to_subscriber_id'),
        columns.string('to_msisdn', 16),
        columns.bigint('amount_minor'),
        columns.string('status', 24),
        columns.string('code_hash', 64),
        columns.dateTime('code_expires_at'),
        columns.int('attempts_left'),
        columns.string('failure_code', 40, { isNullable: true }),
        columns.string('idempotency_key', 120),
        columns.string('request_hash', 64),
        columns.uuid('actor_id'),
        columns.boolean('via_management'),
        columns.string('channel', 20, { isNullable: true }),
        columns.dateTime('created_at'),
        columns.dateTime('completed_at', { isNullable: true }),
      ],
      [
        { columns: ['idempotency_key'], unique: true },
        { columns: ['from_account_id', 'created_at'] },
      ],
    );
    await createTable(queryRunner, 'transfer_attempts', [columns.uuid(), columns.uuid('from_account_id'), columns.dateTime('at')], [{ columns: ['from_account_id', 'at'] }]);
    await createTable(
      queryRunner,
      'billing_lines',
      [columns.uuid('subscriber_id', { isPrimary: true }), columns.string('msisdn', 16, { isNullable: true }), columns.string('language', 2), columns.boolean('ended'), columns.dateTime('updated_at')],
      [{ columns: ['msisdn'] }],
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const table of ['billing_lines', 'transfer_attempts', 'balance_transfers', 'trust_payments', 'autopay_settings', 'payment_webhook_events', 'payments']) {
      await queryRunner.dropTable(table, true);
    }
  }
}
