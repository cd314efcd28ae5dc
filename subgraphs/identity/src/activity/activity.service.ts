import { sequentialId } from '../features-common';
import type { EntityManager } from 'typeorm';
import type { DomainEvent, GraphQLContext, ServiceName, SubgraphRuntime } from '@selfcare/shared';
import { loadPage, type Page } from '../features-paging';
import { ActivityEntryEntity } from './activity.entities';

/** The subgraphs whose `ActivityRecorded` events make up the rest of the record (2.4: every action). */
export const ACTIVITY_STREAMS: ServiceName[] = ['catalog', 'billing', 'detailing', 'delegation'];

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

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
 * The activity record of a number (2.4, 3.5, 4.3): identity's own entries (ActivityRecorder) and the actions the
 * other subgraphs publish as `ActivityRecorded` events. Stored once per event (the consumer's inbox, and a unique
 * key on stream + event id), served newest first to the owner and to managers.
 */
export class ActivityService {
  constructor(private readonly runtime: SubgraphRuntime) {}

  page(ctx: GraphQLContext, subscriberId: string, first: number | null | undefined, after: string | null | undefined): Promise<Page<ActivityEntryEntity>> {
    return loadPage(ctx, { name: 'activity', entity: ActivityEntryEntity, timeProperty: 'at', manager: () => this.runtime.database.manager }, { subscriberId, first, after });
  }

  registerConsumers(): void {
    for (const stream of ACTIVITY_STREAMS) this.runtime.consume(stream, async (event, manager) => {
        await this.apply(event, manager);
      });
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
    if (typeof p.action !== 'string' || !/^[A-Z][A-Z0-9_]{0,63}$/.test(p.action)) return null;
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
      channel: (p.channel as 'WEB' | 'MOBILE_APP' | undefined) ?? null,
      action: p.action,
      details: typeof p.details === 'string' ? p.details.slice(0, 2000) : null,
      at,
      sourceStream: event.stream,
      sourceEventId: event.id,
    };
  }
}
