import { Language, Texts, formatMinorUnits } from '@selfcare/shared';
import { KAZAKHSTAN_UTC_OFFSET_MS } from '../usage/period';
import { maskCounterparty } from '../usage/masking';
import { Direction, UsageKind, UsageRecordEntity } from '../usage/entities';

/** Texts of the statement file and its e-mail, in kk, ru and en. */
export const statementTexts = {
  title: { KK: 'Көрсетілген қызметтердің толық есебі', RU: 'Детализация оказанных услуг', EN: 'Statement of services rendered' },
  number: { KK: 'Нөмір', RU: 'Номер', EN: 'Number' },
  period: { KK: 'Кезең (UTC+5)', RU: 'Период (UTC+5)', EN: 'Period (UTC+5)' },
  total: { KK: 'Барлығы', RU: 'Итого', EN: 'Total' },
  records: { KK: 'Жазбалар саны', RU: 'Записей', EN: 'Records' },
  masked: {
    KK: 'Нөмірді басқарушыға арналған: басқа тараптардың нөмірлері жасырылған',
    RU: 'Для управляющего номером: номера других сторон скрыты',
    EN: 'For the manager of the number: other parties’ numbers are masked',
  },
  empty: { KK: 'Бұл кезеңде жазбалар жоқ', RU: 'За этот период записей нет', EN: 'No records in this period' },
  columns: {
    KK: ['Күні мен уақыты', 'Түрі', 'Бағыты', 'Нөмір / қызмет', 'Ұзақтығы / көлемі', 'Роуминг', 'Сипаттамасы', 'Сомасы, ₸'],
    RU: ['Дата и время', 'Тип', 'Направление', 'Номер / сервис', 'Длительность / объём', 'Роуминг', 'Описание', 'Сумма, ₸'],
    EN: ['Date and time', 'Kind', 'Direction', 'Number / service', 'Duration / volume', 'Roaming', 'Description', 'Amount, ₸'],
  } satisfies Record<Language, string[]>,
  kinds: {
    CALL: { KK: 'Қоңырау', RU: 'Звонок', EN: 'Call' },
    SMS: { KK: 'SMS', RU: 'SMS', EN: 'SMS' },
    DATA: { KK: 'Интернет', RU: 'Интернет', EN: 'Data' },
    CHARGE: { KK: 'Төлем', RU: 'Списание', EN: 'Charge' },
  } satisfies Record<UsageKind, Texts>,
  directions: {
    INCOMING: { KK: 'Кіріс', RU: 'Входящий', EN: 'Incoming' },
    OUTGOING: { KK: 'Шығыс', RU: 'Исходящий', EN: 'Outgoing' },
  } satisfies Record<Direction, Texts>,
  yes: { KK: 'иә', RU: 'да', EN: 'yes' },
  seconds: { KK: 'с', RU: 'с', EN: 's' },
  megabytes: { KK: 'МБ', RU: 'МБ', EN: 'MB' },
  emailSubject: { KK: 'Beeline: {period} кезеңінің есебі', RU: 'Beeline: детализация за {period}', EN: 'Beeline: statement for {period}' },
  emailBody: {
    KK: 'Сәлеметсіз бе!\n\n{number} нөмірінің {period} кезеңіндегі есебі дайын ({format}). Жүктеп алу сілтемесі ({expires} дейін жарамды):\n{url}\n\nBeeline',
    RU: 'Здравствуйте!\n\nДетализация номера {number} за {period} готова ({format}). Ссылка для скачивания (действует до {expires}):\n{url}\n\nBeeline',
    EN: 'Hello,\n\nthe statement of {number} for {period} is ready ({format}). Download it here (the link works until {expires}):\n{url}\n\nBeeline',
  },
};

/** 2026-03-14 10:05:07, Kazakhstan time (UTC+5 country-wide). */
export function localTime(date: Date): string {
  return new Date(date.getTime() + KAZAKHSTAN_UTC_OFFSET_MS).toISOString().slice(0, 19).replace('T', ' ');
}

export function periodText(from: Date, to: Date): string {
  // [from, to): the last instant shown is the minute before `to`.
  return `${localTime(from).slice(0, 16)} — ${localTime(to).slice(0, 16)}`;
}

/** One usage record as the statement's cells, in the column order of `statementTexts.columns`. */
export function statementCells(row: UsageRecordEntity, language: Language, masked: boolean): string[] {
  const amount =
    row.kind === UsageKind.DATA && row.bytes !== null
      ? `${(row.bytes / (1024 * 1024)).toFixed(2)} ${statementTexts.megabytes[language]}`
      : row.seconds !== null
        ? `${row.seconds} ${statementTexts.seconds[language]}`
        : '';
  return [
    localTime(row.startedAt),
    statementTexts.kinds[row.kind]?.[language] ?? row.kind,
    row.direction ? statementTexts.directions[row.direction][language] : '',
    (masked ? maskCounterparty(row.counterparty) : row.counterparty) ?? '',
    amount,
    row.roaming ? `${statementTexts.yes[language]}${row.roamingCountry ? ` (${row.roamingCountry})` : ''}` : '',
    row.description?.[language] ?? '',
    formatMinorUnits(row.chargeMinor),
  ];
}
