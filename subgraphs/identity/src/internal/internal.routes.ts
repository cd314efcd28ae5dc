import type { Express } from 'express';
import { ashyqDataHeld, ashyqDataReceived, cabinetNotice, notifyPreferences, serveInternal } from '@selfcare/shared';
import type { IdentityServices } from '../composition';
import { resolveNoticeTexts } from '../notices/notice.service';

/**
 * identity's internal HTTP API (other services and adapters only, with the internal token), as declared in
 * shared/src/contracts/identity-api.ts: Ashyq data (terms 2.13, 2.14), in-cabinet notices (terms 2.8, 5.1) and how each
 * subscriber wants to be told (terms 5.1, for delegation).
 */
export function mountInternalRoutes(app: Express, services: IdentityServices): void {
  const { runtime } = services;
  const token = runtime.platform.internalToken;

  serveInternal(app, token, ashyqDataReceived, async ({ subscriberId, kind, payload }) => {
    const text = typeof payload === 'string' ? payload : JSON.stringify(payload);
    const record = await services.consents.receiveAshyqData(subscriberId, kind, text);
    return { id: record.id, receivedAt: record.receivedAt.toISOString() };
  });

  serveInternal(app, token, ashyqDataHeld, async ({ subscriberId }) => {
    const records = await services.consents.ashyqRecords(subscriberId);
    return { records: records.map((r) => ({ id: r.id, kind: r.kind, payload: r.payload, receivedAt: r.receivedAt.toISOString() })) };
  });

  serveInternal(app, token, cabinetNotice, async ({ subscriberId, title, body, texts, key }) => {
    const notice = resolveNoticeTexts({ title: title ?? null, body: body ?? null, texts: texts ?? null });
    await runtime.database.transaction((manager) => services.notices.notify(manager, subscriberId, { ...notice.fallback, texts: notice.texts, ...(key ? { key } : {}) }));
    return { ok: true as const };
  });

  serveInternal(app, token, notifyPreferences, async ({ subscriberIds }) => ({ subscribers: await services.preferences.preferencesOf(subscriberIds) }));
}
