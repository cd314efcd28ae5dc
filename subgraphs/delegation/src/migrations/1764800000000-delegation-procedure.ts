import type { MigrationInterface, QueryRunner } from 'typeorm';
import { columns, createTable } from '@selfcare/shared';

/**
 * The procedure of section 5 running: what the offer said and in which language each party is told (terms 5.4, 5.6.3), each
 * subscriber's feed of request changes with its own gapless sequence (the subscriptions, resumable by cursor), and the
 * inbound SMS to 4259 already applied (a redelivered message is applied once, terms 5.6.4), and the requesters' look-ups of
 * numbers (each tells whether a number is Beeline's, so they are limited). Nullable columns added in place.
 */
export class DelegationProcedure1764800000000 implements MigrationInterface {
  name = 'DelegationProcedure1764800000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE management_requests ADD COLUMN offer_version VARCHAR(40) NULL');
    await queryRunner.query('ALTER TABLE management_requests ADD COLUMN owner_language VARCHAR(2) NULL');
    await queryRunner.query('ALTER TABLE management_requests ADD COLUMN requester_language VARCHAR(2) NULL');
    await createTable(
      queryRunner,
      'management_feed',
      [
        columns.autoIncrementId(queryRunner),
        columns.uuid('subscriber_id'),
        columns.int('seq'),
        columns.uuid('request_id'),
        columns.string('kind', 16),
        columns.string('status', 24),
        columns.dateTime('at'),
      ],
      [{ columns: ['subscriber_id', 'seq'], unique: true }],
    );
    await createTable(queryRunner, 'management_feed_heads', [columns.uuid('subscriber_id', { isPrimary: true }), columns.int('last_seq')]);
    await createTable(
      queryRunner,
      'inbound_sms',
      [
        columns.string('id', 128, { isPrimary: true }),
        columns.string('sender', 16, { isNullable: true }),
        columns.string('outcome', 24),
        columns.uuid('request_id', { isNullable: true }),
        columns.dateTime('received_at'),
      ],
      [{ columns: ['received_at'] }],
    );
    await createTable(
      queryRunner,
      'management_lookups',
      [columns.autoIncrementId(queryRunner), columns.uuid('requester_id'), columns.dateTime('at')],
      [{ columns: ['requester_id', 'at'] }, { columns: ['at'] }],
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('management_lookups', true);
    await queryRunner.dropTable('inbound_sms', true);
    await queryRunner.dropTable('management_feed_heads', true);
    await queryRunner.dropTable('management_feed', true);
    await queryRunner.query('ALTER TABLE management_requests DROP COLUMN requester_language');
    await queryRunner.query('ALTER TABLE management_requests DROP COLUMN owner_language');
    await queryRunner.query('ALTER TABLE management_requests DROP COLUMN offer_version');
  }
}
