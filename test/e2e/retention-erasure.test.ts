import { randomUUID } from 'node:crypto';
import { EntityManager, IsNull, Not } from 'typeorm';
import { Database, InboxEventEntity, PersonalDataErasure, demoSubscribers } from '@selfcare/shared';
import { SteerableClock, drainOutbox, waitFor } from '@selfcare/shared/testing';
import { SUBGRAPH_NAMES, SubgraphName } from '@selfcare/gateway';
import { AccountEntity, AfterCommit, LedgerEntryEntity, LineDirectory, autopayEraser, cardsEraser, linesEraser, paymentsEraser, transfersEraser } from '@selfcare/billing';
import { Direction, StatementChunkEntity, StatementEntity, StatementFormat, StatementStatus, UsageKind, UsageRecordEntity, statementsEraser, usageEraser, usageLinesEraser } from '@selfcare/detailing';
import { ManagementProcedure, ManagementRequestEntity, managementEraser } from '@selfcare/delegation';
import { TestSystem } from '../support/system';
import { Management } from '../support/management';
import { TEST_CARDS, cardToken, pay } from '../support/payments';
import { staffToken } from '../support/orders';

/**
 * terms 2.11 end to end: a subscriber with data in all five databases — e-mail, a card payment with a saved card and
 * autopay, transfers both ways, management requests from and to another number (one confirmed by SMS to 4259), usage
 * with counterparties — ends the contract; 3 years later identity's retention job erases them and billing, detailing
 * and delegation follow its `SubscriberDataErased`. Then every text column of every table of every database is read:
 * the number (in any of its forms) and the e-mail are nowhere, except in the allow-list below.
 */

const AIGERIM = demoSubscribers.find((s) => s.msisdn === '+77051234567')!;
const NURLAN = demoSubscribers.find((s) => s.msisdn === '+77071112233')!;
// Every form the system stores a number in (+77051234567, 77051234567, 87051234567, 7051234567) contains these digits.
const NUMBER = AIGERIM.msisdn!.slice(-10);
const EMAIL = AIGERIM.email!.toLowerCase();
const DAY = 24 * 3600_000;

/**
 * Where the erased subscriber's number may stay, and why: *another* subscriber's own records, kept for their contract
 * (terms 2.11 is about the erased subscriber's data; these are the other's detailing and record of actions, erased
 * with the other's own retention).
 *  - detailing `usage_records`: the other line's calls and SMS with the erased number as counterparty (their detailing);
 *  - identity `activity_entries` and `cabinet_notifications` of the other subscriber (terms 3.5, 2.4: their record of
 *    what was done on and to their number, e.g. "+7705… asked to manage your number").
 */
const ALLOWED: { subgraph: SubgraphName; table: string; column: string; when: (row: Record<string, unknown>) => boolean }[] = [
  { subgraph: 'detailing', table: 'usage_records', column: 'counterparty', when: (row) => row.subscriber_id !== AIGERIM.id },
  ...['details', 'detail_params'].map((column) => ({
    subgraph: 'identity' as const,
    table: 'activity_entries',
    column,
    when: (row: Record<string, unknown>) => row.subscriber_id !== AIGERIM.id,
  })),
  ...['body', 'texts'].map((column) => ({
    subgraph: 'identity' as const,
    table: 'cabinet_notifications',
    column,
    when: (row: Record<string, unknown>) => row.subscriber_id !== AIGERIM.id,
  })),
];

async function tablesOf(database: Database): Promise<string[]> {
  const manager = database.manager;
  if (database.dataSource.options.type === 'better-sqlite3') {
    const rows: { name: string }[] = await manager.query("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'");
    return rows.map((r) => r.name);
  }
  const rows: { name: string }[] = await manager.query('SELECT table_name AS name FROM information_schema.tables WHERE table_schema = DATABASE()');
  return rows.map((r) => r.name);
}

/** Every value of every row of every table that names the number or the e-mail and is not allowed. */
async function findings(t: TestSystem): Promise<{ hits: string[]; allowed: string[]; tables: number }> {
  const hits: string[] = [];
  const allowed: string[] = [];
  let tables = 0;
  for (const subgraph of SUBGRAPH_NAMES) {
    const database = t.system.subgraphs[subgraph].runtime.database;
    for (const table of await tablesOf(database)) {
      tables += 1;
      const rows: Record<string, unknown>[] = await database.manager.query(`SELECT * FROM ${table}`);
      for (const row of rows) {
        for (const [column, value] of Object.entries(row)) {
          if (value === null || value === undefined) continue;
          const text = (Buffer.isBuffer(value) ? value.toString('utf8') : typeof value === 'object' ? JSON.stringify(value) : String(value)).toLowerCase();
          if (!text.includes(NUMBER) && !text.includes(EMAIL)) continue;
          const where = `${subgraph}.${table}.${column}: ${text.slice(0, 160)}`;
          if (ALLOWED.some((a) => a.subgraph === subgraph && a.table === table && a.column === column && a.when(row))) allowed.push(where);
          else hits.push(where);
        }
      }
    }
  }
  return { hits, allowed, tables };
}

async function settle(t: TestSystem): Promise<void> {
  for (const name of SUBGRAPH_NAMES) await drainOutbox(t.system.subgraphs[name].runtime.database);
  for (const name of SUBGRAPH_NAMES) await t.system.subgraphs[name].relaySettled();
}

describe('personal data erased in every subgraph after retention (terms 2.11)', () => {
  const clock = new SteerableClock();
  let t: TestSystem;

  beforeAll(async () => {
    // The retention job on a short interval: the test moves the clock, the job finds the contract by itself.
    t = await TestSystem.start({ clock, identity: { retention: { intervalMs: 200 } } });
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('leaves the number and the e-mail nowhere in the five databases, keeping amounts, dates and ids', async () => {
    const management = new Management(t);
    const aigerim = await management.party(AIGERIM.login);
    const nurlan = await management.party(NURLAN.login);

    // billing: a card payment with the card saved, autopay on it, transfers both ways.
    const paid = await pay(t, aigerim.token, { s: AIGERIM.id, a: '500.00', t: await cardToken(t.url, TEST_CARDS.succeeds), k: randomUUID(), save: true });
    expect(paid.data?.payByCard).toMatchObject({ status: 'SUCCEEDED', card: { last4: '4242' } });
    const cardId = paid.data!.payByCard.card!.id;
    const autopay = await t.graphql(`mutation ($s: ID!, $c: ID!) { setAutopay(subscriberId: $s, savedCardId: $c, threshold: "100.00", amount: "300.00") { enabled } }`, { s: AIGERIM.id, c: cardId }, { token: aigerim.token });
    expect(autopay.errors).toBeUndefined();
    const TRANSFER = `mutation ($from: ID!, $to: PhoneNumber!, $a: String!, $k: String!) { transferBalance(fromSubscriberId: $from, toMsisdn: $to, amount: $a, idempotencyKey: $k) { id status } }`;
    const CONFIRM = `mutation ($id: ID!, $code: String!) { confirmTransfer(id: $id, code: $code) { id status } }`;
    const transfer = async (from: typeof aigerim, to: typeof aigerim, amount: string) => {
      const before = (await t.sms(from.msisdn)).length;
      const started = await t.graphql(TRANSFER, { from: from.subscriberId, to: to.msisdn, a: amount, k: randomUUID() }, { token: from.token });
      expect(started.errors).toBeUndefined();
      const code = (await t.waitForSms(from.msisdn, new RegExp(`^(\\d{6}) — `), 10_000, before)).match[1]!;
      const done = await t.graphql(CONFIRM, { id: started.data!.transferBalance.id, code }, { token: from.token });
      expect(done.data?.confirmTransfer.status).toBe('COMPLETED');
      return started.data!.transferBalance.id as string;
    };
    const outgoing = await transfer(aigerim, nurlan, '50.00');
    const incoming = await transfer(nurlan, aigerim, '60.00');

    // delegation: Nurlan manages Aigerim's number (she confirmed by SMS to 4259); Aigerim asked for Nurlan's.
    await management.handOver(nurlan, aigerim);
    expect((await management.request(aigerim, nurlan.msisdn)).errors).toBeUndefined();

    // detailing: her calls with Nurlan, his calls with her (in the forms a rating engine may hand them over).
    const usage = t.system.subgraphs.detailing.runtime.database;
    const call = (subscriberId: string, counterparty: string, direction: Direction) => ({
      id: randomUUID(),
      subscriberId,
      kind: UsageKind.CALL,
      startedAt: clock.now(),
      direction,
      counterparty,
      seconds: 61,
      bytes: null,
      roaming: false,
      roamingCountry: null,
      zeroRated: false,
      chargeMinor: 1500,
      allowanceUnit: null,
      allowanceUsed: null,
      description: { KK: 'Шығыс қоңырау', RU: 'Исходящий звонок', EN: 'Outgoing call' },
      sourceRef: `test:${randomUUID()}`,
      createdAt: clock.now(),
    });
    await usage.manager.insert(UsageRecordEntity, [
      call(AIGERIM.id, NURLAN.msisdn!, Direction.OUTGOING),
      call(AIGERIM.id, NURLAN.msisdn!.slice(1), Direction.INCOMING),
      call(NURLAN.id, AIGERIM.msisdn!.slice(1), Direction.INCOMING),
      call(NURLAN.id, AIGERIM.msisdn!.slice(2), Direction.OUTGOING),
    ]);
    // A rendered statement of her line: a copy of her detailing, her number in it.
    const statementId = randomUUID();
    await usage.manager.insert(StatementEntity, {
      id: statementId, subscriberId: AIGERIM.id, orderedBy: AIGERIM.id, viaManagement: false, format: StatementFormat.CSV, periodFrom: clock.now(), periodTo: clock.now(),
      language: 'RU', status: StatementStatus.READY, failureCode: null, emailRequested: false, emailPending: false, openSlot: null, version: 1, attempts: 1,
      emailAttempts: 0, nextAttemptAt: clock.now(), leaseToken: null, leaseUntil: null, rowCount: 1, byteSize: 40, createdAt: clock.now(), updatedAt: clock.now(),
    });
    await usage.manager.insert(StatementChunkEntity, { statementId, seq: 0, data: Buffer.from(`${AIGERIM.msisdn};${NURLAN.msisdn};60\n`) });
    await settle(t);
    const before = await findings(t);
    // The scan sees the data it is to find gone: it is there now, in each subgraph that keeps it.
    for (const where of ['identity.subscribers', 'billing.billing_lines', 'billing.balance_transfers', 'billing.ledger_entries', 'delegation.management_requests', 'detailing.usage_records']) {
      expect([...before.hits, ...before.allowed].some((hit) => hit.startsWith(where))).toBe(true);
    }
    const billing = t.system.subgraphs.billing.runtime.database;
    const account = await billing.manager.findOneByOrFail(AccountEntity, { subscriberId: AIGERIM.id });
    const entriesBefore = await billing.manager.find(LedgerEntryEntity, { where: { accountId: account.id }, order: { seq: 'ASC' } });

    // The contract ends; 3 years and a day later the retention job erases her.
    const admin = await staffToken(t, 'admin');
    const ended = await t.graphql(`mutation ($id: ID!) { terminateContract(subscriberId: $id) { accessStatus } }`, { id: AIGERIM.id }, { token: admin });
    expect(ended.data?.terminateContract.accessStatus).toBe('TERMINATED');
    const endedAt = clock.now();
    await settle(t);
    clock.advance(3 * 366 * DAY);
    const identity = t.system.subgraphs.identity.runtime.database;
    await waitFor(async () => {
      const [row] = await identity.manager.query('SELECT erased_at FROM subscribers WHERE id = ?', [AIGERIM.id]);
      return row?.erased_at ? true : undefined;
    }, 15_000, 'the retention job to erase Aigerim');
    await settle(t);
    for (const group of ['billing', 'detailing', 'delegation'] as const) {
      const applied = await t.system.subgraphs[group].runtime.database.manager.countBy(InboxEventEntity, { consumerGroup: group, type: 'SubscriberDataErased' });
      expect(applied).toBe(1);
    }

    const after = await findings(t);
    expect(after.tables).toBeGreaterThanOrEqual(40);
    expect(after.hits).toEqual([]);
    expect(await usage.manager.countBy(StatementEntity, { subscriberId: AIGERIM.id })).toBe(0);
    expect(await usage.manager.countBy(StatementChunkEntity, { statementId })).toBe(0);
    // The allowed ones are the other subscriber's own records only.
    expect(after.allowed.some((hit) => hit.startsWith('detailing.usage_records.counterparty'))).toBe(true);

    // Kept without personal data: the ledger (amounts, balances, references), the transfers, the requests.
    const entriesAfter = await billing.manager.find(LedgerEntryEntity, { where: { accountId: account.id }, order: { seq: 'ASC' } });
    expect(entriesAfter.map((e) => [e.id, e.kind, e.amountMinor, e.balanceAfterMinor, e.reference, e.at.getTime()])).toEqual(
      entriesBefore.map((e) => [e.id, e.kind, e.amountMinor, e.balanceAfterMinor, e.reference, e.at.getTime()]),
    );
    expect(entriesAfter.find((e) => e.reference === `transfer:${outgoing}:out`)?.description.EN).toBe('Transfer to another number');
    expect(entriesAfter.find((e) => e.reference === `transfer:${incoming}:in`)?.description.EN).toBe('Transfer from another number');
    const [saved] = await billing.manager.query('SELECT brand, last4, provider_token, removed_at FROM saved_cards WHERE id = ?', [cardId]);
    expect(saved).toMatchObject({ brand: 'VISA', last4: '', provider_token: '' });
    expect(saved.removed_at).not.toBeNull();
    const [auto] = await billing.manager.query('SELECT enabled FROM autopay_settings WHERE subscriber_id = ?', [AIGERIM.id]);
    expect(Boolean(Number(auto.enabled))).toBe(false);
    const requests = await t.system.subgraphs.delegation.runtime.database.manager.find(ManagementRequestEntity, { where: [{ ownerId: AIGERIM.id }, { requesterId: AIGERIM.id }] });
    expect(requests.map((r) => r.status).sort()).toEqual(['CANCELLED', 'REVOKED']);
    expect(requests.every((r) => r.openKey === null && r.confirmedAt !== null === (r.ownerId === AIGERIM.id))).toBe(true);
    // The other party's data stays theirs: Nurlan's line, his number in the requests, his usage.
    const [line] = await billing.manager.query('SELECT msisdn FROM billing_lines WHERE subscriber_id = ?', [NURLAN.id]);
    expect(line.msisdn).toBe(NURLAN.msisdn);
    expect(requests.find((r) => r.requesterId === NURLAN.id)).toMatchObject({ requesterMsisdn: NURLAN.msisdn, ownerMsisdn: '' });
    expect(requests.find((r) => r.requesterId === AIGERIM.id)).toMatchObject({ requesterMsisdn: null, ownerMsisdn: NURLAN.msisdn, ownerId: NURLAN.id });
    const his = await usage.manager.findBy(UsageRecordEntity, { subscriberId: NURLAN.id, sourceRef: Not(IsNull()) });
    expect(his.filter((r) => r.sourceRef?.startsWith('test:')).map((r) => r.counterparty).sort()).toEqual([AIGERIM.msisdn!.slice(2), AIGERIM.msisdn!.slice(1)].sort());
    const mine = await usage.manager.findBy(UsageRecordEntity, { subscriberId: AIGERIM.id });
    expect(mine.length).toBeGreaterThan(2);
    expect(mine.filter((r) => r.kind === UsageKind.CALL || r.kind === UsageKind.SMS).every((r) => r.counterparty === null && r.startedAt && r.seconds !== undefined)).toBe(true);

    // The event may come again (or be replayed after a restore): every subgraph's erasure runs once more, changes nothing.
    await rerunErasures(t, AIGERIM.id, endedAt);
    expect((await findings(t)).hits).toEqual([]);
    expect((await billing.manager.find(LedgerEntryEntity, { where: { accountId: account.id }, order: { seq: 'ASC' } })).map((e) => [e.amountMinor, e.description.EN])).toEqual(
      entriesAfter.map((e) => [e.amountMinor, e.description.EN]),
    );
  });
});

/** The erasers of billing, detailing and delegation, applied a second time to the same subscriber. */
async function rerunErasures(t: TestSystem, subscriberId: string, contractEndedAt: Date): Promise<void> {
  const run = async (name: SubgraphName, build: (erasure: PersonalDataErasure) => void) => {
    const runtime = t.system.subgraphs[name].runtime;
    const erasure = new PersonalDataErasure();
    build(erasure);
    await runtime.database.transaction((manager: EntityManager) => erasure.erase(manager, { subscriberId, contractEndedAt, erasedAt: runtime.clock.now() }));
  };
  const billing = t.system.subgraphs.billing.runtime;
  await run('billing', (e) => {
    e.register('billing_lines', linesEraser(new LineDirectory(billing.database, billing.internal, billing.clock, billing.logger)));
    e.register('transfers', transfersEraser());
    e.register('payments', paymentsEraser());
    e.register('cards', cardsEraser({ detach: async () => true }, new AfterCommit(), billing.logger));
    e.register('autopay', autopayEraser());
  });
  await run('detailing', (e) => {
    e.register('usage', usageEraser());
    e.register('statements', statementsEraser());
    e.register('usage_lines', usageLinesEraser());
  });
  // Nothing is open any more (the contract's end closed it all): the procedure's part has nothing to end.
  const procedure: Pick<ManagementProcedure, 'contractEnded'> = { contractEnded: async () => 0 };
  await run('delegation', (e) => e.register('management', managementEraser(procedure)));
}
