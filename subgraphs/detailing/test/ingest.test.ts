import { randomUUID } from 'node:crypto';
import { In, IsNull } from 'typeorm';
import { OutboxEventEntity, demoSubscribers } from '@selfcare/shared';
import { demo, errorCodes, graphql, platformForSuite, subscriberRepresentations } from '@selfcare/shared/testing';
import { TariffPeriodEntity, TariffPlanEntity, TariffPlanVersionEntity, createCatalogSubgraph } from '@selfcare/catalog';
import { createDelegationSubgraph } from '@selfcare/delegation';
import { UsageCounterEntity, UsageRecordEntity, createDetailingSubgraph } from '../src';
import { maskCounterparty } from '../src/usage/types';
import { Readable } from 'node:stream';
import { importUsageCsv, parseCsvLine } from '../src/ingest/csv';
import { grantManagement } from '../../delegation/test/support/grants';

const { aigerim, nurlan, home } = demo;
const NOW = new Date('2026-03-15T09:00:00.000Z');
const MB = 1024 * 1024;
// January 2026 in Almaty: a whole allowance period of the demo lines (on their tariffs since November) with no seeded usage.
const JAN = (day: number, time = '10:00:00') => new Date(`2026-01-${String(day).padStart(2, '0')}T${time}+05:00`).toISOString();
// Beeline M (aigerim), terms 2.10: 500 minutes, 100 SMS, 30 GB a month; beyond: 25.00 a minute, 15.00 an SMS, 5.00 a MB;
// roaming in EUROPE (TR): 390.00 a minute, 90.00 an SMS, 490.00 a MB.
const HOME_MINUTE = 2_500;
const EUROPE_MINUTE = 39_000;
const EUROPE_MB = 49_000;

describe('usage ingestion and rating (terms 2.1, 2.10)', () => {
  const { t, delegation, detailing, catalog } = platformForSuite(
    { delegation: createDelegationSubgraph, catalog: createCatalogSubgraph, detailing: createDetailingSubgraph },
    { now: NOW, standInIdentity: true },
  );
  const ingest = async (records: Record<string, unknown>[]) => {
    const response = await t.internal(detailing.url, '/internal/usage/ingest', { body: { records } });
    expect(response.status).toBe(200);
    return (await response.json()) as { accepted: number; corrected: number; duplicates: number; rejected: { index: number; sourceRef: string | null; reason: string; field: string | null }[] };
  };
  const stored = (refs: string[]) => detailing.runtime.database.manager.find(UsageRecordEntity, { where: { sourceRef: In(refs) } });
  const byRef = async (refs: string[]) => new Map((await stored(refs)).map((r) => [r.sourceRef!, r]));
  /** Runs the charge window now, and returns every usage charge handed to billing for the line so far. */
  const usageCharges = async (subscriberId: string) => {
    expect((await t.internal(detailing.url, '/internal/usage/charges/flush', { body: {} })).status).toBe(200);
    return (await detailing.runtime.database.manager.find(OutboxEventEntity, { where: { stream: 'detailing', type: 'UsageCharged' }, order: { id: 'ASC' } }))
      .filter((e) => e.payload.subscriberId === subscriberId)
      .flatMap((e) => e.payload.charges as { reference: string; day: string; amountMinor: number; records: number; at: string }[]);
  };
  const call = (ref: string, at: string, seconds: number, extra: Record<string, unknown> = {}) => ({ sourceRef: ref, line: aigerim.msisdn, kind: 'CALL', startedAt: at, direction: 'OUTGOING', counterparty: '+77011234567', seconds, ...extra });

  it('takes minutes from the package first and charges the rest of the call that crosses its end; incoming is free; roaming and the app abroad are charged, the app at home is free', async () => {
    const run = randomUUID().slice(0, 8);
    const records = [
      call(`${run}-1`, JAN(5), 498 * 60),
      call(`${run}-2`, JAN(6), 5 * 60 - 30), // 5 started minutes: 2 from the package, 3 paid
      call(`${run}-3`, JAN(6, '11:00:00'), 600, { direction: 'INCOMING' }),
      call(`${run}-4`, JAN(7), 61, { roaming: true, roamingCountry: 'TR' }), // 2 minutes at the EUROPE rate
      { sourceRef: `${run}-5`, line: aigerim.msisdn, kind: 'DATA', startedAt: JAN(8), counterparty: 'My Beeline', bytes: 3 * MB, app: 'MY_BEELINE', roaming: true, roamingCountry: 'TR' },
      { sourceRef: `${run}-6`, line: aigerim.msisdn, kind: 'DATA', startedAt: JAN(9), counterparty: 'My Beeline', bytes: 50 * MB, app: 'MY_BEELINE' },
      { sourceRef: `${run}-7`, line: aigerim.msisdn, kind: 'SMS', startedAt: JAN(9), direction: 'OUTGOING', counterparty: '+77011234567' },
      { sourceRef: `${run}-8`, line: aigerim.msisdn, kind: 'CHARGE', startedAt: JAN(10), amountMinor: 19_900, description: 'Подписка: Кинопоиск' },
    ];
    expect(await ingest(records)).toEqual({ accepted: 8, corrected: 0, duplicates: 0, rejected: [] });
    const rows = await byRef(records.map((r) => r.sourceRef));
    const view = (ref: string) => {
      const r = rows.get(`${run}-${ref}`)!;
      return { charge: r.chargeMinor, unit: r.allowanceUnit, used: r.allowanceUsed, zeroRated: r.zeroRated };
    };
    expect(view('1')).toEqual({ charge: 0, unit: 'MINUTES', used: 498, zeroRated: false });
    expect(view('2')).toEqual({ charge: 3 * HOME_MINUTE, unit: 'MINUTES', used: 2, zeroRated: false });
    expect(view('3')).toEqual({ charge: 0, unit: null, used: null, zeroRated: false });
    expect(view('4')).toEqual({ charge: 2 * EUROPE_MINUTE, unit: null, used: null, zeroRated: false });
    expect(view('5')).toEqual({ charge: 3 * EUROPE_MB, unit: null, used: null, zeroRated: false });
    expect(view('6')).toEqual({ charge: 0, unit: null, used: null, zeroRated: true });
    expect(view('7')).toEqual({ charge: 0, unit: 'SMS', used: 1, zeroRated: false });
    expect(view('8')).toEqual({ charge: 19_900, unit: null, used: null, zeroRated: false });
    expect(rows.get(`${run}-5`)!.description.RU).toBe('Трафик My Beeline в роуминге (роуминг, TR)');
    // One ledger charge per line and Almaty day, timed at the day's latest usage.
    const charges = (await usageCharges(aigerim.id)).filter((c) => c.day.startsWith('2026-01-'));
    expect(charges.map((c) => [c.reference, c.amountMinor, c.records, c.at])).toEqual([
      [`usage:${aigerim.id}:2026-01-06:1`, 3 * HOME_MINUTE, 1, JAN(6)],
      [`usage:${aigerim.id}:2026-01-07:1`, 2 * EUROPE_MINUTE, 1, JAN(7)],
      [`usage:${aigerim.id}:2026-01-08:1`, 3 * EUROPE_MB, 1, JAN(8)],
      [`usage:${aigerim.id}:2026-01-10:1`, 19_900, 1, JAN(10)],
    ]);

    // The package is spent: the next outgoing minute is paid in full.
    expect((await ingest([call(`${run}-9`, JAN(12), 60)])).accepted).toBe(1);
    expect((await byRef([`${run}-9`])).get(`${run}-9`)!.chargeMinor).toBe(HOME_MINUTE);

    // The same records again: stored once, nothing charged twice, the package untouched.
    const counter = await detailing.runtime.database.manager.findOneByOrFail(UsageCounterEntity, { subscriberId: aigerim.id, periodStart: new Date('2025-12-31T19:00:00.000Z') });
    expect(counter.minutes).toBe(500);
    const before = (await usageCharges(aigerim.id)).length;
    expect(await ingest(records)).toEqual({ accepted: 0, corrected: 0, duplicates: 8, rejected: [] });
    expect((await usageCharges(aigerim.id)).length).toBe(before);
    expect((await stored(records.map((r) => r.sourceRef))).length).toBe(8);
  });

  it('re-rates a correction (a higher revision) once: the difference is charged, the package given back and taken anew', async () => {
    const run = randomUUID().slice(0, 8);
    // nurlan's January is untouched by the other tests: 1 500 minutes (Beeline L).
    const line = { line: nurlan.msisdn };
    expect((await ingest([{ ...call(`${run}-a`, JAN(3), 1440 * 60), ...line }, { ...call(`${run}-b`, JAN(4), 59 * 60), ...line }])).accepted).toBe(2);
    const first = (await byRef([`${run}-b`])).get(`${run}-b`)!;
    expect([first.allowanceUsed, first.chargeMinor]).toEqual([59, 0]); // 1 440 + 59 ≤ 1 500
    // The network corrects the second call: 70 minutes, not 59. 1 440 + 70 > 1 500: 60 from the package, 10 paid.
    const corrected = { ...call(`${run}-b`, JAN(4), 70 * 60, { revision: 1 }), ...line };
    expect(await ingest([corrected])).toEqual({ accepted: 0, corrected: 1, duplicates: 0, rejected: [] });
    const after = (await byRef([`${run}-b`])).get(`${run}-b`)!;
    expect(after.id).toBe(first.id);
    expect([after.revision, after.allowanceUsed, after.seconds, after.chargeMinor]).toEqual([1, 60, 4200, 10 * HOME_MINUTE]);
    const mine = (await usageCharges(nurlan.id)).filter((c) => c.day === '2026-01-04');
    expect(mine).toEqual([expect.objectContaining({ reference: `usage:${nurlan.id}:2026-01-04:1`, amountMinor: after.chargeMinor - first.chargeMinor })]);
    // Idempotent: the same correction again changes nothing; revision 0 again is stale; revision 1 with other content conflicts.
    expect(await ingest([corrected])).toEqual({ accepted: 0, corrected: 0, duplicates: 1, rejected: [] });
    expect(await ingest([{ ...call(`${run}-b`, JAN(4), 59 * 60), ...line }])).toMatchObject({ duplicates: 1, rejected: [] });
    expect((await ingest([{ ...call(`${run}-b`, JAN(4), 80 * 60, { revision: 1 }), ...line }])).rejected).toEqual([{ index: 0, sourceRef: `${run}-b`, reason: 'CONFLICT', field: 'sourceRef' }]);
    // Another line's record under the same network id, even as a "correction", moves nothing between lines.
    expect((await ingest([{ ...call(`${run}-b`, JAN(4), 80 * 60, { revision: 5 }), line: aigerim.msisdn }])).rejected).toEqual([{ index: 0, sourceRef: `${run}-b`, reason: 'CONFLICT', field: 'sourceRef' }]);
    expect((await byRef([`${run}-b`])).get(`${run}-b`)!.subscriberId).toBe(nurlan.id);
    expect((await usageCharges(nurlan.id)).filter((c) => c.day === '2026-01-04')).toHaveLength(1);
    // A correction that rates lower gives the difference back (a negative charge: billing's REFUND).
    expect((await ingest([{ ...call(`${run}-b`, JAN(4), 59 * 60, { revision: 2 }), ...line }])).corrected).toBe(1);
    expect((await usageCharges(nurlan.id)).filter((c) => c.day === '2026-01-04').map((c) => [c.reference, c.amountMinor])).toEqual([
      [`usage:${nurlan.id}:2026-01-04:1`, 10 * HOME_MINUTE],
      [`usage:${nurlan.id}:2026-01-04:2`, -10 * HOME_MINUTE],
    ]);
  });

  it('reports each bad record with its index and reason and keeps the good ones', async () => {
    const run = randomUUID().slice(0, 8);
    const good = (n: number) => call(`${run}-good-${n}`, JAN(20), 30);
    const records: Record<string, unknown>[] = [
      good(0),
      call(`${run}-unknown`, JAN(20), 30, { line: '+77009998877' }),
      call(`${run}-future`, new Date(NOW.getTime() + 60_000).toISOString(), 30),
      call(`${run}-kind`, JAN(20), 30, { kind: 'FAX' }),
      call(`${run}-negative`, JAN(20), -5),
      call(`${run}-long`, JAN(20), 25 * 3600),
      { sourceRef: `${run}-huge`, line: aigerim.msisdn, kind: 'DATA', startedAt: JAN(20), bytes: 1e15 },
      call(`${run}-country`, JAN(20), 30, { roaming: true }),
      call(`${run}-direction`, JAN(20), 30, { direction: null }),
      call(`${run}-counterparty`, JAN(20), 30, { counterparty: 'x'.repeat(65) }),
      { sourceRef: `${run}-amount`, line: aigerim.msisdn, kind: 'CHARGE', startedAt: JAN(20), description: 'x' },
      call('', JAN(20), 30),
      call(`${run}-date`, '2026-01-20', 30),
      call(`${run}-old`, '2024-01-01T00:00:00Z', 30),
      { ...good(1), line: { $gt: '' } },
      good(2),
      // A home-internet line is named by its login; its unlimited tariff charges nothing.
      { sourceRef: `${run}-home`, line: home.login, kind: 'DATA', startedAt: JAN(20), counterparty: 'internet', bytes: 5_000 * MB },
    ];
    const outcome = await ingest(records);
    expect(outcome.accepted).toBe(3);
    expect(outcome.rejected.map((r) => [r.index, r.reason, r.field])).toEqual([
      [1, 'UNKNOWN_NUMBER', 'line'],
      [2, 'IN_FUTURE', 'startedAt'],
      [3, 'INVALID', 'kind'],
      [4, 'INVALID', 'seconds'],
      [5, 'INVALID', 'seconds'],
      [6, 'INVALID', 'bytes'],
      [7, 'INVALID', 'roamingCountry'],
      [8, 'INVALID', 'direction'],
      [9, 'INVALID', 'counterparty'],
      [10, 'INVALID', 'amountMinor'],
      [11, 'INVALID', 'sourceRef'],
      [12, 'INVALID', 'startedAt'],
      [13, 'INVALID', 'startedAt'],
      [14, 'INVALID', 'line'],
    ]);
    expect((await stored([`${run}-good-0`, `${run}-good-2`])).length).toBe(2);
    const homeRow = (await byRef([`${run}-home`])).get(`${run}-home`)!;
    expect([homeRow.subscriberId, homeRow.chargeMinor, homeRow.description.RU]).toEqual([home.id, 0, 'Домашний интернет']);
    // A request out of shape, or too big, is refused whole (400, no echo).
    const notArray = await t.internal(detailing.url, '/internal/usage/ingest', { body: { records: 'x'.repeat(1000) } });
    expect(notArray.status).toBe(400);
    expect(await notArray.text()).not.toContain('xxxxxxxxxx');
    const tooMany = await t.internal(detailing.url, '/internal/usage/ingest', { body: { records: Array.from({ length: 5001 }, () => ({})) } });
    expect(tooMany.status).toBe(400);
    expect((await t.internal(detailing.url, '/internal/usage/ingest', { body: { records: [] }, token: null })).status).toBe(401);
  });

  it('stores concurrent duplicates of a batch once and takes the package once', async () => {
    const run = randomUUID().slice(0, 8);
    const records = Array.from({ length: 20 }, (_, n) => ({ ...call(`${run}-${n}`, JAN(25, `1${n % 10}:0${Math.floor(n / 10)}:00`), 60), line: demo.steppe.msisdn }));
    const outcomes = await Promise.all([ingest(records), ingest(records), ingest(records)]);
    expect(outcomes.reduce((sum, o) => sum + o.accepted, 0)).toBe(20);
    expect(outcomes.reduce((sum, o) => sum + o.duplicates, 0)).toBe(40);
    const rows = await stored(records.map((r) => r.sourceRef));
    expect(rows).toHaveLength(20);
    expect(rows.reduce((sum, r) => sum + (r.allowanceUsed ?? 0), 0) + rows.filter((r) => r.chargeMinor > 0).length).toBe(20);
  });

  it('stores a large batch of many lines sent three times at once once, each line’s package taken once (line groups in parallel on MariaDB)', async () => {
    const run = randomUUID().slice(0, 8);
    const mobile = demoSubscribers.filter((d) => d.msisdn !== null);
    // February 2026: an allowance period no other test uses. 1,600 records: more than one group's worth on MariaDB.
    const records = Array.from({ length: 1_600 }, (_, n) => ({
      ...call(`${run}-${n}`, new Date(Date.UTC(2026, 1, 2 + (n % 25), 5, Math.floor(n / 25) % 60, n % 60)).toISOString(), 30 + (n % 240)),
      line: mobile[n % mobile.length]!.msisdn!,
    }));
    const outcomes = await Promise.all([ingest(records), ingest(records), ingest(records)]);
    expect(outcomes.flatMap((o) => o.rejected)).toEqual([]);
    expect(outcomes.reduce((sum, o) => sum + o.accepted, 0)).toBe(1_600);
    expect(outcomes.reduce((sum, o) => sum + o.duplicates, 0)).toBe(3_200);
    const rows = await stored(records.map((r) => r.sourceRef));
    expect(rows).toHaveLength(1_600);
    // Each line's counter for February holds exactly what its February records took from the package.
    const february = new Date('2026-01-31T19:00:00.000Z').getTime();
    for (const line of mobile) {
      const counter = (await detailing.runtime.database.manager.find(UsageCounterEntity, { where: { subscriberId: line.id } })).find((c) => c.periodStart.getTime() === february);
      const taken = (await detailing.runtime.database.manager.find(UsageRecordEntity, { where: { subscriberId: line.id } }))
        .filter((r) => r.startedAt.getTime() >= february && r.startedAt < new Date('2026-02-28T19:00:00.000Z') && r.allowanceUnit === 'MINUTES')
        .reduce((sum, r) => sum + (r.allowanceUsed ?? 0), 0);
      expect([line.id, counter?.minutes ?? 0]).toEqual([line.id, taken]);
    }
  });

  it('takes a batch through the staff mutation only (terms 2.6 staff guard)', async () => {
    const mutation = 'mutation ($r: [UsageRecordInput!]!) { ingestUsage(records: $r) { accepted duplicates rejected { index reason field } } }';
    const records = [{ sourceRef: `m-${randomUUID()}`, line: aigerim.msisdn, kind: 'SMS', startedAt: JAN(27), direction: 'OUTGOING', counterparty: '+77011234567' }, { sourceRef: `m-${randomUUID()}`, line: aigerim.msisdn, kind: 'CHARGE', startedAt: JAN(27), amount: '12.5x', description: 'x' }];
    const staff = await graphql<any>(detailing.graphqlUrl, mutation, { r: records }, { token: await t.tokenFor(randomUUID(), { staff: true }) });
    expect(staff.errors).toBeUndefined();
    expect(staff.data.ingestUsage).toEqual({ accepted: 1, duplicates: 0, rejected: [{ index: 1, reason: 'INVALID', field: 'amountMinor' }] });
    const subscriber = await graphql<any>(detailing.graphqlUrl, mutation, { r: records }, { token: await t.tokenFor(aigerim.id) });
    expect(errorCodes(subscriber)).toEqual(['FORBIDDEN']);
    const tooMany = await graphql<any>(detailing.graphqlUrl, mutation, { r: Array.from({ length: 1001 }, () => records[0]) }, { token: await t.tokenFor(randomUUID(), { staff: true }) });
    expect(errorCodes(tooMany)).toEqual(['BAD_USER_INPUT']);
  });

  it('masks the other party’s number for a manager and shows it whole to the owner (terms 2.5, 4.3)', async () => {
    const run = randomUUID().slice(0, 8);
    await ingest([call(`${run}-m`, JAN(28), 60, { line: nurlan.msisdn, counterparty: '+77017654321' })]);
    const query = `query ($representations: [_Any!]!, $from: DateTime!, $to: DateTime!) { _entities(representations: $representations) { ... on Subscriber { usage(from: $from, to: $to, kinds: [CALL], first: 5) { edges { node { counterparty startedAt } } } } } }`;
    const variables = { representations: subscriberRepresentations([nurlan.id]), from: JAN(28, '00:00:00'), to: JAN(29, '00:00:00') };
    const owner = await graphql<any>(detailing.graphqlUrl, query, variables, { token: await t.tokenFor(nurlan.id) });
    expect(owner.data._entities[0].usage.edges.map((e: any) => e.node.counterparty)).toContain('+77017654321');
    const manager = randomUUID();
    await grantManagement(delegation, manager, nurlan.id, nurlan.msisdn!);
    const managed = await graphql<any>(detailing.graphqlUrl, query, variables, { token: await t.tokenFor(manager) });
    expect(managed.errors).toBeUndefined();
    const shown = managed.data._entities[0].usage.edges.map((e: any) => e.node.counterparty);
    expect(shown).toContain('+7701***4321');
    expect(shown.join()).not.toContain('7654321');
    expect([maskCounterparty('My Beeline'), maskCounterparty('4259'), maskCounterparty(null), maskCounterparty('87011234567')]).toEqual(['My Beeline', '4259', null, '8701***4567']);
  });

  it('breaks a period down by calendar days in Asia/Almaty (UTC+5), days without usage included', async () => {
    const run = randomUUID().slice(0, 8);
    // 19:30 UTC on the 16th is 00:30 on the 17th in Almaty.
    await ingest([
      { ...call(`${run}-d1`, '2026-01-16T18:59:59.000Z', 60), line: demo.unregistered.msisdn },
      { ...call(`${run}-d2`, '2026-01-16T19:30:00.000Z', 120), line: demo.unregistered.msisdn },
    ]);
    const subscriberId = demo.unregistered.id;
    const query = `query ($representations: [_Any!]!, $from: DateTime!, $to: DateTime!) { _entities(representations: $representations) { ... on Subscriber { usageByDay(from: $from, to: $to, kinds: [CALL]) { day count seconds charge { amount } } } } }`;
    const response = await graphql<any>(detailing.graphqlUrl, query, { representations: subscriberRepresentations([subscriberId]), from: '2026-01-15T19:00:00.000Z', to: '2026-01-18T19:00:00.000Z' }, { token: await t.tokenFor(subscriberId) });
    expect(response.errors).toBeUndefined();
    expect(response.data._entities[0].usageByDay.map((d: any) => [d.day, d.count, d.seconds])).toEqual([
      ['2026-01-16', 1, 60],
      ['2026-01-17', 1, 120],
      ['2026-01-18', 0, 0],
    ]);
    // Another subscriber's days: refused, nothing told.
    const foreign = await graphql<any>(detailing.graphqlUrl, query, { representations: subscriberRepresentations([subscriberId]), from: '2026-01-15T19:00:00.000Z', to: '2026-01-18T19:00:00.000Z' }, { token: await t.tokenFor(aigerim.id) });
    expect(new Set(errorCodes(foreign))).toEqual(new Set(['FORBIDDEN']));
    const tooLong = await graphql<any>(detailing.graphqlUrl, query, { representations: subscriberRepresentations([subscriberId]), from: '2025-10-01T00:00:00.000Z', to: '2026-01-18T19:00:00.000Z' }, { token: await t.tokenFor(subscriberId) });
    expect(errorCodes(tooLong)).toEqual(['BAD_USER_INPUT']);
  });

  it('refuses a file whose line never ends instead of reading it whole', async () => {
    const endless = Readable.from((function* () {
      for (let i = 0; i < 100; i += 1) yield 'x'.repeat(10_000);
    })());
    const sent: unknown[] = [];
    await expect(importUsageCsv(endless, async (records) => (sent.push(records), { accepted: 0, corrected: 0, duplicates: 0, rejected: [] }))).rejects.toThrow(/longer than 65536 characters/);
    expect(sent).toEqual([]);
  });

  it('parses CSV lines with quotes and refuses malformed ones', () => {
    expect(parseCsvLine('a,"b,c","d ""e""",')).toEqual(['a', 'b,c', 'd "e"', '']);
    expect(parseCsvLine('a,"b')).toBeNull();
    expect(parseCsvLine('a,b"c')).toBeNull();
    expect(parseCsvLine('"a"b')).toBeNull();
  });

  it('rates usage after a tariff switch by the new tariff although the line’s plan was asked about a minute before (terms 2.10)', async () => {
    const run = randomUUID().slice(0, 8);
    const catalogDb = catalog.runtime.database.manager;
    const [beelineM, beelineL] = await Promise.all(['BEELINE_M', 'BEELINE_L'].map((code) => catalogDb.findOneByOrFail(TariffPlanEntity, { code })));
    const versionOf = async (planId: string) => (await catalogDb.find(TariffPlanVersionEntity, { where: { tariffPlanId: planId } })).map((v) => v.id);
    const rated = async (ref: string) => (await byRef([ref])).get(ref)!.tariffVersionId;
    const minutes = (n: number) => new Date(NOW.getTime() + n * 60_000).toISOString();
    const old = await catalogDb.findOneByOrFail(TariffPeriodEntity, { subscriberId: aigerim.id, endsAt: IsNull() });
    let switchedAt = NOW;
    try {
      expect(await ingest([call(`${run}-before`, minutes(-60), 60)])).toMatchObject({ accepted: 1 });
      expect(await versionOf(beelineM.id)).toContain(await rated(`${run}-before`));
      // Ten minutes later the line switches to Beeline L, as a completed order does: at the catalog's "now".
      t.clock.advance(10 * 60_000);
      switchedAt = t.clock.now();
      await catalogDb.update(TariffPeriodEntity, { id: old.id }, { endsAt: switchedAt });
      await catalogDb.insert(TariffPeriodEntity, { id: randomUUID(), subscriberId: aigerim.id, tariffPlanId: beelineL.id, tariffVersionId: (await versionOf(beelineL.id))[0]!, startsAt: switchedAt, endsAt: null, orderId: null });
      t.clock.advance(2 * 60_000);
      expect(await ingest([call(`${run}-after`, minutes(11), 60), call(`${run}-late`, minutes(5), 60), call(`${run}-old`, minutes(-50), 60)])).toMatchObject({ accepted: 3, rejected: [] });
      expect(await versionOf(beelineL.id)).toContain(await rated(`${run}-after`));
      expect(await versionOf(beelineM.id)).toContain(await rated(`${run}-late`));
      expect(await versionOf(beelineM.id)).toContain(await rated(`${run}-old`));
      // One allowance counter per line and period, however many batches wrote it.
      const counters = await detailing.runtime.database.manager.find(UsageCounterEntity, { where: { subscriberId: aigerim.id } });
      const keys = counters.map((c) => `${c.subscriberId}|${c.periodStart.getTime()}`);
      expect(keys.length).toBeGreaterThan(1);
      expect(new Set(keys).size).toBe(keys.length);
    } finally {
      await catalogDb.delete(TariffPeriodEntity, { subscriberId: aigerim.id, tariffPlanId: beelineL.id, startsAt: switchedAt });
      await catalogDb.update(TariffPeriodEntity, { id: old.id }, { endsAt: null });
      t.clock.set(NOW);
    }
  });
});
