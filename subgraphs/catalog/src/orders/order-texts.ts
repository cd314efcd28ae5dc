import { ErrorCode, Language, Texts, formatMinorUnits, interpolate, messageFor } from '@selfcare/shared';
import type { OrderKindValue, OrderStatusValue, ProductOrderEntity } from './entities';

/** What the subscriber reads about an order: the notice (terms 2.8, 5.1) and the activity record's details (terms 2.4). */
const money = (minor: number | null) => `${formatMinorUnits(minor ?? 0)} ₸`;

const WHAT: Record<OrderKindValue, Texts> = {
  CONNECT_SERVICE: { KK: '«{name}» қызметін қосу', RU: 'Подключение услуги «{name}»', EN: 'Connecting the service "{name}"' },
  DISCONNECT_SERVICE: { KK: '«{name}» қызметін өшіру', RU: 'Отключение услуги «{name}»', EN: 'Disconnecting the service "{name}"' },
  CHANGE_TARIFF: { KK: '«{name}» тарифіне ауысу', RU: 'Переход на тариф «{name}»', EN: 'Changing to the tariff "{name}"' },
};

const DONE_TITLE: Record<OrderKindValue, Texts> = {
  CONNECT_SERVICE: { KK: 'Қызмет қосылды', RU: 'Услуга подключена', EN: 'Service connected' },
  DISCONNECT_SERVICE: { KK: 'Қызмет өшірілді', RU: 'Услуга отключена', EN: 'Service disconnected' },
  CHANGE_TARIFF: { KK: 'Тариф ауыстырылды', RU: 'Тариф изменён', EN: 'Tariff changed' },
};

const NOT_DONE_TITLE: Texts = { KK: 'Тапсырыс орындалмады', RU: 'Заказ не выполнен', EN: 'Order not completed' };

const DONE_BODY: Record<OrderKindValue, Texts> = {
  CONNECT_SERVICE: {
    KK: '«{name}» қызметі қосылды (шарттар {terms}). Қосу ақысы: {fee}, ай сайынғы төлем: {monthly}, күн сайын бөліп алынады.',
    RU: 'Услуга «{name}» подключена (условия {terms}). Плата за подключение: {fee}, абонентская плата: {monthly} в месяц, списывается по дням.',
    EN: 'The service "{name}" is connected (terms {terms}). Connection fee: {fee}; monthly fee: {monthly}, charged day by day.',
  },
  DISCONNECT_SERVICE: {
    KK: '«{name}» қызметі өшірілді. Оның абоненттік төлемі бүгіннен кейін алынбайды.',
    RU: 'Услуга «{name}» отключена. Абонентская плата за неё после сегодняшнего дня не списывается.',
    EN: 'The service "{name}" is disconnected. Its monthly fee is not charged after today.',
  },
  CHANGE_TARIFF: {
    KK: '«{name}» тарифі қосылды (шарттар {terms}). Ауысу ақысы: {fee}, ай сайынғы төлем: {monthly}, бүгіннен бастап күн сайын бөліп алынады.',
    RU: 'Подключён тариф «{name}» (условия {terms}). Плата за переход: {fee}, абонентская плата: {monthly} в месяц, по дням начиная с сегодняшнего.',
    EN: 'You are now on the tariff "{name}" (terms {terms}). Switch fee: {fee}; monthly fee: {monthly}, charged day by day from today.',
  },
};

const FAILED_BODY: Texts = {
  KK: '{what} орындалмады: {reason}. Алынған ақы қайтарылды.',
  RU: '{what} не выполнено: {reason}. Списанная плата возвращена.',
  EN: '{what} was not completed: {reason}. The fee charged was refunded.',
};

const REJECTED_BODY: Texts = {
  KK: '{what} қабылданбады: {reason}. Ақы алынған жоқ.',
  RU: '{what} отклонено: {reason}. Плата не списана.',
  EN: '{what} was refused: {reason}. Nothing was charged.',
};

const VIA_MANAGEMENT: Texts = {
  KK: ' Тапсырысты нөмірді басқаратын абонент берді.',
  RU: ' Заказ оформил абонент, которому передано управление номером.',
  EN: ' The order was placed by a subscriber who manages this number.',
};

const ACTIONS: Record<OrderKindValue, string> = { CONNECT_SERVICE: 'SERVICE_CONNECTED', DISCONNECT_SERVICE: 'SERVICE_DISCONNECTED', CHANGE_TARIFF: 'TARIFF_CHANGED' };
const ACTIONS_NOT_DONE: Record<OrderKindValue, string> = { CONNECT_SERVICE: 'SERVICE_CONNECTION_', DISCONNECT_SERVICE: 'SERVICE_DISCONNECTION_', CHANGE_TARIFF: 'TARIFF_CHANGE_' };

function perLanguage(fill: (language: Language) => string): Texts {
  return { KK: fill(Language.KK), RU: fill(Language.RU), EN: fill(Language.EN) };
}

export interface OrderOutcomeTexts {
  notice: Record<Language, { title: string; body: string }>;
  action: string;
  details: Texts;
}

/** The notice and activity entry of a finished order, in every language. `name` is the offer's name per language. */
export function outcomeTexts(order: ProductOrderEntity, name: Texts, reason?: Texts): OrderOutcomeTexts {
  const status = order.status as Extract<OrderStatusValue, 'COMPLETED' | 'FAILED' | 'REJECTED'>;
  const params = (language: Language) => ({ name: name[language], terms: order.acceptedTermsVersion || '—', fee: money(order.feeMinor), monthly: money(order.acceptedPriceMinor) });
  const reasonText = (language: Language) => reason?.[language] ?? (order.failureCode ? messageFor(order.failureCode as ErrorCode, language) : '');
  const via = (language: Language) => (order.viaManagement ? VIA_MANAGEMENT[language] : '');
  const body = (language: Language) => {
    const what = interpolate(WHAT[order.kind][language], params(language));
    if (status === 'COMPLETED') return interpolate(DONE_BODY[order.kind][language], params(language)) + via(language);
    const template = status === 'FAILED' ? FAILED_BODY : REJECTED_BODY;
    return interpolate(template[language], { what, reason: reasonText(language) }) + via(language);
  };
  const title = (language: Language) => (status === 'COMPLETED' ? DONE_TITLE[order.kind][language] : NOT_DONE_TITLE[language]);
  const details = perLanguage((language) => `${body(language)} (${order.offerCode}, ${order.id})`.slice(0, 2000));
  return {
    notice: { KK: { title: title(Language.KK), body: body(Language.KK) }, RU: { title: title(Language.RU), body: body(Language.RU) }, EN: { title: title(Language.EN), body: body(Language.EN) } },
    action: status === 'COMPLETED' ? ACTIONS[order.kind] : `${ACTIONS_NOT_DONE[order.kind]}${status}`,
    details,
  };
}

/** The ledger entry's text of an order's fee and of its refund. */
export function feeTexts(order: Pick<ProductOrderEntity, 'kind'>, name: Texts, refund: boolean): Texts {
  const charge: Record<OrderKindValue, Texts> = {
    CONNECT_SERVICE: { KK: 'Қосу ақысы: {name}', RU: 'Плата за подключение: {name}', EN: 'Connection fee: {name}' },
    DISCONNECT_SERVICE: { KK: '{name}', RU: '{name}', EN: '{name}' },
    CHANGE_TARIFF: { KK: 'Тарифке ауысу ақысы: {name}', RU: 'Плата за переход на тариф: {name}', EN: 'Tariff switch fee: {name}' },
  };
  const back: Texts = { KK: 'Қайтарым: {what}', RU: 'Возврат: {what}', EN: 'Refund: {what}' };
  return perLanguage((language) => {
    const what = interpolate(charge[order.kind][language], { name: name[language] });
    return (refund ? interpolate(back[language], { what }) : what).slice(0, 200);
  });
}
