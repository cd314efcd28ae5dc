import { Arg, Mutation, Resolver } from 'type-graphql';
import { RequireStaff, badInput } from '@selfcare/shared';
import type { UsageIngest } from './ingest-service';
import { UsageIngestResult, UsageRecordInput, UsageRejection, UsageRejectionReasonEnum } from './types';
import { wireOf } from './wire';

/** Most records one ingestUsage mutation may carry (larger files go through the CSV import). */
export const MAX_MUTATION_RECORDS = 1000;

export function ingestResolvers(ingest: UsageIngest) {
  @Resolver()
  class UsageIngestResolver {
    @Mutation(() => UsageIngestResult, { description: 'Staff: a batch of usage records from the network side, rated and charged (terms 2.1, 2.10)' })
    @RequireStaff('OPERATOR')
    async ingestUsage(@Arg('records', () => [UsageRecordInput]) records: UsageRecordInput[]): Promise<UsageIngestResult> {
      if (records.length > MAX_MUTATION_RECORDS) {
        throw badInput('records', { KK: 'Бір пакетте {max} жазбаға дейін', RU: 'Не более {max} записей в пакете', EN: 'At most {max} records a batch' }, { max: MAX_MUTATION_RECORDS });
      }
      const outcome = await ingest.ingest(records.map(wireOf));
      return Object.assign(new UsageIngestResult(), {
        accepted: outcome.accepted,
        corrected: outcome.corrected,
        duplicates: outcome.duplicates,
        rejected: outcome.rejected.map((r) => Object.assign(new UsageRejection(), { ...r, reason: r.reason as UsageRejectionReasonEnum })),
      });
    }
  }
  return [UsageIngestResolver] as const;
}
