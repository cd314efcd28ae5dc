import type { EntityManager } from 'typeorm';
import { type ActivityRecorded, type DomainEvent, type GraphQLContext, KeysetPages, Language, type Page, type SubgraphRuntime, billingEvents, catalogEvents, delegationEvents, detailingEvents } from '@selfcare/shared';
import type { ActorKind, ChannelName } from '../common/actor';
import { sequentialId } from '../common/ids';
import { type ActivityDetail, GIVEN_TEXTS, renderDetail } from './activity-details';
import { ActivityEntryEntity } from './activity.entities';

/** The subgraphs whose `ActivityRecorded` events make up the rest of the record (terms 2.4: every action). */
export const ACTIVITY_CONTRACTS = [catalogEvents, billingEvents, detailingEvents, delegationEvents] as const;
export const ACTIVITY_STREAMS = ACTIVITY_CONTRACTS.map((contract) => contract.stream);

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

/**
 * The activity record of a number (terms 2.4: every action is an amendment of the contract; terms 3.5: what was done, by
 * whom, through which channel; terms 4.3: whether through number management). Identity's own entries are written in the
 * caller's transaction, so the record and the change it describes commit together; the other subgraphs' actions
 * arrive as `ActivityRecorded` events, stored once per event (the consumer's inbox, and a unique key on stream +
 * event id). Append-only; served newest first to the owner and to managers.
 */
export class ActivityService {
  /** Newest first by time, then id; one statement however many numbers a request pages. */
  private readonly pages: KeysetPages<ActivityEntryEntity>;

  constructor(private readonly runtime: SubgraphRuntime) {
    this.pages = new KeysetPages({
      name: 'identity.activity',
      entity: ActivityEntryEntity,
      manager: () => runtime.database.manager,
      parent: 'subscriberId',
      sortBy: 'at',
      sortKind: 'timestamp',
      order: 'NEWEST_FIRST',
    });
  }

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
      detailParams: (entry.detail?.params ?? null) as ActivityEntryEntity['detailParams'],
      at: this.runtime.clock.now(),
      sourceStream: 'identity',
      sourceEventId: null,
    });
  }

  page(ctx: GraphQLContext, subscriberId: string, first: number | null | undefined, after: string | null | undefined): Promise<Page<ActivityEntryEntity>> {
    return this.pages.load(ctx, { parent: subscriberId, first, after });
  }

  registerConsumers(): void {
    for (const contract of ACTIVITY_CONTRACTS) {
      this.runtime.consume(contract, { ActivityRecorded: (payload, manager, event) => this.store(payload, event, manager) });
    }
  }

  /** Stores one `ActivityRecorded` event (already parsed with its contract); once per stream and event id. */
  async store(p: ActivityRecorded, event: DomainEvent, manager: EntityManager): Promise<void> {
    const at = p.at ? new Date(p.at) : new Date(event.occurredAt);
    const actorId = p.actorId ?? null;
    const entry: ActivityEntryEntity = {
      id: sequentialId(),
      subscriberId: p.subscriberId,
      actorId,
      actorKind: p.actorKind ?? (actorId ? 'SUBSCRIBER' : 'SYSTEM'),
      viaManagement: p.viaManagement === true,
      channel: (p.channel as ChannelName | null | undefined) ?? null,
      action: p.action,
      details: (p.details ?? p.detailTexts?.EN ?? null)?.slice(0, 2000) ?? null,
      detailCode: p.detailTexts ? GIVEN_TEXTS : null,
      detailParams: p.detailTexts ?? null,
      at: Number.isNaN(at.getTime()) ? new Date(event.occurredAt) : at,
      sourceStream: event.stream,
      sourceEventId: event.id,
    };
    await manager.createQueryBuilder().insert().into(ActivityEntryEntity).values(entry).orIgnore().updateEntity(false).execute();
  }
}
