import type { MigrationInterface, QueryRunner } from 'typeorm';
import { columns, createTable } from '@selfcare/shared';

/** The offers' generation (OfferGenerationEntity): one row, starting at 1 so a cache loaded before any change is current. */
export class CatalogOfferGeneration1765100000000 implements MigrationInterface {
  name = 'CatalogOfferGeneration1765100000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await createTable(queryRunner, 'offer_generation', [{ ...columns.int('id'), isPrimary: true }, columns.bigint('generation')]);
    await queryRunner.query('INSERT INTO offer_generation (id, generation) VALUES (1, 1)');
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE offer_generation');
  }
}
