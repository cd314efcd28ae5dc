import type { Texts } from '@selfcare/shared';

/** The descriptions of usage records in the subscriber's three languages, as rating writes them (and the demo seed). */
export const usageTexts = {
  outgoingCall: { KK: 'Шығыс қоңырау', RU: 'Исходящий вызов', EN: 'Outgoing call' },
  incomingCall: { KK: 'Кіріс қоңырау', RU: 'Входящий вызов', EN: 'Incoming call' },
  outgoingSms: { KK: 'Шығыс SMS', RU: 'Исходящее SMS', EN: 'Outgoing SMS' },
  incomingSms: { KK: 'Кіріс SMS', RU: 'Входящее SMS', EN: 'Incoming SMS' },
  data: { KK: 'Мобильді интернет', RU: 'Мобильный интернет', EN: 'Mobile internet' },
  homeData: { KK: 'Үй интернеті', RU: 'Домашний интернет', EN: 'Home internet' },
  appHome: { KK: 'My Beeline қосымшасының трафигі (тегін)', RU: 'Трафик приложения My Beeline (бесплатно)', EN: 'My Beeline app traffic (free)' },
  appRoaming: { KK: 'Роумингтегі My Beeline трафигі', RU: 'Трафик My Beeline в роуминге', EN: 'My Beeline app traffic in roaming' },
} satisfies Record<string, Texts>;

export function inRoaming(base: Texts, country: string): Texts {
  return { KK: `${base.KK} (роуминг, ${country})`, RU: `${base.RU} (роуминг, ${country})`, EN: `${base.EN} (roaming, ${country})` };
}
