import { randomUUID } from 'node:crypto';
import { DEMO_PASSWORD, demoSubscribers } from '@selfcare/shared';
import { eventually } from '@selfcare/shared/testing';
import { AccountEntity, LedgerEntryEntity, LedgerEntryKind, LedgerService } from '@selfcare/billing';
import { billingEvents } from '@selfcare/shared';
import type { GraphQLResponse, TestSystem } from './system';

/** The end-to-end kit for orders: the demo subscribers' logins, the order mutations and what they leave behind. */
export const demoLine = (name: 'aigerim' | 'nurlan' | 'steppe' | 'unregistered' | 'home') => {
  const index = { aigerim: 0, nurlan: 1, steppe: 2, unregistered: 3, home: 4 }[name];
  return demoSubscribers[index]!;
};

export const ORDER_FIELDS = 'id kind status failureCode acceptedTermsVersion offerCode viaManagement channel fee { amount } acceptedPrice { amount } createdAt completedAt subscriber { id }';

export interface OrderView {
  id: string;
  kind: string;
  status: string;
  failureCode: string | null;
  acceptedTermsVersion: string;
  offerCode: string;
  viaManagement: boolean;
  channel: string | null;
  fee: { amount: string };
  acceptedPrice: { amount: string } | null;
  subscriber: { id: string };
}

export async function loginDemo(t: TestSystem, name: 'aigerim' | 'nurlan' | 'steppe' | 'home', channel: 'WEB' | 'MOBILE_APP' = 'WEB') {
  const line = demoLine(name);
  return { ...(await t.login(line.login, DEMO_PASSWORD, channel)), line };
}

export function connect(t: TestSystem, token: string, subscriberId: string, serviceCode: string, acceptedTermsVersion: string, idempotencyKey: string = randomUUID()): Promise<GraphQLResponse<{ connectService: OrderView }>> {
  return t.graphql(
    `mutation ($s: ID!, $c: String!, $v: String!, $k: String!) { connectService(subscriberId: $s, serviceCode: $c, acceptedTermsVersion: $v, idempotencyKey: $k) { ${ORDER_FIELDS} } }`,
    { s: subscriberId, c: serviceCode, v: acceptedTermsVersion, k: idempotencyKey },
    { token },
  );
}

export function disconnect(t: TestSystem, token: string, subscriberId: string, serviceCode: string, idempotencyKey: string = randomUUID()): Promise<GraphQLResponse<{ disconnectService: OrderView }>> {
  return t.graphql(
    `mutation ($s: ID!, $c: String!, $k: String!) { disconnectService(subscriberId: $s, serviceCode: $c, idempotencyKey: $k) { ${ORDER_FIELDS} } }`,
    { s: subscriberId, c: serviceCode, k: idempotencyKey },
    { token },
  );
}

export function changeTariff(t: TestSystem, token: string, subscriberId: string, tariffCode: string, acceptedTermsVersion: string, idempotencyKey: string = randomUUID(), language?: string): Promise<GraphQLResponse<{ changeTariff: OrderView }>> {
  return t.graphql(
    `mutation ($s: ID!, $c: String!, $v: String!, $k: String!) { changeTariff(subscriberId: $s, tariffCode: $c, acceptedTermsVersion: $v, idempotencyKey: $k) { ${ORDER_FIELDS} } }`,
    { s: subscriberId, c: tariffCode, v: acceptedTermsVersion, k: idempotencyKey },
    { token, ...(language ? { language } : {}) },
  );
}

export async function orderById(t: TestSystem, token: string, id: string): Promise<OrderView | null> {
  const response = await t.graphql<{ order: OrderView }>(`query ($id: ID!) { order(id: $id) { ${ORDER_FIELDS} } }`, { id }, { token });
  return response.data?.order ?? null;
}

/** Waits until the order is final (COMPLETED, FAILED or REJECTED) and returns it. */
export async function finalOrder(t: TestSystem, token: string, id: string, timeoutMs = 15_000): Promise<OrderView> {
  const order = await eventually(() => orderById(t, token, id), (o) => !!o && ['COMPLETED', 'FAILED', 'REJECTED'].includes(o.status), timeoutMs);
  if (!order) throw new Error(`order ${id} not readable`);
  return order;
}

/** The line's services and tariff, as the catalog serves them through the gateway. */
export async function products(t: TestSystem, token: string, msisdn: string | null): Promise<{ tariff: { code: string }; services: { service: { code: string }; acceptedTermsVersion: string; acceptedPrice: { amount: string } }[] }> {
  const query = msisdn
    ? `query ($m: PhoneNumber!) { subscriber(msisdn: $m) { tariff { code } services { service { code } acceptedTermsVersion acceptedPrice { amount } } } }`
    : `{ me { tariff { code } services { service { code } acceptedTermsVersion acceptedPrice { amount } } } }`;
  const response = await t.graphql<any>(query, msisdn ? { m: msisdn } : {}, { token });
  if (response.errors) throw new Error(JSON.stringify(response.errors));
  return msisdn ? response.data.subscriber : response.data.me;
}

/** The account's ledger straight from billing's database (what the invariants are checked on). */
export async function ledgerOf(t: TestSystem, subscriberId: string): Promise<{ account: AccountEntity; entries: LedgerEntryEntity[] }> {
  // One transaction, one snapshot: read one after the other, a posting committing in between gave the account's old
  // balance beside the new entries (seen on MariaDB: "balance 250000 but the entries add up to 95500").
  return t.system.subgraphs.billing.runtime.database.transaction(async (manager) => {
    const account = await manager.findOneByOrFail(AccountEntity, { subscriberId });
    const entries = await manager.find(LedgerEntryEntity, { where: { accountId: account.id }, order: { seq: 'ASC' } });
    return { account, entries };
  });
}

/** balance = Σ amounts, each balanceAfter the running sum, seq 1, 2, 3…, and no reference twice. */
export function expectLedgerConsistent(ledger: { account: AccountEntity; entries: LedgerEntryEntity[] }): void {
  let running = 0;
  ledger.entries.forEach((entry, i) => {
    running += entry.amountMinor;
    if (entry.seq !== i + 1) throw new Error(`entry ${entry.id} has seq ${entry.seq}, expected ${i + 1}`);
    if (entry.balanceAfterMinor !== running) throw new Error(`entry ${entry.seq} balanceAfter ${entry.balanceAfterMinor}, expected ${running}`);
  });
  if (running !== ledger.account.balanceMinor) throw new Error(`balance ${ledger.account.balanceMinor} but the entries add up to ${running}`);
  const references = ledger.entries.map((e) => e.reference).filter(Boolean);
  if (new Set(references).size !== references.length) throw new Error('a reference was posted twice');
}

/** Tops an account up straight through billing's ledger (card payments are the payments engineer's). */
export async function topUp(t: TestSystem, subscriberId: string, amountMinor: number): Promise<void> {
  const runtime = t.system.subgraphs.billing.runtime;
  const ledger = new LedgerService(runtime.database, runtime.outboxFor(billingEvents), runtime.clock);
  await runtime.database.transaction(async (manager) => {
    const account = await manager.findOneByOrFail(AccountEntity, { subscriberId });
    await ledger.post(manager, account.id, { kind: LedgerEntryKind.PAYMENT, amountMinor, description: { KK: 'Төлем', RU: 'Пополнение', EN: 'Top-up' }, reference: `test:topup:${randomUUID()}` });
  });
}

export async function staffToken(t: TestSystem, who: 'operator' | 'admin' = 'operator'): Promise<string> {
  const password = who === 'operator' ? 'Operator-2026!' : 'Admin-2026!';
  const response = await t.graphql<{ staffLogin: { accessToken: string } }>(`mutation ($l: String!, $p: String!) { staffLogin(login: $l, password: $p) { accessToken } }`, { l: who, p: password });
  if (!response.data?.staffLogin) throw new Error(`staff login failed: ${JSON.stringify(response.errors)}`);
  return response.data.staffLogin.accessToken;
}

/** A new mobile line, provisioned by staff through the gateway; resolves once catalog and billing know it. */
export async function provisionLine(t: TestSystem, staff: string, msisdn: string, options: { tariffCode?: string; language?: 'KK' | 'RU' | 'EN'; partyType?: 'INDIVIDUAL' | 'LEGAL_ENTITY' } = {}): Promise<string> {
  const response = await t.graphql<{ provisionSubscriber: { id: string } }>(
    `mutation ($i: ProvisionSubscriberInput!) { provisionSubscriber(input: $i) { id } }`,
    { i: { kind: 'MOBILE', partyType: options.partyType ?? 'INDIVIDUAL', msisdn, language: options.language ?? 'RU', tariffCode: options.tariffCode ?? 'BEELINE_S' } },
    { token: staff },
  );
  if (!response.data?.provisionSubscriber) throw new Error(`provisioning failed: ${JSON.stringify(response.errors)}`);
  const id = response.data.provisionSubscriber.id;
  const known = async () =>
    (await t.system.subgraphs.catalog.runtime.database.manager.query('SELECT COUNT(*) AS n FROM subscriber_lines WHERE subscriber_id = ?', [id]))[0].n > 0 &&
    (await t.system.subgraphs.billing.runtime.database.manager.countBy(AccountEntity, { subscriberId: id })) > 0;
  if (!(await eventually(known, Boolean))) throw new Error(`line ${id} did not reach catalog and billing`);
  return id;
}
