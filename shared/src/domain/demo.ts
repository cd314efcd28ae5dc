/**
 * The embedded default's demo base, known to every subgraph so each seeds its own part of the same
 * subscribers (identity: logins; catalog: tariffs and services; billing: accounts; detailing: usage).
 * Ids are fixed so the parts meet through federation. Never seeded in distributed mode.
 */
export interface DemoSubscriber {
  id: string;
  kind: 'MOBILE' | 'HOME_INTERNET';
  partyType: 'INDIVIDUAL' | 'LEGAL_ENTITY';
  msisdn: string | null;
  /** msisdn, or the home-internet account number */
  login: string;
  language: 'KK' | 'RU' | 'EN';
  email: string | null;
  /** demo password; null = not registered yet (gets one by SMS, terms 3.1.1) */
  password: string | null;
  tariffCode: string;
  serviceCodes: string[];
  /** opening balance in minor units (tiyn) */
  balanceMinor: number;
  accountNumber: string;
}

export const DEMO_PASSWORD = 'Demo-2026';

export const demoSubscribers: DemoSubscriber[] = [
  {
    id: '5f1c2a8e-0001-4a6b-9c1d-000000000001',
    kind: 'MOBILE',
    partyType: 'INDIVIDUAL',
    msisdn: '+77051234567',
    login: '+77051234567',
    language: 'RU',
    email: 'aigerim@example.kz',
    password: DEMO_PASSWORD,
    tariffCode: 'BEELINE_M',
    serviceCodes: ['ROAMING_PLUS', 'CALLER_ID'],
    balanceMinor: 250_000,
    accountNumber: 'KZ-100000001',
  },
  {
    id: '5f1c2a8e-0002-4a6b-9c1d-000000000002',
    kind: 'MOBILE',
    partyType: 'INDIVIDUAL',
    msisdn: '+77071112233',
    login: '+77071112233',
    language: 'KK',
    email: null,
    password: DEMO_PASSWORD,
    tariffCode: 'BEELINE_L',
    serviceCodes: ['CALLER_ID'],
    balanceMinor: 15_000,
    accountNumber: 'KZ-100000002',
  },
  {
    id: '5f1c2a8e-0003-4a6b-9c1d-000000000003',
    kind: 'MOBILE',
    partyType: 'LEGAL_ENTITY',
    msisdn: '+77772223344',
    login: '+77772223344',
    language: 'EN',
    email: 'it@steppe-logistics.kz',
    password: DEMO_PASSWORD,
    tariffCode: 'BUSINESS_PRO',
    serviceCodes: ['ROAMING_PLUS'],
    balanceMinor: 5_000_000,
    accountNumber: 'KZ-100000003',
  },
  {
    id: '5f1c2a8e-0004-4a6b-9c1d-000000000004',
    kind: 'MOBILE',
    partyType: 'INDIVIDUAL',
    msisdn: '+77475556677',
    login: '+77475556677',
    language: 'RU',
    email: null,
    password: null,
    tariffCode: 'BEELINE_S',
    serviceCodes: [],
    balanceMinor: 30_000,
    accountNumber: 'KZ-100000004',
  },
  {
    id: '5f1c2a8e-0005-4a6b-9c1d-000000000005',
    kind: 'HOME_INTERNET',
    partyType: 'INDIVIDUAL',
    msisdn: null,
    login: '1000245678',
    language: 'RU',
    email: 'home@example.kz',
    password: DEMO_PASSWORD,
    tariffCode: 'HOME_100',
    serviceCodes: [],
    balanceMinor: 450_000,
    accountNumber: 'KZ-200000005',
  },
];

/**
 * Monthly fees of the demo tariffs and services in tiyn, as catalog's demo publishes them; billing posts them
 * as the demo ledger's charges and detailing lists them as periodic charges (demo data only).
 */
export const demoMonthlyFees: Record<string, { name: string; minor: number }> = {
  BEELINE_S: { name: 'Beeline S', minor: 299_000 },
  BEELINE_M: { name: 'Beeline M', minor: 499_000 },
  BEELINE_L: { name: 'Beeline L', minor: 799_000 },
  BUSINESS_PRO: { name: 'Business Pro', minor: 1_299_000 },
  HOME_100: { name: 'Home Internet 100', minor: 699_000 },
  ROAMING_PLUS: { name: 'Roaming Plus', minor: 149_000 },
  CALLER_ID: { name: 'Caller ID', minor: 15_000 },
};
