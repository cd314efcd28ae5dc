import { In, IsNull } from 'typeorm';
import type { Eraser, Logger } from '@selfcare/shared';
import { AccountEntity, SavedCardEntity } from '../accounts/entities';
import type { AfterCommit } from '../payments/after-commit';
import type { CardProviderClient } from '../payments/provider';

/**
 * terms 2.11: the subscriber's saved cards lose the provider's reusable token, the last 4 digits and the expiry; the
 * row (id, brand, dates) stays for the payments that name it. A card still saved is forgotten at the provider too,
 * once the erasure committed (a failure there is logged: billing can no longer use the token anyway).
 */
export function cardsEraser(provider: Pick<CardProviderClient, 'detach'>, afterCommit: AfterCommit, logger: Logger): Eraser {
  return async (manager, subject) => {
    const accounts = await manager.find(AccountEntity, { where: { subscriberId: subject.subscriberId }, select: { id: true } });
    if (accounts.length === 0) return;
    const accountIds = accounts.map((a) => a.id);
    const saved = await manager.find(SavedCardEntity, { where: { accountId: In(accountIds), removedAt: IsNull() } });
    for (const card of saved) {
      if (!card.providerToken) continue;
      const token = card.providerToken;
      afterCommit.add(manager, () => {
        void provider.detach(token).then((done) => {
          if (!done) logger.warn({ card: card.id }, 'the card provider did not forget an erased card now');
        });
      });
    }
    await manager.update(SavedCardEntity, { accountId: In(accountIds), removedAt: IsNull() }, { removedAt: subject.erasedAt });
    await manager.update(SavedCardEntity, { accountId: In(accountIds) }, { providerToken: '', last4: '', expMonth: 0, expYear: 0 });
  };
}
