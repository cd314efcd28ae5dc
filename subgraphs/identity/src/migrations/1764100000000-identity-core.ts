import { MigrationInterface, QueryRunner } from 'typeorm';
import { columns, createTable } from '@selfcare/shared';

/** The identity core: subscribers, sessions and refresh tokens, staff accounts, rate limits, e-mail verification. */
export class IdentityCore1764100000000 implements MigrationInterface {
  name = 'IdentityCore1764100000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await createTable(
      queryRunner,
      'subscribers',
      [
        columns.uuid(),
        columns.string('kind', 16),
        columns.string('party_type', 16),
        columns.string('msisdn', 16, { isNullable: true }),
        columns.string('login', 64),
        columns.string('language', 2),
        columns.string('email', 254, { isNullable: true }),
        columns.dateTime('email_verified_at', { isNullable: true }),
        columns.string('verified_email', 254, { isNullable: true }),
        columns.text('notify_by'),
        columns.string('access_status', 16),
        columns.string('access_reason', 32, { isNullable: true }),
        columns.dateTime('access_changed_at'),
        columns.boolean('debt_outstanding'),
        columns.boolean('registered'),
        columns.dateTime('registered_at', { isNullable: true }),
        columns.string('password_kdf', 128, { isNullable: true }),
        columns.string('password_hash', 64, { isNullable: true }),
        columns.dateTime('password_set_at', { isNullable: true }),
        columns.string('pending_password_hash', 64, { isNullable: true }),
        columns.dateTime('pending_password_expires_at', { isNullable: true }),
        columns.dateTime('contract_ended_at', { isNullable: true }),
        columns.dateTime('erased_at', { isNullable: true }),
        columns.dateTime('created_at'),
        columns.dateTime('updated_at'),
      ],
      [
        { columns: ['msisdn'], unique: true },
        { columns: ['login'], unique: true },
        { columns: ['verified_email'], unique: true },
        { columns: ['kind', 'id'] },
        { columns: ['access_status'] },
        { columns: ['contract_ended_at'] },
      ],
    );
    await createTable(
      queryRunner,
      'sessions',
      [
        columns.uuid(),
        columns.string('subject_kind', 10),
        columns.uuid('subject_id'),
        columns.string('channel', 16, { isNullable: true }),
        columns.string('device', 200, { isNullable: true }),
        columns.string('client_address', 64, { isNullable: true }),
        columns.dateTime('created_at'),
        columns.dateTime('last_seen_at'),
        columns.dateTime('expires_at'),
        columns.dateTime('ended_at', { isNullable: true }),
        columns.string('end_reason', 32, { isNullable: true }),
      ],
      [{ columns: ['subject_id', 'ended_at'] }],
    );
    await createTable(
      queryRunner,
      'refresh_tokens',
      [
        columns.uuid(),
        columns.uuid('session_id'),
        columns.string('token_hash', 64),
        columns.dateTime('issued_at'),
        columns.dateTime('expires_at'),
        columns.dateTime('rotated_at', { isNullable: true }),
      ],
      [{ columns: ['token_hash'], unique: true }, { columns: ['session_id'] }],
    );
    await createTable(
      queryRunner,
      'staff_accounts',
      [
        columns.uuid(),
        columns.string('login', 64),
        columns.string('role', 16),
        columns.string('password_hash', 200),
        columns.boolean('active'),
        columns.dateTime('created_at'),
        columns.dateTime('updated_at'),
      ],
      [{ columns: ['login'], unique: true }],
    );
    await createTable(
      queryRunner,
      'rate_limits',
      [
        columns.string('bucket_key', 64, { isPrimary: true }),
        columns.dateTime('window_started_at'),
        columns.int('hits'),
        columns.dateTime('locked_until', { isNullable: true }),
        columns.dateTime('updated_at'),
      ],
      [{ columns: ['updated_at'] }],
    );
    await createTable(
      queryRunner,
      'email_verifications',
      [
        columns.uuid(),
        columns.uuid('subscriber_id'),
        columns.string('email', 254),
        columns.dateTime('created_at'),
        columns.dateTime('expires_at'),
        columns.dateTime('used_at', { isNullable: true }),
      ],
      [{ columns: ['subscriber_id'] }],
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const table of ['email_verifications', 'rate_limits', 'staff_accounts', 'refresh_tokens', 'sessions', 'subscribers']) {
      await queryRunner.dropTable(table, true);
    }
  }
}
