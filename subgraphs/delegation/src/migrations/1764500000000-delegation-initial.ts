import type { MigrationInterface, QueryRunner } from 'typeorm';
import { columns, createTable } from '@selfcare/shared';

/** Delegation schema (terms 5, 4.4), dialect-neutral (SQLite and MariaDB). */
export class DelegationInitial1764500000000 implements MigrationInterface {
  name = 'DelegationInitial1764500000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await createTable(
      queryRunner,
      'management_requests',
      [
        columns.uuid(),
        columns.string('status', 24),
        columns.uuid('requester_id'),
        columns.string('requester_msisdn', 16, { isNullable: true }),
        columns.string('owner_msisdn', 16),
        columns.uuid('owner_id', { isNullable: true }),
        columns.string('channel', 16, { isNullable: true }),
        columns.string('open_key', 64, { isNullable: true }),
        columns.string('confirmation_code_hash', 128, { isNullable: true }),
        columns.dateTime('confirmation_expires_at', { isNullable: true }),
        columns.int('confirmation_failures', { default: 0 }),
        columns.dateTime('confirmed_at', { isNullable: true }),
        columns.string('confirmed_via', 16, { isNullable: true }),
        columns.string('activation_code_hash', 128, { isNullable: true }),
        columns.dateTime('activation_expires_at', { isNullable: true }),
        columns.int('activation_attempts_left', { isNullable: true }),
        columns.dateTime('activated_at', { isNullable: true }),
        columns.dateTime('ended_at', { isNullable: true }),
        columns.uuid('ended_by', { isNullable: true }),
        columns.dateTime('created_at'),
        columns.dateTime('updated_at'),
      ],
      [
        // NULLs never collide, so only open requests are held unique (one per requester and number).
        { columns: ['open_key'], unique: true },
        { columns: ['owner_id', 'status'] },
        { columns: ['requester_id', 'status'] },
        { columns: ['owner_msisdn', 'status'] },
      ],
    );
    await createTable(
      queryRunner,
      'management_request_events',
      [
        columns.autoIncrementId(queryRunner),
        columns.uuid('request_id'),
        columns.string('type', 40),
        columns.uuid('actor_id', { isNullable: true }),
        columns.string('channel', 16, { isNullable: true }),
        columns.text('details', { isNullable: true }),
        columns.dateTime('at'),
      ],
      [{ columns: ['request_id'] }],
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('management_request_events', true);
    await queryRunner.dropTable('management_requests', true);
  }
}
