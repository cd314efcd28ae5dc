import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import { DomainError, ErrorCode, Language, currentLanguage, requireInternalToken } from '@selfcare/shared';
import type { IdentityServices } from '../composition';
import { type NoticeTextInput, resolveNoticeTexts } from '../notices/notice.service';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const STATUS: Partial<Record<ErrorCode, number>> = {
  [ErrorCode.BAD_USER_INPUT]: 400,
  [ErrorCode.NOT_FOUND]: 404,
  [ErrorCode.CONFLICT]: 409,
  [ErrorCode.CONSENT_REQUIRED]: 409,
  [ErrorCode.FORBIDDEN]: 403,
};

function fail(res: Response, code: ErrorCode, message: string, field?: string): void {
  res.status(STATUS[code] ?? 400).json({ error: { code, message, ...(field ? { field } : {}) } });
}

/** Wraps an async handler: a DomainError becomes its status and code, anything else goes to the service's 500 handler. */
function handle(fn: (req: Request, res: Response) => Promise<void>) {
  return async (req: Request, res: Response, next: NextFunction) => {
    try {
      await fn(req, res);
    } catch (error) {
      if (error instanceof DomainError) fail(res, error.code, error.localizedMessage(currentLanguage()), error.options.field);
      else next(error);
    }
  };
}

/**
 * identity's internal HTTP API (other services and adapters only, with the internal token):
 * - POST /internal/ashyq/data {subscriberId, kind, payload}: data received from Ashyq (2.13), accepted only while the
 *   ASHYQ consent is granted, deleted when it ends (2.14);
 * - GET  /internal/ashyq/data?subscriberId=…: what is held;
 * - POST /internal/notices {subscriberId, title, body, texts?, key}: an in-cabinet notification (2.8, 5.1), idempotent per key;
 *   `texts` [{language, title, body}] gives it per language (kk, ru, en), title/body for the languages not given;
 * - POST /internal/notify-preferences {subscriberIds}: notifyBy, verified e-mail, msisdn, language (5.1, for delegation).
 */
export function mountInternalRoutes(app: Express, services: IdentityServices): void {
  const { runtime } = services;
  const guard = requireInternalToken(runtime.platform.internalToken);
  const json = express.json({ limit: '64kb' });

  app.post(
    '/internal/ashyq/data',
    guard,
    json,
    handle(async (req, res) => {
      const { subscriberId, kind, payload } = (req.body ?? {}) as Record<string, unknown>;
      if (typeof subscriberId !== 'string' || !UUID.test(subscriberId)) return fail(res, ErrorCode.BAD_USER_INPUT, 'subscriberId must be a subscriber id', 'subscriberId');
      if (typeof kind !== 'string' || !/^[\w.-]{1,64}$/.test(kind)) return fail(res, ErrorCode.BAD_USER_INPUT, 'kind: 1-64 letters, digits, _ . -', 'kind');
      if (payload === undefined || payload === null) return fail(res, ErrorCode.BAD_USER_INPUT, 'payload is required', 'payload');
      const text = typeof payload === 'string' ? payload : JSON.stringify(payload);
      const record = await services.consents.receiveAshyqData(subscriberId, kind, text);
      res.status(201).json({ id: record.id, receivedAt: record.receivedAt.toISOString() });
    }),
  );

  app.get(
    '/internal/ashyq/data',
    guard,
    handle(async (req, res) => {
      const subscriberId = req.query.subscriberId;
      if (typeof subscriberId !== 'string' || !UUID.test(subscriberId)) return fail(res, ErrorCode.BAD_USER_INPUT, 'subscriberId must be a subscriber id', 'subscriberId');
      const records = await services.consents.ashyqRecords(subscriberId);
      res.json({ records: records.map((r) => ({ id: r.id, kind: r.kind, payload: r.payload, receivedAt: r.receivedAt.toISOString() })) });
    }),
  );

  app.post(
    '/internal/notices',
    guard,
    json,
    handle(async (req, res) => {
      const { subscriberId, title, body, key, texts } = (req.body ?? {}) as Record<string, unknown>;
      if (typeof subscriberId !== 'string' || !UUID.test(subscriberId)) return fail(res, ErrorCode.BAD_USER_INPUT, 'subscriberId must be a subscriber id', 'subscriberId');
      if (title !== undefined && typeof title !== 'string') return fail(res, ErrorCode.BAD_USER_INPUT, 'title: 1-200 characters', 'title');
      if (body !== undefined && typeof body !== 'string') return fail(res, ErrorCode.BAD_USER_INPUT, 'body: 1-4000 characters', 'body');
      if (key !== undefined && (typeof key !== 'string' || key.length === 0 || key.length > 80)) return fail(res, ErrorCode.BAD_USER_INPUT, 'key: 1-80 characters', 'key');
      const languages: unknown[] = [Language.KK, Language.RU, Language.EN];
      if (
        texts !== undefined &&
        !(Array.isArray(texts) && texts.length <= 3 && texts.every((t) => t && typeof t === 'object' && languages.includes((t as { language?: unknown }).language)))
      ) {
        return fail(res, ErrorCode.BAD_USER_INPUT, 'texts: up to three {language: KK|RU|EN, title, body}', 'texts');
      }
      const notice = resolveNoticeTexts({ title: title ?? null, body: body ?? null, texts: (texts as NoticeTextInput[] | undefined) ?? null });
      await runtime.database.transaction((manager) => services.notices.notify(manager, subscriberId, { ...notice.fallback, texts: notice.texts, ...(key ? { key } : {}) }));
      res.json({ ok: true });
    }),
  );

  app.post(
    '/internal/notify-preferences',
    guard,
    json,
    handle(async (req, res) => {
      const ids = (req.body ?? {}).subscriberIds as unknown;
      if (!Array.isArray(ids) || ids.length > 1000 || !ids.every((id) => typeof id === 'string' && UUID.test(id))) {
        return fail(res, ErrorCode.BAD_USER_INPUT, 'subscriberIds: up to 1000 subscriber ids', 'subscriberIds');
      }
      res.json({ subscribers: await services.preferences.preferencesOf(ids as string[]) });
    }),
  );
}
