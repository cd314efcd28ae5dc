import type { EntityManager } from 'typeorm';
import { AccessPolicy, Clock, ContractOutbox, Database, ErrorCode, GraphQLContext, Logger, badInput, billingEvents, requireSubscriber, isUuid } from '@selfcare/shared';
import { BillingError } from '../errors';
import { AccountEntity, SavedCardEntity } from '../accounts/entities';
import type { CardProviderClient } from '../payments/provider';
import { cardLabel, fill } from '../payments/texts';
import type { AfterCommit } from '../payments/after-commit';

/** What else goes when a card goes (autopay on it). */
export interface CardRemovalListener {
  removed(manager: EntityManager, card: SavedCardEntity): Promise<void>;
}

/**
 * Saved cards: the provider's reusable token and the card's display data (brand, last 4, expiry) — never the number.
 * Cards are saved by a payment with `saveCard`; removing one stops billing from using it and asks the provider to
 * forget it.
 */
export class CardService {
  private readonly listeners: CardRemovalListener[] = [];

  constructor(
    private readonly database: Database,
    private readonly accessPolicy: AccessPolicy,
    private readonly outbox: ContractOutbox<typeof billingEvents>,
    private readonly provider: CardProviderClient,
    private readonly afterCommit: AfterCommit,
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {}

  onRemoved(listener: CardRemovalListener): void {
    this.listeners.push(listener);
  }

  async remove(ctx: GraphQLContext, cardId: string): Promise<boolean> {
    const caller = requireSubscriber(ctx);
    if (!isUuid(cardId)) throw badInput('id');
    const found = await this.database.manager.findOne(SavedCardEntity, { where: { id: cardId } });
    const account = found ? await this.database.manager.findOne(AccountEntity, { where: { id: found.accountId } }) : null;
    if (!found || !account || found.removedAt) throw new BillingError(ErrorCode.NOT_FOUND, { field: 'id' });
    const access = await this.accessPolicy.assertMayManage(ctx, account.subscriberId);
    const removed = await this.database.transaction(async (manager) => {
      const card = await manager.findOne(SavedCardEntity, { where: { id: cardId }, lock: this.database.lockMode });
      if (!card || card.removedAt) return null;
      card.removedAt = this.clock.now();
      await manager.update(SavedCardEntity, { id: card.id }, { removedAt: card.removedAt });
      for (const listener of this.listeners) await listener.removed(manager, card);
      const label = cardLabel(card.brand, card.last4);
      const details = fill({ KK: '{card} картасы жойылды', RU: 'Карта {card} удалена', EN: 'Card {card} removed' }, { card: label });
      await this.outbox.add(manager, 'ActivityRecorded', {
        subscriberId: account.subscriberId,
        actorId: caller.subscriberId,
        actorKind: 'SUBSCRIBER',
        viaManagement: access.viaManagement,
        channel: caller.channel,
        action: 'CARD_REMOVED',
        details: details.EN,
        detailTexts: details,
        at: this.clock.now().toISOString(),
      });
      // Forgotten at the provider too, once this is committed; if it cannot be done now, billing never uses the token again anyway.
      this.afterCommit.add(manager, () => {
        void this.provider.detach(card.providerToken).then((done) => {
          if (!done) this.logger.warn({ card: card.id }, 'the card provider did not forget a removed card now');
        });
      });
      return card;
    });
    if (!removed) throw new BillingError(ErrorCode.NOT_FOUND, { field: 'id' });
    return true;
  }
}
