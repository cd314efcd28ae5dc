import type { EntityManager } from 'typeorm';
import { type DomainEvent, type GraphQLContext, Language, type ServiceName, type SubgraphRuntime } from '@selfcare/shared';
import type { ActorKind, ChannelName } from '../common/actor';
import { sequentialId } from '../common/ids';
import { loadPage, type Page } from '../common/paging';
import { type ActivityDetail, renderDetail } from './activity-details';
import { ActivityEntryEntity } from './activity.entities';

/** The subgraphs whose `ActivityRecorded` events make up the rest of the record (2.4: every action). */
export const ACTIVITY_STREAMS: ServiceName[] = ['catalog', 'billing', 'detailing', 'delegation'];

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const ACTION_PATTERN = /^[A-Z][A-Z0-9_]{0,63}$/;

/** One of identity's own entries. */
export interface ActivityRecord {
  subscriberId: string;
  actorId: string | null;
  actorKind: ActorKind;
  viaManagement: boolean;
  channel: ChannelName | null;
  action: string;
  /** what changed, rendered in each reader's language */
  detail?: ActivityDetail | null;
  /** a text shown as it is in every language (entries that are not identity's own, tests) */
  details?: string | null;
}

interface ActivityPayload {
  subscriberId?: unknown;
  actorId?: unknown;
  actorKind?: unknown;
  viaManagement?: unknown;
  channel?: unknown;
  action?: unknown;
  details?: unknown;
  at?: unknown;
}

/**
 * The activity record of a number (terms 2.4: every action is an amendment of the contract; 3.5: what was done, by
 * whom, through which channel; 4.3: whether through number management). Identity's own entries are written in the
 * caller's transaction, so the record and the change it describes commit together; the other subgraphs' actions
 * arrive as `ActivityRecorded` events, stored once per event (the consumer's inbox, and a unique key on stream +
 * event id). Append-only; served newest first to the owner and to managers.
 */
export class ActivityService {
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
      // The English text as recorded stays with the entry (what the record said at the time, for people and systems).
      details: entry.detail ? renderDetail(entry.detail.code, entry.detail.params, Language.EN) : entry.details ?? null,
      detailCode: entry.detail?.code ?? null,
      detailParams: (entry.detail?.params ?? null) as Record<string, any> | null,
      at: this.runtime.clock.now(),
      sourceStream: 'identity',
      sourceEventId: null,
    });
  }

  page(ctx: GraphQLContext, subscriberId: string, first: number | null | undefined, after: string | null | undefined): Promise<Page<ActivityEntryEntity>> {
    return loadPage(ctx, { name: 'activity', entity: ActivityEntryEntity, timeProperty: 'at', manager: () => this.runtime.database.manager }, { subscriberId, first, after });
  }

  registerConsumers(): void {
    for (const stream of ACTIVITY_STREAMS) {
      this.runtime.consume(stream, async (event, manager) => {
        await this.apply(event, manager);
      });
    }
  }

  /** Stores one `ActivityRecorded` event; other event types of the stream are not ours. Returns whether it stored one. */
  async apply(event: DomainEvent, manager: EntityManager): Promise<boolean> {
    if (event.type !== 'ActivityRecorded') return false;
    const entry = this.parse(event);
    if (!entry) {
      // A malformed event must not block the stream behind it: log it and move on (the inbox marks it seen).
      this.runtime.logger.warn({ stream: event.stream, eventId: event.id }, 'ActivityRecorded event with an invalid payload skipped');
      return false;
    }
    await manager.createQueryBuilder().insert().into(ActivityEntryEntity).values(entry).orIgnore().updateEntity(false).execute();
    return true;
  }

  private parse(event: DomainEvent): ActivityEntryEntity | null {
    const p = event.payload as ActivityPayload;
    if (typeof p.subscriberId !== 'string' || !UUID.test(p.subscriberId)) return null;
    if (p.actorId !== null && p.actorId !== undefined && (typeof p.actorId !== 'string' || !UUID.test(p.actorId))) return null;
    if (typeof p.action !== 'string' || !ACTION_PATTERN.test(p.action)) return null;
    if (p.channel !== null && p.channel !== undefined && p.channel !== 'WEB' && p.channel !== 'MOBILE_APP') return null;
    if (p.details !== null && p.details !== undefined && typeof p.details !== 'string') return null;
    const at = typeof p.at === 'string' ? new Date(p.at) : new Date(event.occurredAt);
    if (Number.isNaN(at.getTime())) return null;
    const actorId = typeof p.actorId === 'string' ? p.actorId : null;
    const actorKind = p.actorKind === 'STAFF' || p.actorKind === 'SYSTEM' || p.actorKind === 'SUBSCRIBER' ? p.actorKind : actorId ? 'SUBSCRIBER' : 'SYSTEM';
    return {
      id: sequentialId(),
      subscriberId: p.subscriberId,
      actorId,
      actorKind,
      viaManagement: p.viaManagement === true,
      channel: (p.channel as ChannelName | undefined) ?? null,
      action: p.action,
      details: typeof p.details === 'string' ? p.details.slice(0, 2000) : null,
      detailCode: null,
      detailParams: null,
      at,
      sourceStream: event.stream,
      sourceEventId: event.id,
    };
  }
}
