import type { EntityManager } from 'typeorm';
import { ErrorCode, EventPayload, SubgraphRuntime, detailingEvents } from '@selfcare/shared';
import { BillingError } from '../errors';
import { AccountEntity, LedgerEntryKind } from '../accounts/entities';
import type { LedgerService, Posting } from '../accounts/ledger-service';

type UsageCharged = EventPayload<typeof detailingEvents, 'UsageCharged'>;

/**
 * Usage charges (terms 2.10): detailing rates each usage record against the line's tariff, sums a line's charges per
 * Almaty day and, once per charge window, sends what was not posted yet in UsageCharged. Each is one ledger entry — a
 * CHARGE, or a REFUND when corrections took more off than was added — timed at the day's latest usage, so the usage
 * of whole Almaty days and the ledger's usage entries in them add up to the same; posted once by
 * `usage:<subscriber>:<day>:<n>` (the inbox skips a redelivered event, the ledger's reference a charge seen twice), an
 * event's charges in one transaction under the account's row lock, BalanceChanged and debt (terms 3.3) following each
 * posting as for any other.
 */
export class UsageCharges {
  constructor(private readonly ledger: LedgerService) {}

  async post(manager: EntityManager, event: UsageCharged): Promise<number> {
    const account = await manager.findOne(AccountEntity, { select: { id: true }, where: { subscriberId: event.subscriberId } });
    // Both follow identity's SubscriberProvisioned: an account not opened yet is there when the event comes again.
    if (!account) throw new BillingError(ErrorCode.NOT_FOUND, { extensions: { subscriberId: event.subscriberId } });
    const postings: Posting[] = event.charges.map((charge) => ({
      kind: charge.amountMinor > 0 ? LedgerEntryKind.CHARGE : LedgerEntryKind.REFUND,
      amountMinor: -charge.amountMinor,
      description: charge.description,
      reference: charge.reference,
      at: new Date(charge.at),
    }));
    const results = await this.ledger.postMany(manager, account.id, postings);
    return results.filter((r) => !r.duplicate).length;
  }
}

/** Billing's part of the usage pipeline: it follows detailing's stream. */
export function consumeUsageCharges(runtime: SubgraphRuntime, ledger: LedgerService): UsageCharges {
  const charges = new UsageCharges(ledger);
  runtime.consume(detailingEvents, {
    UsageCharged: async (event, manager) => {
      await charges.post(manager, event);
    },
  });
  return charges;
}
