import { randomUUID } from 'node:crypto';
import DataLoader from 'dataloader';
import { In, IsNull, type EntityManager } from 'typeorm';
import { byKeys, ErrorCode, type GraphQLContext, KeysetPages, Language, type Page, type SubgraphRuntime } from '@selfcare/shared';
import { refusal } from '../common/errors';
import { sequentialId } from '../common/ids';
import type { BroadcastWorker } from './broadcast-worker';
import { CabinetNotificationEntity, NoticeBroadcastEntity, type NoticeTexts } from './notice.entities';

/** One language's text of a notice, as staff give it. */
export interface NoticeTextInput {
  /** the enum from GraphQL, or its value from the internal API's contract */
  language: `${Language}`;
  title: string;
  body: string;
}

export interface BroadcastInput {
  /** the text for every language not given in `texts` (optional when `texts` has all three) */
  title?: string | null;
  body?: string | null;
  texts?: NoticeTextInput[] | null;
  kind: 'MOBILE' | 'HOME_INTERNET' | null;
  byEmail: boolean;
  bySms: boolean;
}

const TITLE_MAX = 200;
const BODY_MAX = 4000;
const LANGUAGES = [Language.KK, Language.RU, Language.EN] as const;

const TITLE_LENGTH = { KK: 'Тақырып 1-200 таңба', RU: 'Заголовок: от 1 до 200 символов', EN: 'Title: 1 to 200 characters' };
const BODY_LENGTH = { KK: 'Мәтін 1-4000 таңба', RU: 'Текст: от 1 до 4000 символов', EN: 'Body: 1 to 4000 characters' };

function checkText(title: unknown, body: unknown, fields: { title: string; body: string }): { title: string; body: string } {
  const t = typeof title === 'string' ? title.trim() : '';
  const b = typeof body === 'string' ? body.trim() : '';
  if (t.length === 0 || t.length > TITLE_MAX) throw refusal(ErrorCode.BAD_USER_INPUT, TITLE_LENGTH, fields.title);
  if (b.length === 0 || b.length > BODY_MAX) throw refusal(ErrorCode.BAD_USER_INPUT, BODY_LENGTH, fields.body);
  return { title: t, body: b };
}

/**
 * A notice's text in kk, ru and en from what staff gave: a text per language, and/or one title and body for the
 * languages not given. Refused (BAD_USER_INPUT) when a language would be left without a text, a language is given
 * twice, or a text is empty or too long.
 */
export function resolveNoticeTexts(input: { title?: string | null; body?: string | null; texts?: NoticeTextInput[] | null }): { fallback: { title: string; body: string }; texts: NoticeTexts } {
  const given = new Map<Language, { title: string; body: string }>();
  for (const text of input.texts ?? []) {
    const language = text.language as Language;
    if (given.has(language)) {
      throw refusal(ErrorCode.BAD_USER_INPUT, { KK: '{language} тілі екі рет берілген', RU: 'Язык {language} указан дважды', EN: 'Language {language} is given twice' }, 'texts', { language });
    }
    given.set(language, checkText(text.title, text.body, { title: 'texts', body: 'texts' }));
  }
  const hasFallback = (input.title ?? null) !== null || (input.body ?? null) !== null;
  let fallback: { title: string; body: string } | null = null;
  if (hasFallback) fallback = checkText(input.title, input.body, { title: 'title', body: 'body' });
  else if (given.size < LANGUAGES.length) {
    throw refusal(
      ErrorCode.BAD_USER_INPUT,
      {
        KK: 'Мәтінді қазақ, орыс және ағылшын тілдерінде беріңіз немесе қалған тілдер үшін title мен body беріңіз',
        RU: 'Дайте текст на казахском, русском и английском или title и body для остальных языков',
        EN: 'Give the text in Kazakh, Russian and English, or a title and body for the other languages',
      },
      given.size === 0 ? 'title' : 'texts',
    );
  }
  const texts = Object.fromEntries(LANGUAGES.map((language) => [language, given.get(language) ?? fallback!])) as NoticeTexts;
  return { fallback: fallback ?? texts.RU, texts };
}

/** A notice as `language`'s reader sees it: its own text in that language, or its one text. */
export function noticeText(row: Pick<CabinetNotificationEntity, 'title' | 'body'>, texts: NoticeTexts | null, language: Language): { title: string; body: string } {
  const text = texts?.[language];
  return text && typeof text.title === 'string' && typeof text.body === 'string' ? text : { title: row.title, body: row.body };
}

/** In-cabinet notifications (terms 2.8: the operator informs subscribers through the cabinet). */
export class NoticeService {
  /** Newest first by time, then id; one statement however many numbers a request pages. */
  private readonly pages: KeysetPages<CabinetNotificationEntity>;

  constructor(
    private readonly runtime: SubgraphRuntime,
    private readonly broadcasts: BroadcastWorker,
  ) {
    this.pages = new KeysetPages({
      name: 'identity.notifications',
      entity: CabinetNotificationEntity,
      manager: () => runtime.database.manager,
      parent: 'subscriberId',
      sortBy: 'createdAt',
      sortKind: 'timestamp',
      order: 'NEWEST_FIRST',
    });
  }

  page(ctx: GraphQLContext, subscriberId: string, first: number | null | undefined, after: string | null | undefined): Promise<Page<CabinetNotificationEntity>> {
    return this.pages.load(ctx, { parent: subscriberId, first, after });
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
  async notify(manager: EntityManager, subscriberId: string, notice: { title: string; body: string; key?: string; texts?: NoticeTexts | null }): Promise<void> {
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
        texts: notice.texts ?? null,
        broadcastId: null,
        createdAt: this.runtime.clock.now(),
        readAt: null,
      })
      .orIgnore()
      .updateEntity(false)
      .execute();
  }

  /** broadcastNotice (terms 2.8): queued as a background job; the answer comes before the delivery. */
  async broadcast(staffId: string, input: BroadcastInput): Promise<NoticeBroadcastEntity> {
    const { fallback, texts } = resolveNoticeTexts(input);
    const job = await this.runtime.database.transaction((manager) =>
      this.broadcasts.enqueue(manager, {
        purpose: 'NOTICE',
        title: fallback.title,
        body: fallback.body,
        texts,
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

  /** The per-language texts of the notifications' rows: their own, or their broadcast's (one query per request). */
  async textsOf(ctx: GraphQLContext, rows: CabinetNotificationEntity[]): Promise<(NoticeTexts | null)[]> {
    const loader = ctx.loaders.get<string, NoticeTexts | null>(
      'identity.broadcastTexts',
      () =>
        new DataLoader(async (ids) => {
          const jobs = await this.runtime.database.manager.find(NoticeBroadcastEntity, { where: { id: In([...ids]) }, select: { id: true, texts: true } });
          return byKeys(ids, jobs, (job) => job.id).map((job) => job?.texts ?? null);
        }),
    );
    return Promise.all(rows.map(async (row) => row.texts ?? (row.broadcastId ? loader.load(row.broadcastId) : null)));
  }

  async broadcastById(id: string): Promise<NoticeBroadcastEntity | null> {
    return this.runtime.database.manager.findOne(NoticeBroadcastEntity, { where: { id } });
  }
}
