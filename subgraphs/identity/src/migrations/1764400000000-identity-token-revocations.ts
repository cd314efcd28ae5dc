import { MigrationInterface, QueryRunner } from 'typeorm';
import { columns, createTable } from '@selfcare/shared';

/** Token revocations recorded in identity's own database, to restore a revocation store that lost its contents. */
export class IdentityTokenRevocations1764400000000 implements MigrationInterface {
  name = 'IdentityTokenRevocations1764400000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await createTable(
      queryRunner,
      'token_revocations',
      [columns.string('key', 48, { isPrimary: true }), columns.dateTime('revoked_since'), columns.string('code', 32), columns.dateTime('expires_at')],
      [{ columns: ['expires_at'] }],
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('token_revocations', true);
  }
}
