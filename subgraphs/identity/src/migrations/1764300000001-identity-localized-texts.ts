import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Texts in the reader's language: an activity entry keeps its detail as a code and parameters (rendered in kk, ru or
 * en when read; `details` keeps the English text as recorded), a broadcast and a notification their text per language.
 * Nullable columns added in place (no table rebuild on SQLite); rows from before keep their single text.
 */
export class IdentityLocalizedTexts1764300000001 implements MigrationInterface {
  name = 'IdentityLocalizedTexts1764300000001';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE activity_entries ADD COLUMN detail_code VARCHAR(64) NULL');
    await queryRunner.query('ALTER TABLE activity_entries ADD COLUMN detail_params TEXT NULL');
    await queryRunner.query('ALTER TABLE notice_broadcasts ADD COLUMN texts TEXT NULL');
    await queryRunner.query('ALTER TABLE cabinet_notifications ADD COLUMN texts TEXT NULL');
    await queryRunner.query('ALTER TABLE cabinet_notifications ADD COLUMN broadcast_id VARCHAR(36) NULL');
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE cabinet_notifications DROP COLUMN broadcast_id');
    await queryRunner.query('ALTER TABLE cabinet_notifications DROP COLUMN texts');
    await queryRunner.query('ALTER TABLE notice_broadcasts DROP COLUMN texts');
    await queryRunner.query('ALTER TABLE activity_entries DROP COLUMN detail_params');
    await queryRunner.query('ALTER TABLE activity_entries DROP COLUMN detail_code');
  }
}
