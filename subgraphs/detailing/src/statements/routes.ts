import type { Express, Request, Response } from 'express';
import { MoreThan } from 'typeorm';
import { Clock, Database, Logger, Texts, languageFromHeader } from '@selfcare/shared';
import { StatementChunkEntity, StatementEntity, StatementStatus } from './entities';
import type { StatementLinks } from './links';
import { renderers } from './renderers';

const refusals: Record<'LINK_INVALID' | 'LINK_EXPIRED' | 'NOT_READY', Texts> = {
  LINK_INVALID: { KK: 'Сілтеме жарамсыз', RU: 'Ссылка недействительна', EN: 'The link is not valid' },
  LINK_EXPIRED: { KK: 'Сілтеменің мерзімі өтті: есепке қайта тапсырыс беріңіз', RU: 'Срок действия ссылки истёк: запросите ссылку заново', EN: 'The link has expired: ask for a new one' },
  NOT_READY: { KK: 'Есеп әлі дайын емес', RU: 'Детализация ещё не готова', EN: 'The statement is not ready' },
};

/**
 * GET /statements/:id?expires=…&signature=… (public through the gateway): the file, streamed a chunk at a time from the
 * database. The signed link is the credential; a tampered one is 403, an expired one 410, each a JSON error and never
 * the file.
 */
export function serveStatementDownloads(app: Express, database: Database, links: StatementLinks, clock: Clock, logger: Logger): void {
  app.get('/statements/:id', async (req: Request, res: Response) => {
    const language = languageFromHeader(req.header('accept-language'));
    const refuse = (status: number, code: string, reason: keyof typeof refusals) => {
      res.status(status).setHeader('cache-control', 'no-store');
      res.json({ error: { code, reason, message: refusals[reason][language] } });
    };
    const id = String(req.params.id ?? '');
    if (!/^[0-9a-f-]{36}$/.test(id)) return refuse(403, 'FORBIDDEN', 'LINK_INVALID');
    const check = links.check(id, req.query.expires, req.query.signature, clock.now());
    if (!check.ok) return check.reason === 'LINK_EXPIRED' ? refuse(410, 'FORBIDDEN', 'LINK_EXPIRED') : refuse(403, 'FORBIDDEN', 'LINK_INVALID');
    try {
      const row = await database.manager.findOne(StatementEntity, { where: { id } });
      if (!row || (row.status !== StatementStatus.READY && row.status !== StatementStatus.SENT)) return refuse(409, 'CONFLICT', 'NOT_READY');
      const renderer = renderers[row.format];
      const day = (date: Date) => date.toISOString().slice(0, 10);
      res.status(200);
      res.setHeader('content-type', renderer.contentType);
      res.setHeader('content-disposition', `attachment; filename="statement-${day(row.periodFrom)}-${day(row.periodTo)}.${renderer.extension}"`);
      res.setHeader('cache-control', 'private, no-store');
      res.setHeader('x-content-type-options', 'nosniff');
      if (row.byteSize !== null) res.setHeader('content-length', String(row.byteSize));
      let seq = -1;
      for (;;) {
        const chunk = await database.manager.findOne(StatementChunkEntity, { where: { statementId: id, seq: MoreThan(seq) }, order: { seq: 'ASC' } });
        if (!chunk) break;
        seq = chunk.seq;
        if (!res.write(chunk.data)) await drainedOrClosed(res);
        if (res.destroyed) return;
      }
      res.end();
    } catch (error) {
      logger.error({ err: error, statementId: id }, 'statement download failed');
      if (!res.headersSent) res.status(503).json({ error: { code: 'SERVICE_UNAVAILABLE', message: 'service unavailable' } });
      else res.destroy();
    }
  });
}

/** Until the client took what was written, or went away; the listener of the other outcome is removed. */
function drainedOrClosed(res: Response): Promise<void> {
  return new Promise<void>((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}
