import { In } from 'typeorm';
import { Eraser, msisdnMention } from '@selfcare/shared';
import { LedgerEntryEntity } from '../accounts/entities';
import { TransferEntity } from './entities';
import type { LineDirectory } from './lines';

/** What a number erased from a transfer reads as (the column is required; the API shows it empty). */
export const ERASED_MSISDN = '';

const TRANSFER_OUT = { KK: 'Басқа нөмірге аударым', RU: 'Перевод на другой номер', EN: 'Transfer to another number' };
const TRANSFER_IN = { KK: 'Басқа нөмірден аударым', RU: 'Перевод с другого номера', EN: 'Transfer from another number' };

/** terms 2.11: billing's view of the line knows the number; it goes first and tells the other erasers what it was. */
export function linesEraser(lines: LineDirectory): Eraser {
  return async (manager, subject) => {
    const line = await lines.line(subject.subscriberId, manager);
    const mention = line?.msisdn ? msisdnMention(line.msisdn) : null;
    if (mention) subject.mentions.add(mention);
    await lines.erased(manager, subject.subscriberId);
  };
}

/**
 * terms 2.11: a transfer the subscriber sent or received keeps its ids, amount, status and times (the accounting
 * needs them) but not the numbers: the payee's number is erased from it, and both ledger entries of it lose the
 * number in their text — the other party's entry too, since the number in it is the erased subscriber's.
 */
export function transfersEraser(): Eraser {
  return async (manager, subject) => {
    const transfers = await manager
      .createQueryBuilder(TransferEntity, 't')
      .where('t.fromSubscriberId = :id OR t.toSubscriberId = :id', { id: subject.subscriberId })
      .getMany();
    for (const t of transfers) {
      if (t.toSubscriberId === subject.subscriberId && t.toMsisdn) {
        const mention = msisdnMention(t.toMsisdn);
        if (mention) subject.mentions.add(mention);
      }
    }
    for (let i = 0; i < transfers.length; i += 200) {
      const chunk = transfers.slice(i, i + 200);
      await manager.update(TransferEntity, { id: In(chunk.map((t) => t.id)) }, { toMsisdn: ERASED_MSISDN });
      await manager.update(LedgerEntryEntity, { accountId: In(chunk.map((t) => t.fromAccountId)), reference: In(chunk.map((t) => `transfer:${t.id}:out`)) }, { description: TRANSFER_OUT });
      await manager.update(LedgerEntryEntity, { accountId: In(chunk.map((t) => t.toAccountId)), reference: In(chunk.map((t) => `transfer:${t.id}:in`)) }, { description: TRANSFER_IN });
    }
  };
}
