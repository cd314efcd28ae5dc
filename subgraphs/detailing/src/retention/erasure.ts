import { In } from 'typeorm';
import { Eraser, PersonalDataErasure, SubgraphRuntime } from '@selfcare/shared';
import { UsageKind, UsageRecordEntity } from '../usage/entities';
import { StatementChunkEntity, StatementEntity } from '../statements/entities';
import { UsageLineEntity } from '../ingest/entities';

/**
 * terms 2.11 in detailing. On identity's `SubscriberDataErased` every eraser registered here runs in one transaction
 * (the consumer's, with its inbox row: a redelivery is a no-op). A detailing module with a table of its own that keeps
 * personal data (a number, a name, an address, a free text) registers its eraser with `erasure.register(name, eraser)`
 * in index.ts, next to `usage`; an eraser blanks the subject's personal data and keeps what the law needs (ids,
 * amounts, times), is idempotent, and adds to `subject.mentions` any number or e-mail of the subject it found, so the
 * outbox is cleaned of it too. test/e2e/retention-erasure.test.ts reads every table of the database: a new table
 * that keeps the subject's data fails it.
 *
 * What stays, by decision (terms 2.11 is about the subscriber's own data, kept during *their* contract + 3 years):
 * the erased subscriber's number as the counterparty in *another* line's usage records. Those records are the other
 * subscriber's detailing — who they called — which they may read during their own contract and which goes with their
 * own retention; erasing it would falsify their statement. The allow-list of the e2e test names exactly that.
 */
export function createDetailingErasure(runtime: SubgraphRuntime): PersonalDataErasure {
  const erasure = new PersonalDataErasure();
  erasure.register('usage', usageEraser());
  erasure.register('statements', statementsEraser());
  erasure.register('usage_lines', usageLinesEraser());
  erasure.consume(runtime);
  return erasure;
}

/**
 * The subscriber's own usage records keep kind, direction, times, duration, volume, roaming, charge and allowance
 * (billing disputes, the operator's obligations to keep records of services rendered) but not whom they called or
 * texted: the counterparty of a call or SMS is another person's number.
 */
export function usageEraser(): Eraser {
  return async (manager, subject) => {
    await manager.update(UsageRecordEntity, { subscriberId: subject.subscriberId, kind: In([UsageKind.CALL, UsageKind.SMS]) }, { counterparty: null });
  };
}

/**
 * A rendered statement is a copy of the line's detailing (its number, whom it called): the files of the subscriber's
 * line and those the subscriber ordered (nobody else may download them) go, with their rows.
 */
export function statementsEraser(): Eraser {
  return async (manager, subject) => {
    const statements = await manager.find(StatementEntity, {
      select: { id: true },
      where: [{ subscriberId: subject.subscriberId }, { orderedBy: subject.subscriberId }],
    });
    const ids = statements.map((s) => s.id);
    for (let i = 0; i < ids.length; i += 500) {
      const batch = ids.slice(i, i + 500);
      await manager.delete(StatementChunkEntity, { statementId: In(batch) });
      await manager.delete(StatementEntity, { id: In(batch) });
    }
  };
}

/**
 * The rating's copy of the line (identity's events): its number and login go; the row stays, ended, so a late record
 * for the id is refused as an unknown number rather than rated.
 */
export function usageLinesEraser(): Eraser {
  return async (manager, subject) => {
    const line = await manager.findOneBy(UsageLineEntity, { subscriberId: subject.subscriberId });
    if (!line) return;
    if (line.msisdn) subject.mentions.add(line.msisdn);
    await manager.update(UsageLineEntity, { subscriberId: subject.subscriberId }, { msisdn: null, login: null, ended: true });
  };
}
