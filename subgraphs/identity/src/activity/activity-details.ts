import { Language } from '@selfcare/shared';

/**
 * What an activity entry says about the action (terms 2.4, 3.5), in kk, ru and en. An entry stores a code and
 * parameters; the reader gets it in their language. The English rendering is also stored with the entry as recorded.
 * Parameters are data (versions, counts, enum values, a device), never sentences, so each language words them itself.
 */
type Params = Record<string, unknown>;
type Render = (p: Params) => string;
type DetailTexts = Record<Language, Render>;

const TERMS: Record<string, Record<'KK' | 'RU', string>> = {
  // consent purposes (terms 2.11-2.14, 6.4)
  PERSONAL_DATA: { KK: 'дербес деректерді өңдеу', RU: 'обработка персональных данных' },
  PARTNER_SHARING: { KK: 'деректерді серіктестерге беру', RU: 'передача данных партнёрам' },
  MARKETING_EMAIL: { KK: 'жарнамалық хаттар', RU: 'рекламные письма' },
  MARKETING_SMS: { KK: 'жарнамалық SMS', RU: 'рекламные SMS' },
  ASHYQ: { KK: 'Ashyq', RU: 'Ashyq' },
  // access status and reasons (terms 3.3, 2.8, 2.12)
  ACTIVE: { KK: 'белсенді', RU: 'активен' },
  SUSPENDED: { KK: 'тоқтатылды', RU: 'приостановлен' },
  BLOCKED: { KK: 'бұғатталды', RU: 'заблокирован' },
  TERMINATED: { KK: 'шарт тоқтатылды', RU: 'договор расторгнут' },
  DEBT: { KK: 'қарыз', RU: 'задолженность' },
  BREACH: { KK: 'шартты бұзу', RU: 'нарушение договора' },
  UNLAWFUL_USE: { KK: 'заңсыз пайдалану', RU: 'незаконное использование' },
  THIRD_PARTY_DATA: { KK: 'үшінші тұлғаның деректері', RU: 'данные третьего лица' },
  PERSONAL_DATA_WITHDRAWN: { KK: 'деректерді өңдеуге келісім қайтарылды', RU: 'отозвано согласие на обработку данных' },
  CONTRACT_ENDED: { KK: 'шарттың аяқталуы', RU: 'окончание договора' },
  // lines
  MOBILE: { KK: 'ұялы байланыс', RU: 'мобильная связь' },
  HOME_INTERNET: { KK: 'Үй интернеті', RU: 'Домашний интернет' },
  INDIVIDUAL: { KK: 'жеке тұлға', RU: 'физическое лицо' },
  LEGAL_ENTITY: { KK: 'заңды тұлға', RU: 'юридическое лицо' },
  // notification channels (terms 5.1) and cabinet channels (terms 2.3)
  CABINET: { KK: 'кабинет', RU: 'кабинет' },
  EMAIL: { KK: 'e-mail', RU: 'e-mail' },
  SMS: { KK: 'SMS', RU: 'SMS' },
  WEB: { KK: 'веб-сайт', RU: 'веб-сайт' },
  MOBILE_APP: { KK: 'My Beeline қосымшасы', RU: 'приложение My Beeline' },
  // languages
  KK: { KK: 'қазақ тілі', RU: 'казахский' },
  RU: { KK: 'орыс тілі', RU: 'русский' },
  EN: { KK: 'ағылшын тілі', RU: 'английский' },
  // staff roles
  OPERATOR: { KK: 'оператор', RU: 'оператор' },
  ADMIN: { KK: 'әкімші', RU: 'администратор' },
};

/** An enum value as the reader says it; English shows the value itself, as the record always has. */
function term(value: unknown, language: Language): string {
  const text = String(value ?? '');
  if (language === Language.EN) return text;
  return TERMS[text]?.[language] ?? text;
}

const str = (value: unknown): string => (value === null || value === undefined ? '' : String(value));
const list = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);
const num = (value: unknown): number => (typeof value === 'number' && Number.isFinite(value) ? value : 0);

const METHOD: Record<string, Record<Language, string>> = {
  REGISTRATION: { EN: 'at registration, terms 6.1/6.2', RU: 'при регистрации, условия 6.1/6.2', KK: 'тіркелу кезінде, шарттар 6.1/6.2' },
  EXPLICIT: { EN: 'accepted explicitly, terms 6.1', RU: 'принята явно, условия 6.1', KK: 'анық қабылданды, шарттар 6.1' },
  CONTINUED_USE: { EN: 'by continued use, terms 3.5/6.6', RU: 'продолжением использования, условия 3.5/6.6', KK: 'пайдалануды жалғастыру арқылы, шарттар 3.5/6.6' },
};

function status(p: Params, prefix: 'from' | 'to', language: Language): string {
  const value = term(p[`${prefix}Status`], language);
  const reason = p[`${prefix}Reason`];
  if (!reason) return value;
  return language === Language.EN ? `${value}/${str(reason)}` : `${value} (${term(reason, language)})`;
}

const DETAILS = {
  PASSWORD_SENT_BY_SMS: {
    EN: () => 'password sent by SMS (3.1.1)',
    RU: () => 'пароль отправлен по SMS (п. 3.1.1)',
    KK: () => 'құпиясөз SMS арқылы жіберілді (3.1.1-тармақ)',
  },
  REGISTERED_UNDER_TERMS: {
    EN: (p) => `terms ${str(p.version)}`,
    RU: (p) => `условия ${str(p.version)}`,
    KK: (p) => `шарттар ${str(p.version)}`,
  },
  /** the device of the session, as described when it was opened (product names) */
  DEVICE: { EN: (p) => str(p.device), RU: (p) => str(p.device), KK: (p) => str(p.device) },
  SESSION: {
    EN: (p) => [str(p.channel), str(p.device)].filter(Boolean).join(' · '),
    RU: (p) => [p.channel ? term(p.channel, Language.RU) : '', str(p.device)].filter(Boolean).join(' · '),
    KK: (p) => [p.channel ? term(p.channel, Language.KK) : '', str(p.device)].filter(Boolean).join(' · '),
  },
  REFRESH_TOKEN_REUSED: {
    EN: (p) => `refresh token reused; session ${str(p.sessionId)} ended`,
    RU: (p) => `токен обновления использован повторно; сеанс ${str(p.sessionId)} завершён`,
    KK: (p) => `жаңарту токені қайта қолданылды; ${str(p.sessionId)} сеансы аяқталды`,
  },
  SESSIONS_ENDED: {
    EN: (p) => `${num(p.count)} session(s) ended`,
    RU: (p) => `завершено сеансов: ${num(p.count)}`,
    KK: (p) => `аяқталған сеанстар: ${num(p.count)}`,
  },
  OTHER_SESSIONS_ENDED: {
    EN: (p) => `${num(p.count)} other session(s) ended`,
    RU: (p) => `завершено других сеансов: ${num(p.count)}`,
    KK: (p) => `аяқталған басқа сеанстар: ${num(p.count)}`,
  },
  EMAIL_ALREADY_VERIFIED: { EN: () => 'already verified', RU: () => 'адрес уже подтверждён', KK: () => 'мекенжай бұрын расталған' },
  EMAIL_LINK_SENT: { EN: () => 'verification link sent', RU: () => 'отправлена ссылка для подтверждения', KK: () => 'растау сілтемесі жіберілді' },
  EMAIL_LINK_OPENED: { EN: () => 'verification link opened', RU: () => 'ссылка для подтверждения открыта', KK: () => 'растау сілтемесі ашылды' },
  SUBSCRIBER_PROVISIONED: {
    EN: (p) => `${str(p.kind)} ${str(p.partyType)}, tariff ${str(p.tariffCode)}`,
    RU: (p) => `${term(p.kind, Language.RU)}, ${term(p.partyType, Language.RU)}, тариф ${str(p.tariffCode)}`,
    KK: (p) => `${term(p.kind, Language.KK)}, ${term(p.partyType, Language.KK)}, тариф ${str(p.tariffCode)}`,
  },
  ACCESS_CHANGED: {
    EN: (p) => `${status(p, 'from', Language.EN)} -> ${status(p, 'to', Language.EN)}`,
    RU: (p) => `${status(p, 'from', Language.RU)} → ${status(p, 'to', Language.RU)}`,
    KK: (p) => `${status(p, 'from', Language.KK)} → ${status(p, 'to', Language.KK)}`,
  },
  LANGUAGE_CHANGED: {
    EN: (p) => `${str(p.from)} -> ${str(p.to)}`,
    RU: (p) => `${term(p.from, Language.RU)} → ${term(p.to, Language.RU)}`,
    KK: (p) => `${term(p.from, Language.KK)} → ${term(p.to, Language.KK)}`,
  },
  CONSENT_CHANGED: {
    EN: (p) => {
      const also = list(p.with).map(str);
      let text = `${str(p.purpose)}${also.length ? ` (with ${also.join(', ')})` : ''}`;
      if (p.viaLink) text += ' via the unsubscribe link in an e-mail (terms 6.4)';
      if (num(p.ashyqRecordsDeleted) > 0) text += `; ${num(p.ashyqRecordsDeleted)} Ashyq record(s) deleted (terms 2.14)`;
      if (p.sessionsEnded) text += '; cabinet sessions ended (terms 2.12)';
      return text;
    },
    RU: (p) => {
      const also = list(p.with).map((v) => term(v, Language.RU));
      let text = `${term(p.purpose, Language.RU)}${also.length ? ` (вместе с: ${also.join(', ')})` : ''}`;
      if (p.viaLink) text += ' — по ссылке отписки в письме (условия 6.4)';
      if (num(p.ashyqRecordsDeleted) > 0) text += `; удалено записей Ashyq: ${num(p.ashyqRecordsDeleted)} (условия 2.14)`;
      if (p.sessionsEnded) text += '; сеансы кабинета завершены (условия 2.12)';
      return text;
    },
    KK: (p) => {
      const also = list(p.with).map((v) => term(v, Language.KK));
      let text = `${term(p.purpose, Language.KK)}${also.length ? ` (бірге: ${also.join(', ')})` : ''}`;
      if (p.viaLink) text += ' — хаттағы бас тарту сілтемесі арқылы (шарттар 6.4)';
      if (num(p.ashyqRecordsDeleted) > 0) text += `; Ashyq жазбалары жойылды: ${num(p.ashyqRecordsDeleted)} (шарттар 2.14)`;
      if (p.sessionsEnded) text += '; кабинет сеанстары аяқталды (шарттар 2.12)';
      return text;
    },
  },
  CONSENT_BY_LOGIN: {
    EN: () => 'PERSONAL_DATA by logging in (terms 2.11)',
    RU: () => 'обработка персональных данных — вход в кабинет (условия 2.11)',
    KK: () => 'дербес деректерді өңдеу — кабинетке кіру арқылы (шарттар 2.11)',
  },
  TERMS_ACCEPTED: {
    EN: (p) => `version ${str(p.version)} (${METHOD[str(p.method)]?.EN ?? str(p.method)})`,
    RU: (p) => `версия ${str(p.version)} (${METHOD[str(p.method)]?.RU ?? str(p.method)})`,
    KK: (p) => `${str(p.version)} нұсқасы (${METHOD[str(p.method)]?.KK ?? str(p.method)})`,
  },
  NOTIFY_BY_CHANGED: {
    EN: (p) => `${list(p.from).map(str).join(',')} -> ${list(p.to).map(str).join(',')}`,
    RU: (p) => `${list(p.from).map((v) => term(v, Language.RU)).join(', ')} → ${list(p.to).map((v) => term(v, Language.RU)).join(', ')}`,
    KK: (p) => `${list(p.from).map((v) => term(v, Language.KK)).join(', ')} → ${list(p.to).map((v) => term(v, Language.KK)).join(', ')}`,
  },
  PERSONAL_DATA_ERASED: {
    EN: (p) => `retention: contract ended ${str(p.contractEndedAt)} (terms 2.11)`,
    RU: (p) => `срок хранения истёк: договор расторгнут ${str(p.contractEndedAt).slice(0, 10)} (условия 2.11)`,
    KK: (p) => `сақтау мерзімі өтті: шарт ${str(p.contractEndedAt).slice(0, 10)} тоқтатылған (шарттар 2.11)`,
  },
} satisfies Record<string, DetailTexts>;

export type ActivityDetailCode = keyof typeof DETAILS;

/** A detail as stored: the code and its parameters; `staff` names the employee who acted (terms 2.4). */
export interface ActivityDetail {
  code: ActivityDetailCode;
  params: Params;
}

export function detail(code: ActivityDetailCode, params: Params = {}): ActivityDetail {
  return { code, params };
}

/** The employee's role and login, after the detail: " by operator ivanov" and its kk/ru counterparts. */
function staffSuffix(params: Params, language: Language): string {
  const staff = params.staff as { role?: unknown; login?: unknown } | undefined;
  if (!staff || typeof staff !== 'object' || !staff.login) return '';
  const role = str(staff.role);
  if (language === Language.EN) return ` by ${role.toLowerCase()} ${str(staff.login)}`;
  return ` — ${term(role, language)} ${str(staff.login)}`;
}

/**
 * The detail in `language`; null for a code this version does not know (the entry's recorded text is shown then).
 * Parameters come from the database: whatever they hold, the answer is a string or null, never an exception.
 */
/** Details another service gave in every language itself (`ActivityRecorded.detailTexts`), stored under this code. */
export const GIVEN_TEXTS = 'GIVEN_TEXTS';

export function renderDetail(code: string | null, params: unknown, language: Language): string | null {
  if (code === GIVEN_TEXTS) {
    const text = (params as Partial<Record<Language, unknown>> | null)?.[language];
    return typeof text === 'string' && text.length > 0 ? text : null;
  }
  if (!code || !Object.prototype.hasOwnProperty.call(DETAILS, code)) return null;
  const p = (params && typeof params === 'object' && !Array.isArray(params) ? params : {}) as Params;
  try {
    const text = (DETAILS[code as ActivityDetailCode] as DetailTexts)[language](p) + staffSuffix(p, language);
    return text.length > 0 ? text : null;
  } catch {
    return null;
  }
}
