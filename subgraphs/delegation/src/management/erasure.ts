import { In, IsNull, LessThanOrEqual } from 'typeorm';
import { Eraser, mentionsUntil, msisdnMention } from '@selfcare/shared';
import { InboundSmsEntity, ManagementRequestEntity, ManagementRequestEventEntity } from './entities';
import type { ManagementProcedure } from './procedure';

/** What an erased number reads as in `owner_msisdn` (a required column). */
export const ERASED_MSISDN = '';

/**
 * terms 2.11: the subscriber's management requests, as owner or requester, keep ids, status, the offer's version, the
 * channels and every time (the record of the offer and its acceptance, terms 5.4-5.5) but not the numbers, the code
 * hashes or the history's free details; inbound SMS to 4259 from the number keep outcome and time, not the sender.
 * Requests still open (there should be none: the contract ended years ago) are ended first, as at the contract's end.
 */
export function managementEraser(procedure: Pick<ManagementProcedure, 'contractEnded'>): Eraser {
  return async (manager, subject) => {
    await procedure.contractEnded(manager, subject.subscriberId);
    const owned = await manager.find(ManagementRequestEntity, { where: { ownerId: subject.subscriberId }, select: { id: true, ownerMsisdn: true } });
    const asked = await manager.find(ManagementRequestEntity, { where: { requesterId: subject.subscriberId }, select: { id: true, requesterMsisdn: true } });
    const numbers = new Set<string>();
    for (const row of owned) if (row.ownerMsisdn) numbers.add(row.ownerMsisdn);
    for (const row of asked) if (row.requesterMsisdn) numbers.add(row.requesterMsisdn);
    for (const number of numbers) {
      const mention = msisdnMention(number);
      if (mention) subject.mentions.add(mention);
    }
    const blank = { confirmationCodeHash: null, activationCodeHash: null, openKey: null, updatedAt: subject.erasedAt };
    await manager.update(ManagementRequestEntity, { ownerId: subject.subscriberId }, { ...blank, ownerMsisdn: ERASED_MSISDN });
    await manager.update(ManagementRequestEntity, { requesterId: subject.subscriberId }, { ...blank, requesterMsisdn: null });
    if (numbers.size > 0) {
      // Requests for the number made before identity told whose it was, and the SMS it sent to 4259 — while it was
      // theirs: later ones may be its next holder's.
      const theirs = LessThanOrEqual(mentionsUntil(subject));
      await manager.update(ManagementRequestEntity, { ownerMsisdn: In([...numbers]), ownerId: IsNull(), createdAt: theirs }, { ...blank, ownerMsisdn: ERASED_MSISDN });
      await manager.update(InboundSmsEntity, { sender: In([...numbers]), receivedAt: theirs }, { sender: null });
    }
    const ids = [...new Set([...owned, ...asked].map((r) => r.id))];
    for (let i = 0; i < ids.length; i += 500) {
      await manager.update(ManagementRequestEventEntity, { requestId: In(ids.slice(i, i + 500)) }, { details: null });
    }
  };
}
