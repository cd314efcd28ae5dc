import type { Express, Request, Response } from 'express';
import { Language, languageFromHeader, Texts } from '@selfcare/shared';
import type { IdentityServices } from '../composition';
import { EMAIL_VERIFY_PATH, VerificationOutcome } from './email.service';

const PAGES: Record<'ok' | 'invalid' | 'expired' | 'used' | 'taken', Texts> = {
  ok: { KK: 'E-mail расталды. Енді онымен кабинетке кіре аласыз.', RU: 'Адрес e-mail подтверждён. Теперь по нему можно входить в кабинет.', EN: 'Your e-mail is confirmed. You can now log in with it.' },
  invalid: { KK: 'Сілтеме жарамсыз.', RU: 'Ссылка недействительна.', EN: 'This link is not valid.' },
  expired: { KK: 'Сілтеменің мерзімі өтті. Кабинетте e-mail-ді қайта көрсетіңіз.', RU: 'Срок действия ссылки истёк. Укажите e-mail в кабинете ещё раз.', EN: 'This link has expired. Enter your e-mail in the cabinet again.' },
  used: { KK: 'Бұл сілтеме қолданылған.', RU: 'Эта ссылка уже использована.', EN: 'This link has already been used.' },
  taken: { KK: 'Бұл e-mail басқа кабинетке тіркелген.', RU: 'Этот e-mail уже привязан к другому кабинету.', EN: 'This e-mail is already linked to another cabinet.' },
};

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/**
 * GET /links/email/verify?token=… (the gateway proxies /links/* here): a small page in the subscriber's language,
 * or JSON for a client that asks for it. 200 when confirmed, 400 otherwise; never a stack trace.
 */
export function mountEmailRoutes(app: Express, services: IdentityServices): void {
  const { email, runtime } = services;
  const logger = runtime.logger;
  app.get(EMAIL_VERIFY_PATH, async (req: Request, res: Response) => {
    let outcome: VerificationOutcome;
    try {
      outcome = await email.verify(typeof req.query.token === 'string' ? req.query.token : '');
    } catch (error) {
      logger.error({ err: error }, 'e-mail verification failed');
      res.status(503).json({ error: 'temporarily unavailable', code: 'SERVICE_UNAVAILABLE' });
      return;
    }
    const language: Language = outcome.language ?? languageFromHeader(req.header('accept-language'));
    const key = outcome.ok ? 'ok' : outcome.reason;
    const message = PAGES[key][language];
    res.status(outcome.ok ? 200 : 400);
    res.setHeader('cache-control', 'no-store');
    res.setHeader('referrer-policy', 'no-referrer');
    if ((req.header('accept') ?? '').includes('application/json')) {
      res.json({ verified: outcome.ok, ...(outcome.ok ? {} : { reason: outcome.reason }), message });
      return;
    }
    res.setHeader('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'");
    res.type('html').send(
      `<!doctype html><html lang="${language.toLowerCase()}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>Beeline</title>` +
        `<style>body{font-family:sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem}</style></head>` +
        `<body><h1>Beeline</h1><p>${escapeHtml(message)}</p></body></html>`,
    );
  });
}
