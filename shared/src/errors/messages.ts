import { ErrorCode } from './error-code';
import { Language, Texts } from '../i18n/language';

/** Default, caller-facing message per code in kk, ru and en. A module may pass a more specific text. */
export const errorMessages: Record<ErrorCode, Texts> = {
  [ErrorCode.BAD_USER_INPUT]: { KK: 'Енгізілген мән қате', RU: 'Неверное значение', EN: 'Invalid input' },
  [ErrorCode.UNAUTHENTICATED]: { KK: 'Кіру қажет', RU: 'Требуется вход', EN: 'Authentication required' },
  [ErrorCode.FORBIDDEN]: { KK: 'Рұқсат жоқ', RU: 'Доступ запрещён', EN: 'Forbidden' },
  [ErrorCode.NOT_FOUND]: { KK: 'Табылмады', RU: 'Не найдено', EN: 'Not found' },
  [ErrorCode.CONFLICT]: { KK: 'Қайшылық', RU: 'Конфликт', EN: 'Conflict' },
  [ErrorCode.RATE_LIMITED]: { KK: 'Тым көп сұраныс, кейінірек қайталаңыз', RU: 'Слишком много запросов, повторите позже', EN: 'Too many requests, try again later' },
  [ErrorCode.INVALID_CREDENTIALS]: { KK: 'Логин немесе құпиясөз қате', RU: 'Неверный логин или пароль', EN: 'Wrong login or password' },
  [ErrorCode.ACCESS_SUSPENDED]: { KK: 'Кабинетке қол жеткізу тоқтатылды', RU: 'Доступ к кабинету приостановлен', EN: 'Cabinet access is suspended' },
  [ErrorCode.ACCESS_BLOCKED]: { KK: 'Кабинетке қол жеткізу бұғатталды', RU: 'Доступ к кабинету заблокирован', EN: 'Cabinet access is blocked' },
  [ErrorCode.ACCESS_TERMINATED]: { KK: 'Шарт тоқтатылды', RU: 'Договор расторгнут', EN: 'The contract has ended' },
  [ErrorCode.CHANNEL_NOT_ALLOWED]: { KK: 'Бұл арна арқылы кіруге болмайды', RU: 'Вход через этот канал недоступен', EN: 'Login through this channel is not allowed' },
  [ErrorCode.TERMS_NOT_ACCEPTED]: { KK: 'Шарттар қабылданбаған', RU: 'Условия не приняты', EN: 'Terms not accepted' },
  [ErrorCode.CONSENT_REQUIRED]: { KK: 'Келісім қажет', RU: 'Требуется согласие', EN: 'Consent required' },
  [ErrorCode.INSUFFICIENT_FUNDS]: { KK: 'Қаражат жеткіліксіз', RU: 'Недостаточно средств', EN: 'Insufficient funds' },
  [ErrorCode.INCOMPATIBLE_SERVICE]: { KK: 'Қызмет сыйымсыз', RU: 'Услуга несовместима', EN: 'Incompatible service' },
  [ErrorCode.CODE_INVALID]: { KK: 'Код қате', RU: 'Неверный код', EN: 'Invalid code' },
  [ErrorCode.CODE_EXPIRED]: { KK: 'Кодтың мерзімі өтті', RU: 'Срок действия кода истёк', EN: 'The code has expired' },
  [ErrorCode.CODE_VOIDED]: { KK: 'Код жарамсыз', RU: 'Код аннулирован', EN: 'The code is void' },
  [ErrorCode.PAYMENT_DECLINED]: { KK: 'Төлем қабылданбады', RU: 'Платёж отклонён', EN: 'Payment declined' },
  [ErrorCode.IDEMPOTENCY_CONFLICT]: { KK: 'Кілт басқа сұранысқа қолданылған', RU: 'Ключ уже использован для другого запроса', EN: 'The idempotency key was used for another request' },
  [ErrorCode.SERVICE_UNAVAILABLE]: { KK: 'Қызмет уақытша қолжетімсіз', RU: 'Сервис временно недоступен', EN: 'Service temporarily unavailable' },
  [ErrorCode.INTERNAL]: { KK: 'Ішкі қате', RU: 'Внутренняя ошибка', EN: 'Internal error' },
};

export function messageFor(code: ErrorCode, language: Language): string {
  return errorMessages[code][language];
}
