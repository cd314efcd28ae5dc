import { MigrationInterface, QueryRunner } from 'typeorm';
import { columns, createTable } from '@selfcare/shared';

/** Client addresses each login was used from successfully (login throttling that cannot lock the owner out). */
export class IdentityKnownAddresses1764300000000 implements MigrationInterface {
  name = 'IdentityKnownAddresses1764300000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await createTable(
      queryRunner,
      'known_login_addresses',
      [columns.string('login_key', 64, { isPrimary: true }), columns.string('address_key', 64, { isPrimary: true }), columns.dateTime('last_success_at')],
      [{ columns: ['last_success_at'] }],
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('known_login_addresses', true);
  }
}
