import { randomUUID } from 'node:crypto';
import { Clock, Database, Texts, demoSubscribers, demoMonthlyFees } from '@selfcare/shared';
import { AccountEntity, LedgerEntryKind, SavedCardEntity } from '../accounts/entities';
import { LedgerService } from '../accounts/ledger-service';

const DAY_MS = 24 * 60 * 60 * 1000;

const demoCards: Record<string, { brand: string; last4: string; expMonth: number; expYear: number }> = {
  '5f1c2a8e-0001-4a6b-9c1d-000000000001': { brand: 'VISA', last4: '4242', expMonth: 12, expYear: 2028 },
  '5f1c2a8e-0003-4a6b-9c1d-000000000003': { brand: 'MASTERCARD', last4: '5454', expMonth: 6, expYear: 2027 },
};

/** The demo accounts' credit limits, as staff would have set them (the legal entity runs on 50 000 KZT of credit). */
const demoCreditLimits: Record<string, number> = {
  '5f1c2a8e-0003-4a6b-9c1d-000000000003': 5_000_000,
};

function monthlyFee(name: string): Texts {
  return { KK: `Абоненттік төлем: ${name}`, RU: `Абонентская плата: ${name}`, EN: `Monthly fee: ${name}` };
}

/**
 * Embedded default only: each demo subscriber's account with a month of history that ends at the demo
 * balance — a top-up, then the tariff's and services' monthly fees — posted through the ledger so its
 * invariants hold. Idempotent: an account that exists is left alone.
 */
export async function seedBillingDemo(database: Database, ledger: LedgerService, clock: Clock): Promise<void> {
  const now = clock.now();
  for (const demo of demoSubscribers) {
    await database.transaction(async (manager) => {
      if (await manager.exists(AccountEntity, { where: { subscriberId: demo.id } })) return;
      const { account } = await ledger.openAccount(manager, { subscriberId: demo.id, kind: demo.kind, partyType: demo.partyType }, { number: demo.accountNumber, creditLimitMinor: demoCreditLimits[demo.id] ?? 0 });
      const charges = [demo.tariffCode, ...demo.serviceCodes].map((code) => {
        const fee = demoMonthlyFees[code];
        if (!fee) throw new Error(`no demo monthly fee for ${code}`);
        return { amountMinor: -fee.minor, description: monthlyFee(fee.name) };
      });
      const topUp = demo.balanceMinor - charges.reduce((sum, c) => sum + c.amountMinor, 0);
      const card = demoCards[demo.id];
      await ledger.post(manager, account.id, {
        kind: LedgerEntryKind.PAYMENT,
        amountMinor: topUp,
        description: card
          ? { KK: `${card.brand} •${card.last4} картасымен төлем`, RU: `Оплата картой ${card.brand} •${card.last4}`, EN: `Card payment ${card.brand} •${card.last4}` }
          : { KK: 'Терминал арқылы төлем', RU: 'Оплата через терминал', EN: 'Payment at a terminal' },
        reference: `demo:topup:${demo.id}`,
        at: new Date(now.getTime() - 28 * DAY_MS),
      });
      let n = 0;
      for (const charge of charges) {
        await ledger.post(manager, account.id, {
          kind: LedgerEntryKind.CHARGE,
          amountMinor: charge.amountMinor,
          description: charge.description,
          reference: `demo:fee:${demo.id}:${n}`,
          at: new Date(now.getTime() - 25 * DAY_MS + n * 60_000),
        });
        n += 1;
      }
      if (card) {
        await manager.insert(SavedCardEntity, {
          id: randomUUID(),
          accountId: account.id,
          ...card,
          providerToken: `tok_demo_${card.last4}`,
          createdAt: new Date(now.getTime() - 28 * DAY_MS),
          removedAt: null,
        });
      }
    });
  }
}
