import express, { type Express, type Request, type Response } from 'express';
import { Language, currentLanguage, type Texts } from '@selfcare/shared';
import type { IdentityServices } from '../composition';

const TEXT = {
  title: { KK: 'Хаттардан бас тарту', RU: 'Отписка от рассылки', EN: 'Unsubscribe' },
  confirm: {
    KK: 'Beeline жарнамалық хаттарын алудан бас тартасыз ба?',
    RU: 'Отписаться от рекламных писем Beeline?',
    EN: 'Stop receiving Beeline marketing e-mails?',
  },
  button: { KK: 'Бас тарту', RU: 'Отписаться', EN: 'Unsubscribe' },
  done: {
    KK: 'Сіз жарнамалық хаттардан бас тарттыңыз. Келісімді жеке кабинетте қайта беруге болады.',
    RU: 'Вы отписались от рекламных писем. Согласие можно снова дать в личном кабинете.',
    EN: 'You have been unsubscribed from marketing e-mails. You can consent again in the Personal Cabinet.',
  },
  invalid: {
    KK: 'Сілтеме жарамсыз немесе ескірген.',
    RU: 'Ссылка недействительна или устарела.',
    EN: 'This link is invalid or has expired.',
  },
} satisfies Record<string, Texts>;

function wantsJson(req: Request): boolean {
  return req.accepts(['html', 'json']) === 'json';
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function page(language: Language, message: string, form: boolean): string {
  const lang = language.toLowerCase();
  const body = form
    ? `<form method="post"><input type="hidden" name="List-Unsubscribe" value="One-Click"><button type="submit">${escapeHtml(TEXT.button[language])}</button></form>`
    : '';
  return `<!doctype html><html lang="${lang}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><meta name="robots" content="noindex"><title>${escapeHtml(
    TEXT.title[language],
  )}</title></head><body><h1>${escapeHtml(TEXT.title[language])}</h1><p>${escapeHtml(message)}</p>${body}</body></html>`;
}

/**
 * The unsubscribe link of every marketing e-mail (terms 6.4), public, no login:
 * - GET shows a confirmation (HTML, or JSON when asked) and changes nothing: mail scanners fetch links, and
 *   RFC 8058 makes the one-click action a POST;
 * - POST (RFC 8058 `List-Unsubscribe=One-Click`, or the confirmation page's button) withdraws MARKETING_EMAIL.
 * A forged, altered or expired token gets 400 and changes nothing.
 */
export function mountUnsubscribeRoutes(app: Express, services: IdentityServices): void {
  const { runtime, unsubscribe: links, consents } = services;
  const invalid = (req: Request, res: Response) => {
    const language = currentLanguage();
    res.setHeader('cache-control', 'no-store');
    if (wantsJson(req)) res.status(400).json({ error: { code: 'BAD_USER_INPUT', field: 'token', message: TEXT.invalid[language] } });
    else res.status(400).type('html').send(page(language, TEXT.invalid[language], false));
  };

  app.get('/links/unsubscribe', async (req, res, next) => {
    try {
      const claim = links.verify(req.query.token);
      if (!claim) return invalid(req, res);
      const language = currentLanguage();
      res.setHeader('cache-control', 'no-store');
      if (wantsJson(req)) res.json({ status: 'CONFIRM', purpose: claim.purpose, method: 'POST' });
      else res.type('html').send(page(language, TEXT.confirm[language], true));
    } catch (error) {
      next(error);
    }
  });

  app.post('/links/unsubscribe', express.urlencoded({ extended: false, limit: '2kb' }), async (req, res, next) => {
    try {
      const token = req.query.token ?? (req.body as Record<string, unknown> | undefined)?.token;
      const claim = links.verify(token);
      if (!claim) return invalid(req, res);
      const change = await runtime.database.transaction((manager) => consents.withdrawByLink(manager, claim.subscriberId, claim.purpose));
      runtime.logger.info({ subscriberId: claim.subscriberId, purpose: claim.purpose, changed: change?.changed ?? [] }, 'unsubscribed by link');
      const language = currentLanguage();
      res.setHeader('cache-control', 'no-store');
      if (wantsJson(req)) res.json({ status: 'UNSUBSCRIBED', purpose: claim.purpose });
      else res.type('html').send(page(language, TEXT.done[language], false));
    } catch (error) {
      next(error);
    }
  });
}
