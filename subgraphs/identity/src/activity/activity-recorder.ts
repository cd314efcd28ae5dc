import { sequentialId } from '../features-common';
import type { EntityManager } from 'typeorm';
import type { SubgraphRuntime } from '@selfcare/shared';
import { ActivityEntryEntity } from './activity.entities';

export interface ActivityRecord {
  subscriberId: string;
  actorId: string | null;
  actorKind: 'SUBSCRIBER' | 'STAFF' | 'SYSTEM';
  viaManagement: boolean;
  channel: 'WEB' | 'MOBILE_APP' | null;
  action: string;
  details?: string | null;
}

const ACTION_PATTERN = /^[A-Z][A-Z0-9_]{0,63}$/;

/**
 * Identity's own entries in the activity record (terms 2.4: every action is an amendment of the contract;
 * 3.5: what was done, by whom, through which channel; 4.3: whether through number management).
 * Written in the caller's transaction, so the record and the change it describes commit together. Append-only.
 */
export class ActivityRecorder {
  constructor(private readonly runtime: SubgraphRuntime) {}

  async record(manager: EntityManager, entry: ActivityRecord): Promise<void> {
    if (!ACTION_PATTERN.test(entry.action)) throw new Error(`activity action "${entry.action}" must be UPPER_SNAKE_CASE`);
    await manager.insert(ActivityEntryEntity, {
      id: sequentialId(),
      subscriberId: entry.subscriberId,
      actorId: entry.actorId,
      actorKind: entry.actorKind,
      viaManagement: entry.viaManagement,
      channel: entry.channel,
      action: entry.action,
      details: entry.details ?? null,
      at: this.runtime.clock.now(),
      sourceStream: 'identity',
      sourceEventId: null,
    });
  }
}
