import { ErrorCode, Language, Texts, interpolate, messageFor } from '@selfcare/shared';
import { CatalogError } from '../errors';

/** Why an order is refused, each with its contract code and its text in kk, ru and en. */
const REFUSALS = {
  LINE_UNKNOWN: {
    code: ErrorCode.NOT_FOUND,
    texts: { KK: 'Нөмір каталогта әлі жоқ', RU: 'Номер ещё не известен каталогу', EN: 'The number is not known to the catalog yet' },
  },
  ACCESS_SUSPENDED: { code: ErrorCode.ACCESS_SUSPENDED, texts: null },
  ACCESS_BLOCKED: { code: ErrorCode.ACCESS_BLOCKED, texts: null },
  ACCESS_TERMINATED: { code: ErrorCode.ACCESS_TERMINATED, texts: null },
  SERVICE_NOT_SOLD: {
    code: ErrorCode.NOT_FOUND,
    texts: { KK: '{code} қызметі сатылымда жоқ', RU: 'Услуга {code} не продаётся', EN: 'The service {code} is not on sale' },
  },
  SERVICE_UNKNOWN: {
    code: ErrorCode.NOT_FOUND,
    texts: { KK: '{code} қызметі жоқ', RU: 'Услуги {code} нет', EN: 'There is no service {code}' },
  },
  TARIFF_NOT_SOLD: {
    code: ErrorCode.NOT_FOUND,
    texts: { KK: '{code} тарифі сатылымда жоқ', RU: 'Тариф {code} не продаётся', EN: 'The tariff {code} is not on sale' },
  },
  SERVICE_NOT_FOR_KIND: {
    code: ErrorCode.INCOMPATIBLE_SERVICE,
    texts: { KK: '«{name}» қызметі мұндай желіге арналмаған', RU: 'Услуга «{name}» недоступна для этого вида связи', EN: 'The service "{name}" is not available for this kind of line' },
  },
  SERVICE_NOT_WITH_TARIFF: {
    code: ErrorCode.INCOMPATIBLE_SERVICE,
    texts: { KK: '«{name}» қызметі «{tariff}» тарифімен қосылмайды', RU: 'Услуга «{name}» недоступна на тарифе «{tariff}»', EN: 'The service "{name}" is not available with the tariff "{tariff}"' },
  },
  SERVICE_EXCLUDES: {
    code: ErrorCode.INCOMPATIBLE_SERVICE,
    texts: {
      KK: '«{name}» қызметін қосылған «{other}» қызметімен бірге қосуға болмайды',
      RU: 'Услугу «{name}» нельзя подключить вместе с подключённой услугой «{other}»',
      EN: 'The service "{name}" cannot be connected together with the connected service "{other}"',
    },
  },
  TARIFF_NOT_FOR_KIND: {
    code: ErrorCode.INCOMPATIBLE_SERVICE,
    texts: { KK: '«{name}» тарифі мұндай желіге арналмаған', RU: 'Тариф «{name}» недоступен для этого вида связи', EN: 'The tariff "{name}" is not available for this kind of line' },
  },
  TARIFF_NOT_FOR_PARTY: {
    code: ErrorCode.INCOMPATIBLE_SERVICE,
    texts: { KK: '«{name}» тарифі сіздің абонент түріңізге арналмаған', RU: 'Тариф «{name}» недоступен для вашего типа абонента', EN: 'The tariff "{name}" is not available to your type of subscriber' },
  },
  CONNECTED_SERVICE_NOT_WITH_TARIFF: {
    code: ErrorCode.INCOMPATIBLE_SERVICE,
    texts: {
      KK: 'Қосылған «{other}» қызметі «{name}» тарифімен жұмыс істемейді: алдымен оны өшіріңіз',
      RU: 'Подключённая услуга «{other}» недоступна на тарифе «{name}»: сначала отключите её',
      EN: 'The connected service "{other}" is not available with the tariff "{name}": disconnect it first',
    },
  },
  ALREADY_CONNECTED: {
    code: ErrorCode.CONFLICT,
    texts: { KK: '«{name}» қызметі қосулы тұр', RU: 'Услуга «{name}» уже подключена', EN: 'The service "{name}" is already connected' },
  },
  NOT_CONNECTED: {
    code: ErrorCode.CONFLICT,
    texts: { KK: '«{name}» қызметі қосылмаған', RU: 'Услуга «{name}» не подключена', EN: 'The service "{name}" is not connected' },
  },
  SAME_TARIFF: {
    code: ErrorCode.CONFLICT,
    texts: { KK: 'Сіз «{name}» тарифіндесіз', RU: 'Вы уже на тарифе «{name}»', EN: 'You are already on the tariff "{name}"' },
  },
  TERMS_NOT_CURRENT: {
    code: ErrorCode.TERMS_NOT_ACCEPTED,
    texts: {
      KK: '«{name}» шарттарының қолданыстағы нұсқасы — {current}; оны қабылдаңыз',
      RU: 'Действующая версия условий «{name}» — {current}; примите её',
      EN: 'The current terms of "{name}" are version {current}; accept them',
    },
  },
  INSUFFICIENT_FUNDS: {
    code: ErrorCode.INSUFFICIENT_FUNDS,
    texts: {
      KK: 'Қаражат жеткіліксіз: {fee} қажет, қолжетімдісі {available}',
      RU: 'Недостаточно средств: нужно {fee}, доступно {available}',
      EN: 'Insufficient funds: {fee} needed, {available} available',
    },
  },
} satisfies Record<string, { code: ErrorCode; texts: Texts | null }>;

export type RefusalKey = keyof typeof REFUSALS;

/** A refusal as stored with the order (`failure_details`), so a retry with the same key gets the same answer. */
export interface Refusal {
  key: RefusalKey;
  /** fills the text's placeholders: one value, or one per language (an offer's name) */
  params?: Record<string, string | Texts>;
  /** safe extensions for the client: the conflicting service, the current terms version… */
  extensions?: Record<string, string>;
}

export function refusalCode(refusal: Refusal): ErrorCode {
  return REFUSALS[refusal.key].code;
}

export function refusalTexts(refusal: Refusal): Texts {
  const texts = REFUSALS[refusal.key].texts;
  const code = REFUSALS[refusal.key].code;
  const params = (language: Language) =>
    Object.fromEntries(Object.entries(refusal.params ?? {}).map(([name, value]) => [name, typeof value === 'string' ? value : value[language]]));
  const fill = (language: Language) => (texts ? interpolate(texts[language], params(language)) : messageFor(code, language));
  return { KK: fill(Language.KK), RU: fill(Language.RU), EN: fill(Language.EN) };
}

export function refusalError(refusal: Refusal, orderId: string | null): CatalogError {
  return new CatalogError(refusalCode(refusal), {
    texts: refusalTexts(refusal),
    extensions: { reason: refusal.key, ...(refusal.extensions ?? {}), ...(orderId ? { orderId } : {}) },
  });
}

export function isRefusal(value: unknown): value is Refusal {
  return typeof value === 'object' && value !== null && typeof (value as Refusal).key === 'string' && (value as Refusal).key in REFUSALS;
}
