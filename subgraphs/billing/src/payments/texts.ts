import { Language, Texts, formatMinorUnits, interpolate } from '@selfcare/shared';

/** `texts` with `params` filled in, per language. */
export function fill(texts: Texts, params: Record<string, string | number>): Texts {
  return { KK: interpolate(texts.KK, params), RU: interpolate(texts.RU, params), EN: interpolate(texts.EN, params) };
}

export function cardLabel(brand: string | null, last4: string | null): string {
  return brand && last4 ? `${brand} •${last4}` : brand ?? '';
}

export const money = (minor: number) => formatMinorUnits(minor);

export const PAYMENT_ENTRY: Texts = { KK: '{card} картасымен төлем', RU: 'Оплата картой {card}', EN: 'Card payment {card}' };
export const AUTOPAY_ENTRY: Texts = { KK: '{card} картасымен автотөлем', RU: 'Автоплатёж картой {card}', EN: 'Autopay by card {card}' };

export const RECEIPT = {
  title: { KK: 'Төлем қабылданды', RU: 'Платёж зачислен', EN: 'Payment received' } satisfies Texts,
  body: {
    KK: '{number} шотына {amount} ₸ түсті ({card}). Баланс: {balance} ₸.',
    RU: 'На счёт {number} зачислено {amount} ₸ ({card}). Баланс: {balance} ₸.',
    EN: '{amount} KZT credited to account {number} ({card}). Balance: {balance} KZT.',
  } satisfies Texts,
};

export const PAID_DETAILS: Texts = { KK: '{amount} ₸ {card} картасымен төленді', RU: 'Оплачено {amount} ₸ картой {card}', EN: 'Paid {amount} KZT by card {card}' };
export const DECLINED_DETAILS: Texts = {
  KK: '{amount} ₸ {card} картасымен төлем қабылданбады',
  RU: 'Платёж {amount} ₸ картой {card} отклонён',
  EN: 'Payment of {amount} KZT by card {card} declined',
};

export const AUTOPAY_STOPPED = {
  title: { KK: 'Автотөлем тоқтатылды', RU: 'Автоплатёж отключён', EN: 'Autopay turned off' } satisfies Texts,
  body: {
    KK: '{card} картасынан {amount} ₸ автотөлем өтпеді, автотөлем өшірілді. Картаны тексеріп, автотөлемді қайта қосыңыз.',
    RU: 'Автоплатёж {amount} ₸ с карты {card} не прошёл, автоплатёж отключён. Проверьте карту и включите автоплатёж снова.',
    EN: 'The autopay of {amount} KZT from card {card} failed and autopay was turned off. Check the card and turn autopay on again.',
  } satisfies Texts,
};

export function inLanguage(texts: Texts, language: Language): string {
  return texts[language];
}
