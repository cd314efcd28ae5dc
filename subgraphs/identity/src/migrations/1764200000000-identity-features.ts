import { MigrationInterface, QueryRunner } from 'typeorm';
import { columns, createTable } from '@selfcare/shared';

/** The version of the terms of use installed with the system, so `currentTerms` (terms 6.6) always has an answer. */
export const INITIAL_TERMS = { version: '2024.1', url: 'https://beeline.kz/ru/customers/beeline-app/terms', publishedAt: '2024-01-01T00:00:00.000Z' };

/**
 * Tables of the identity features: consents and their history (terms 2.11–2.14, 6.4), Ashyq data (terms 2.13/2.14),
 * terms versions and acceptances (terms 6.1, 6.2, 6.6), in-cabinet notifications and broadcast jobs (terms 2.8),
 * the activity record (terms 2.4, 3.5, 4.3) and link-signing keys (terms 6.4). Runs after the core's `subscribers` table.
 */
export class IdentityFeatures1764200000000 implements MigrationInterface {
  name = 'IdentityFeatures1764200000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await createTable(
      queryRunner,
      'consents',
      [
        columns.uuid(),
        columns.uuid('subscriber_id'),
        columns.string('purpose', 24),
        columns.boolean('granted'),
        columns.dateTime('changed_at'),
        columns.string('terms_version', 32, { isNullable: true }),
      ],
      [{ columns: ['subscriber_id', 'purpose'], unique: true }],
    );
    await createTable(
      queryRunner,
      'consent_history',
      [
        columns.uuid(),
        columns.uuid('subscriber_id'),
        columns.string('purpose', 24),
        columns.boolean('granted'),
        columns.uuid('actor_id', { isNullable: true }),
        columns.string('actor_kind', 16),
        columns.string('channel', 16, { isNullable: true }),
        columns.string('source', 32),
        columns.string('terms_version', 32, { isNullable: true }),
        columns.dateTime('at'),
      ],
      [{ columns: ['subscriber_id', 'at'] }],
    );
    await createTable(
      queryRunner,
      'ashyq_records',
      [columns.uuid(), columns.uuid('subscriber_id'), columns.string('kind', 64), columns.text('payload'), columns.dateTime('received_at')],
      [{ columns: ['subscriber_id'] }],
    );
    await createTable(
      queryRunner,
      'terms_versions',
      [
        columns.uuid(),
        columns.string('version', 32),
        columns.int('ordinal'),
        columns.string('url', 500),
        columns.dateTime('published_at'),
        columns.uuid('published_by', { isNullable: true }),
      ],
      [
        { columns: ['version'], unique: true },
        { columns: ['ordinal'], unique: true },
      ],
    );
    await createTable(
      queryRunner,
      'terms_acceptances',
      [
        columns.uuid(),
        columns.uuid('subscriber_id'),
        columns.string('version', 32),
        columns.dateTime('accepted_at'),
        columns.string('channel', 16, { isNullable: true }),
        columns.string('method', 16),
      ],
      [{ columns: ['subscriber_id', 'version'], unique: true }],
    );
    await createTable(
      queryRunner,
      'cabinet_notifications',
      [
        columns.uuid(),
        columns.uuid('subscriber_id'),
        columns.string('dedupe_key', 80),
        columns.string('title', 200),
        columns.text('body'),
        columns.dateTime('created_at'),
        columns.dateTime('read_at', { isNullable: true }),
      ],
      [
        { columns: ['subscriber_id', 'dedupe_key'], unique: true },
        { columns: ['subscriber_id', 'created_at'] },
      ],
    );
    await createTable(
      queryRunner,
      'notice_broadcasts',
      [
        columns.uuid(),
        columns.string('purpose', 16),
        columns.string('title', 200),
        columns.text('body'),
        columns.string('kind_filter', 16, { isNullable: true }),
        columns.boolean('by_email'),
        columns.boolean('by_sms'),
        columns.string('terms_version', 32, { isNullable: true }),
        columns.uuid('created_by', { isNullable: true }),
        columns.dateTime('created_at'),
        columns.string('status', 16),
        columns.uuid('last_subscriber_id', { isNullable: true }),
        columns.int('delivered'),
        columns.int('emailed'),
        columns.int('texted'),
        columns.uuid('lease_owner', { isNullable: true }),
        columns.dateTime('lease_until', { isNullable: true }),
        columns.dateTime('started_at', { isNullable: true }),
        columns.dateTime('finished_at', { isNullable: true }),
      ],
      [{ columns: ['status'] }],
    );
    await createTable(
      queryRunner,
      'activity_entries',
      [
        columns.uuid(),
        columns.uuid('subscriber_id'),
        columns.uuid('actor_id', { isNullable: true }),
        columns.string('actor_kind', 16),
        columns.boolean('via_management'),
        columns.string('channel', 16, { isNullable: true }),
        columns.string('action', 64),
        columns.text('details', { isNullable: true }),
        columns.dateTime('at'),
        columns.string('source_stream', 40),
        columns.bigint('source_event_id', { isNullable: true }),
      ],
      [
        { columns: ['subscriber_id', 'at'] },
        { columns: ['source_stream', 'source_event_id'], unique: true },
      ],
    );
    await createTable(queryRunner, 'link_secrets', [
      columns.string('name', 40, { isPrimary: true }),
      columns.string('secret', 128),
      columns.dateTime('created_at'),
    ]);
    // A constant row, written as the same literal both dialects read as UTC ('YYYY-MM-DD HH:MM:SS.mmm').
    await queryRunner.query(
      `INSERT INTO terms_versions (id, version, ordinal, url, published_at, published_by) VALUES ('00000000-7e57-4000-8000-000000000001', '${INITIAL_TERMS.version}', 1, '${INITIAL_TERMS.url}', '2024-01-01 00:00:00.000', NULL)`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const table of [
      'link_secrets',
      'activity_entries',
      'notice_broadcasts',
      'cabinet_notifications',
      'terms_acceptances',
      'terms_versions',
      'ashyq_records',
      'consent_history',
      'consents',
    ]) {
      await queryRunner.dropTable(table, true);
    }
  }
}
