import { In } from 'typeorm';
import type { Eraser } from '@selfcare/shared';
import { LedgerEntryEntity } from '../accounts/entities';
import { PaymentEntity, PaymentOrigin } from './entities';

const PAYMENT = { KK: 'Картамен төлем', RU: 'Оплата картой', EN: 'Card payment' };
const AUTOPAY = { KK: 'Картамен автотөлем', RU: 'Автоплатёж картой', EN: 'Autopay by card' };

/**
 * terms 2.11: a card payment keeps its ids, amount, status, brand and times (the accounting needs them); the one-time
 * card token, the last 4 digits and the 3-D Secure address go, and so does the card in its ledger entry's text.
 */
export function paymentsEraser(): Eraser {
  return async (manager, subject) => {
    const payments = await manager.find(PaymentEntity, { where: { subscriberId: subject.subscriberId }, select: { id: true, accountId: true, origin: true } });
    await manager.update(PaymentEntity, { subscriberId: subject.subscriberId }, { cardToken: null, cardLast4: null, actionUrl: null });
    for (let i = 0; i < payments.length; i += 200) {
      const chunk = payments.slice(i, i + 200);
      for (const origin of [PaymentOrigin.SUBSCRIBER, PaymentOrigin.AUTOPAY]) {
        const of = chunk.filter((p) => (origin === PaymentOrigin.AUTOPAY) === (p.origin === PaymentOrigin.AUTOPAY));
        if (of.length === 0) continue;
        await manager.update(
          LedgerEntryEntity,
          { accountId: In([...new Set(of.map((p) => p.accountId))]), reference: In(of.map((p) => `payment:${p.id}`)) },
          { description: origin === PaymentOrigin.AUTOPAY ? AUTOPAY : PAYMENT },
        );
      }
    }
  };
}
