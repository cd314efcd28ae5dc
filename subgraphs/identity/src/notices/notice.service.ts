import { randomUUID } from 'node:crypto';
import { IsNull, type EntityManager } from 'typeorm';
import { ErrorCode, type GraphQLContext, type SubgraphRuntime } from '@selfcare/shared';
import { refusal } from '../common/errors';
import { sequentialId } from '../common/ids';
import { loadPage, type Page } from '../common/paging';
import type { BroadcastWorker } from './broadcast-worker';
import { CabinetNotificationEntity, NoticeBroadcastEntity } from './notice.entities';

export interface BroadcastInput {
  title: string;
  body: string;
  kind: 'MOBILE' | 'HOME_INTERNET' | null;
  byEmail: boolean;
  bySms: boolean;
}

const TITLE_MAX = 200;
const BODY_MAX = 4000;

/** In-cabinet notifications (terms 2.8: the operator informs subscribers through the cabinet). */
export class NoticeService {
  constructor(
    private readonly runtime: SubgraphRuntime,
    private readonly broadcasts: BroadcastWorker,
  ) {}

  page(ctx: GraphQLContext, subscriberId: string, first: number | null | undefined, after: string | null | undefined): Promise<Page<CabinetNotificationEntity>> {
    return loadPage(ctx, { name: 'notifications', entity: CabinetNotificationEntity, timeProperty: 'createdAt', manager: () => this.runtime.database.manager }, { subscriberId, first, after });
  }

  async find(id: string): Promise<CabinetNotificationEntity | null> {
    return this.runtime.database.manager.findOne(CabinetNotificationEntity, { where: { id } });
  }

  /** Marks read; reading it again keeps the first time. */
  async markRead(notification: CabinetNotificationEntity): Promise<CabinetNotificationEntity> {
    if (notification.readAt) return notification;
    const readAt = this.runtime.clock.now();
    await this.runtime.database.transaction((manager) => manager.update(CabinetNotificationEntity, { id: notification.id, readAt: IsNull() }, { readAt }));
    return (await this.find(notification.id)) ?? { ...notification, readAt };
  }

  /**
   * One notification for one subscriber, in the caller's transaction; `key` makes it idempotent (the same key
   * twice leaves one notification), e.g. an event id.
   */
  async notify(manager: EntityManager, subscriberId: string, notice: { title: string; body: string; key?: string }): Promise<void> {
    await manager
      .createQueryBuilder()
      .insert()
      .into(CabinetNotificationEntity)
      .values({
        id: sequentialId(),
        subscriberId,
        dedupeKey: (notice.key ?? randomUUID()).slice(0, 80),
        title: notice.title.slice(0, TITLE_MAX),
        body: notice.body.slice(0, BODY_MAX),
        createdAt: this.runtime.clock.now(),
        readAt: null,
      })
      .orIgnore()
      .updateEntity(false)
      .execute();
  }

  /** broadcastNotice (2.8): queued as a background job; the answer comes before the delivery. */
  async broadcast(staffId: string, input: BroadcastInput): Promise<NoticeBroadcastEntity> {
    const title = input.title.trim();
    const body = input.body.trim();
    if (title.length === 0 || title.length > TITLE_MAX) {
      throw refusal(ErrorCode.BAD_USER_INPUT, { KK: 'Тақырып 1-200 таңба', RU: 'Заголовок: от 1 до 200 символов', EN: 'Title: 1 to 200 characters' }, 'title');
    }
    if (body.length === 0 || body.length > BODY_MAX) {
      throw refusal(ErrorCode.BAD_USER_INPUT, { KK: 'Мәтін 1-4000 таңба', RU: 'Текст: от 1 до 4000 символов', EN: 'Body: 1 to 4000 characters' }, 'body');
    }
    const job = await this.runtime.database.transaction((manager) =>
      this.broadcasts.enqueue(manager, {
        purpose: 'NOTICE',
        title,
        body,
        kindFilter: input.kind,
        byEmail: input.byEmail,
        bySms: input.bySms,
        termsVersion: null,
        createdBy: staffId,
      }),
    );
    this.broadcasts.poke();
    return job;
  }

  async broadcastById(id: string): Promise<NoticeBroadcastEntity | null> {
    return this.runtime.database.manager.findOne(NoticeBroadcastEntity, { where: { id } });
  }
}
