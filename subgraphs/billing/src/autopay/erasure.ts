import type { Eraser } from '@selfcare/shared';
import { AutopayEntity } from './entities';

/** terms 2.11: an ended contract's autopay is off for good (its card is erased); amounts and dates stay. */
export function autopayEraser(): Eraser {
  return async (manager, subject) => {
    await manager.update(AutopayEntity, { subscriberId: subject.subscriberId }, { enabled: false, updatedAt: subject.erasedAt });
  };
}
