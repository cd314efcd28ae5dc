import type { TariffRates, Texts } from '@selfcare/shared';
import type { AllowanceSpecValue, PartyTypeValue, SubscriberKindValue } from '../offers/entities';

/** The embedded default's catalog: Beeline Kazakhstan-like tariffs and services with prices in tiyn (KZT × 100). */
export interface DemoTariffVersion {
  termsVersion: string;
  effectiveFrom: string;
  monthlyFeeMinor: number;
  switchFeeMinor: number;
  allowances: AllowanceSpecValue[];
}

export interface DemoTariff {
  code: string;
  kind: SubscriberKindValue;
  partyType: PartyTypeValue | null;
  name: Texts;
  description: Texts;
  sortOrder: number;
  /** per-unit rates of every demo version (terms 2.10) */
  rates: TariffRates;
  /** oldest first; the last one is current */
  versions: DemoTariffVersion[];
}

export interface DemoServiceVersion {
  termsVersion: string;
  effectiveFrom: string;
  connectionFeeMinor: number;
  monthlyFeeMinor: number;
}

export interface DemoService {
  code: string;
  category: string;
  name: Texts;
  description: Texts;
  sortOrder: number;
  versions: DemoServiceVersion[];
  /** availability: kinds allowed on any tariff, or only the listed tariffs */
  rules: { kind: SubscriberKindValue; tariffCodes?: string[] }[];
  conflictsWith?: string[];
}

const mb = (gb: number) => gb * 1024;
const kzt = (amount: number) => amount * 100;

export function termsUrl(kind: 'tariffs' | 'services', code: string, version: string): string {
  return `https://beeline.kz/terms/${kind}/${code.toLowerCase().replace(/_/g, '-')}/${version}`;
}

/** Beyond the allowances, per unit, in tiyn: calls per minute, SMS, data per MB; roaming per zone. */
const mobileRates: TariffRates = {
  home: { callPerMinuteMinor: kzt(25), smsMinor: kzt(15), dataPerMbMinor: kzt(5) },
  roaming: [
    { zone: 'CIS', callPerMinuteMinor: kzt(150), smsMinor: kzt(50), dataPerMbMinor: kzt(100) },
    { zone: 'EUROPE', callPerMinuteMinor: kzt(390), smsMinor: kzt(90), dataPerMbMinor: kzt(490) },
    { zone: 'WORLD', callPerMinuteMinor: kzt(990), smsMinor: kzt(150), dataPerMbMinor: kzt(990) },
  ],
};
const businessRates: TariffRates = {
  home: { callPerMinuteMinor: kzt(20), smsMinor: kzt(10), dataPerMbMinor: kzt(3) },
  roaming: [
    { zone: 'CIS', callPerMinuteMinor: kzt(120), smsMinor: kzt(40), dataPerMbMinor: kzt(80) },
    { zone: 'EUROPE', callPerMinuteMinor: kzt(290), smsMinor: kzt(70), dataPerMbMinor: kzt(390) },
    { zone: 'WORLD', callPerMinuteMinor: kzt(790), smsMinor: kzt(120), dataPerMbMinor: kzt(790) },
  ],
};
/** Home internet: unlimited at home, no roaming. */
const homeRates: TariffRates = { home: { callPerMinuteMinor: 0, smsMinor: 0, dataPerMbMinor: 0 }, roaming: [] };

export const demoTariffs: DemoTariff[] = [
  {
    code: 'BEELINE_S',
    kind: 'MOBILE',
    partyType: null,
    name: { KK: 'Beeline S', RU: 'Beeline S', EN: 'Beeline S' },
    description: {
      KK: 'Қоңырауға, SMS пен интернетке арналған бастапқы тариф',
      RU: 'Базовый тариф для звонков, SMS и интернета',
      EN: 'An entry tariff for calls, SMS and internet',
    },
    sortOrder: 10,
    rates: mobileRates,
    versions: [
      {
        termsVersion: '2025-11-01',
        effectiveFrom: '2025-11-01T00:00:00.000Z',
        monthlyFeeMinor: kzt(2_990),
        switchFeeMinor: kzt(500),
        allowances: [
          { unit: 'MINUTES', amount: 200 },
          { unit: 'SMS', amount: 50 },
          { unit: 'MEGABYTES', amount: mb(10) },
        ],
      },
    ],
  },
  {
    code: 'BEELINE_M',
    kind: 'MOBILE',
    partyType: null,
    name: { KK: 'Beeline M', RU: 'Beeline M', EN: 'Beeline M' },
    description: {
      KK: 'Күнделікті қолдануға арналған тариф: көп минут пен интернет',
      RU: 'Тариф на каждый день: больше минут и интернета',
      EN: 'An everyday tariff with more minutes and internet',
    },
    sortOrder: 20,
    rates: mobileRates,
    versions: [
      {
        termsVersion: '2025-03-01',
        effectiveFrom: '2025-03-01T00:00:00.000Z',
        monthlyFeeMinor: kzt(4_490),
        switchFeeMinor: kzt(500),
        allowances: [
          { unit: 'MINUTES', amount: 400 },
          { unit: 'SMS', amount: 100 },
          { unit: 'MEGABYTES', amount: mb(25) },
        ],
      },
      {
        termsVersion: '2025-11-01',
        effectiveFrom: '2025-11-01T00:00:00.000Z',
        monthlyFeeMinor: kzt(4_990),
        switchFeeMinor: kzt(500),
        allowances: [
          { unit: 'MINUTES', amount: 500 },
          { unit: 'SMS', amount: 100 },
          { unit: 'MEGABYTES', amount: mb(30) },
        ],
      },
    ],
  },
  {
    code: 'BEELINE_L',
    kind: 'MOBILE',
    partyType: null,
    name: { KK: 'Beeline L', RU: 'Beeline L', EN: 'Beeline L' },
    description: {
      KK: 'Белсенді абоненттерге: минуттар мен интернет көп',
      RU: 'Для активных: много минут и интернета',
      EN: 'For heavy users: plenty of minutes and internet',
    },
    sortOrder: 30,
    rates: mobileRates,
    versions: [
      {
        termsVersion: '2025-11-01',
        effectiveFrom: '2025-11-01T00:00:00.000Z',
        monthlyFeeMinor: kzt(7_990),
        switchFeeMinor: kzt(500),
        allowances: [
          { unit: 'MINUTES', amount: 1_500 },
          { unit: 'SMS', amount: 300 },
          { unit: 'MEGABYTES', amount: mb(60) },
        ],
      },
    ],
  },
  {
    code: 'BUSINESS_PRO',
    kind: 'MOBILE',
    partyType: 'LEGAL_ENTITY',
    name: { KK: 'Бизнес Pro', RU: 'Бизнес Pro', EN: 'Business Pro' },
    description: {
      KK: 'Заңды тұлғаларға арналған корпоративтік тариф',
      RU: 'Корпоративный тариф для юридических лиц',
      EN: 'A corporate tariff for legal entities',
    },
    sortOrder: 40,
    rates: businessRates,
    versions: [
      {
        termsVersion: '2025-09-01',
        effectiveFrom: '2025-09-01T00:00:00.000Z',
        monthlyFeeMinor: kzt(12_990),
        switchFeeMinor: 0,
        allowances: [
          { unit: 'MINUTES', amount: 3_000 },
          { unit: 'SMS', amount: 1_000 },
          { unit: 'MEGABYTES', amount: mb(100) },
        ],
      },
    ],
  },
  {
    code: 'HOME_100',
    kind: 'HOME_INTERNET',
    partyType: null,
    name: { KK: 'Үй интернеті 100', RU: 'Домашний интернет 100', EN: 'Home Internet 100' },
    description: {
      KK: '100 Мбит/с дейін шексіз үй интернеті',
      RU: 'Безлимитный домашний интернет до 100 Мбит/с',
      EN: 'Unlimited home internet up to 100 Mbit/s',
    },
    sortOrder: 100,
    rates: homeRates,
    versions: [
      {
        termsVersion: '2025-06-01',
        effectiveFrom: '2025-06-01T00:00:00.000Z',
        monthlyFeeMinor: kzt(6_990),
        switchFeeMinor: 0,
        allowances: [],
      },
    ],
  },
];

export const demoServices: DemoService[] = [
  {
    code: 'ROAMING_PLUS',
    category: 'ROAMING',
    name: { KK: 'Роуминг Плюс', RU: 'Роуминг Плюс', EN: 'Roaming Plus' },
    description: {
      KK: 'Шетелде қоңырау мен интернет арзанырақ',
      RU: 'Звонки и интернет за границей дешевле',
      EN: 'Cheaper calls and internet abroad',
    },
    sortOrder: 10,
    versions: [{ termsVersion: '2025-10-01', effectiveFrom: '2025-10-01T00:00:00.000Z', connectionFeeMinor: 0, monthlyFeeMinor: kzt(1_490) }],
    rules: [{ kind: 'MOBILE' }],
  },
  {
    code: 'ROAMING_DAILY',
    category: 'ROAMING',
    name: { KK: 'Күнделікті роуминг', RU: 'Роуминг посуточно', EN: 'Daily Roaming' },
    description: {
      KK: 'Роумингте тәулігіне бекітілген төлем',
      RU: 'Фиксированная плата за сутки в роуминге',
      EN: 'A fixed fee per day in roaming',
    },
    sortOrder: 20,
    versions: [{ termsVersion: '2025-10-01', effectiveFrom: '2025-10-01T00:00:00.000Z', connectionFeeMinor: 0, monthlyFeeMinor: 0 }],
    rules: [{ kind: 'MOBILE' }],
    conflictsWith: ['ROAMING_PLUS'],
  },
  {
    code: 'CALLER_ID',
    category: 'CALLS',
    name: { KK: 'Нөмірді анықтағыш', RU: 'Определитель номера', EN: 'Caller ID' },
    description: {
      KK: 'Қоңырау шалушының нөмірін көрсетеді',
      RU: 'Показывает номер звонящего',
      EN: "Shows the caller's number",
    },
    sortOrder: 30,
    versions: [{ termsVersion: '2025-01-15', effectiveFrom: '2025-01-15T00:00:00.000Z', connectionFeeMinor: 0, monthlyFeeMinor: kzt(150) }],
    rules: [{ kind: 'MOBILE' }],
  },
  {
    code: 'SPAM_FILTER',
    category: 'SECURITY',
    name: { KK: 'Спам-сүзгі', RU: 'Антиспам', EN: 'Spam Filter' },
    description: {
      KK: 'Алаяқтық қоңыраулар мен SMS-тен қорғау',
      RU: 'Защита от мошеннических звонков и SMS',
      EN: 'Protection from fraudulent calls and SMS',
    },
    sortOrder: 40,
    versions: [{ termsVersion: '2025-05-01', effectiveFrom: '2025-05-01T00:00:00.000Z', connectionFeeMinor: 0, monthlyFeeMinor: kzt(290) }],
    rules: [{ kind: 'MOBILE' }],
  },
  {
    code: 'VIDEO_UNLIM',
    category: 'INTERNET',
    name: { KK: 'Шексіз видео', RU: 'Безлимитное видео', EN: 'Unlimited Video' },
    description: {
      KK: 'Бейне қызметтерінің трафигі пакеттен есептелмейді',
      RU: 'Трафик видеосервисов не расходует пакет',
      EN: 'Video services traffic does not use the package',
    },
    sortOrder: 50,
    versions: [{ termsVersion: '2025-08-01', effectiveFrom: '2025-08-01T00:00:00.000Z', connectionFeeMinor: 0, monthlyFeeMinor: kzt(990) }],
    // Beeline L already includes plenty of data: the option is sold with the smaller tariffs only.
    rules: [{ kind: 'MOBILE', tariffCodes: ['BEELINE_S', 'BEELINE_M'] }],
  },
  {
    code: 'CLOUD_PBX',
    category: 'BUSINESS',
    name: { KK: 'Виртуалды АТС', RU: 'Виртуальная АТС', EN: 'Cloud PBX' },
    description: {
      KK: 'Компанияға арналған бұлттық телефония',
      RU: 'Облачная телефония для компании',
      EN: 'Cloud telephony for the company',
    },
    sortOrder: 60,
    versions: [{ termsVersion: '2025-09-01', effectiveFrom: '2025-09-01T00:00:00.000Z', connectionFeeMinor: kzt(5_000), monthlyFeeMinor: kzt(4_990) }],
    rules: [{ kind: 'MOBILE', tariffCodes: ['BUSINESS_PRO'] }],
  },
  {
    code: 'STATIC_IP',
    category: 'HOME',
    name: { KK: 'Тұрақты IP-мекенжай', RU: 'Статический IP-адрес', EN: 'Static IP address' },
    description: {
      KK: 'Үй интернетіне арналған тұрақты IP',
      RU: 'Постоянный IP для домашнего интернета',
      EN: 'A permanent IP for home internet',
    },
    sortOrder: 70,
    versions: [{ termsVersion: '2025-06-01', effectiveFrom: '2025-06-01T00:00:00.000Z', connectionFeeMinor: kzt(1_000), monthlyFeeMinor: kzt(1_500) }],
    rules: [{ kind: 'HOME_INTERNET' }],
  },
  {
    code: 'BEELINE_TV',
    category: 'TV',
    name: { KK: 'Beeline TV', RU: 'Beeline TV', EN: 'Beeline TV' },
    description: {
      KK: '200-ден астам телеарна',
      RU: 'Более 200 телеканалов',
      EN: 'More than 200 TV channels',
    },
    sortOrder: 80,
    versions: [{ termsVersion: '2025-06-01', effectiveFrom: '2025-06-01T00:00:00.000Z', connectionFeeMinor: 0, monthlyFeeMinor: kzt(1_990) }],
    rules: [{ kind: 'HOME_INTERNET' }],
  },
];

/** Demo lines that were given a tariff under older terms than the ones on sale now (terms 2.2: the accepted version is kept). */
export const demoAcceptedTariffVersion: Record<string, string> = {
  '5f1c2a8e-0001-4a6b-9c1d-000000000001': '2025-03-01',
};
