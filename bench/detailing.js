#!/usr/bin/env node
/**
 * The usage pipeline at scale (terms 2.1, 2.10): detailing with BENCH_ROWS usage records already stored (default
 * 10 000 000, over BENCH_LINES lines, default 20 000: 500 a line over the last 30 days), then
 * 1. ingest + rate: BENCH_INGEST fresh records (default 200 000; calls, SMS, data at home and in roaming, the app's
 *    traffic) of BENCH_RATED_LINES lines (default 2 000, on BEELINE_M in the catalog, with billing accounts) sent to
 *    POST /internal/usage/ingest in requests of BENCH_BATCH records (default 5 000) by BENCH_CLIENTS clients at once
 *    (default 2) — the real service path: validation, the lines, catalog's plans-at over HTTP (kept for a minute), the
 *    allowance counters' locks, the records' INSERTs and the line-days' totals in a transaction per group of lines.
 *    Prints records/s, the request p50/p99, and how long after the flush of the charge window billing had posted
 *    every charge to the ledger.
 * 2. `usage` pages: BENCH_QUERIES (default 2 000) `usage(first: 20)` of random lines over the last 30 days through
 *    detailing's GraphQL (a subscriber's token, the internal token as the gateway sends it), one at a time, half of
 *    them first pages and half the page after one: p50, p95, p99.
 * The pre-fill writes the rows with multi-row INSERTs straight into detailing's database (prints rows/s), and the
 * rated lines' allowance counters for this period from them, as rating them would have left them.
 *   npm run build && BENCH_DATABASE_URL=mysql://root@127.0.0.1:3306 node bench/detailing.js
 *   BENCH_ROWS=200000 node bench/detailing.js        (a quick run on SQLite)
 */
'use strict';
const { join } = require('node:path');
const { startBenchSystem } = require('./support/system');
const { loadOrCreateSigningKey, ingestUsage, flushUsageCharges, operatorMonth } = require('../shared/dist');
const { signAccessToken } = require('../shared/dist/testing/platform');
const { LedgerEntryEntity, LedgerService } = require('../subgraphs/billing/dist');
const { InventoryService, OfferService } = require('../subgraphs/catalog/dist');

const ROWS = Number(process.env.BENCH_ROWS ?? 10_000_000);
const LINES = Number(process.env.BENCH_LINES ?? Math.max(100, Math.min(20_000, Math.round(ROWS / 500))));
const RATED_LINES = Math.min(LINES, Number(process.env.BENCH_RATED_LINES ?? 2_000));
const INGEST = Number(process.env.BENCH_INGEST ?? 200_000);
const BATCH = Math.min(5_000, Number(process.env.BENCH_BATCH ?? 5_000));
const CLIENTS = Number(process.env.BENCH_CLIENTS ?? 2);
const QUERIES = Number(process.env.BENCH_QUERIES ?? 2_000);
const DAY = 86_400_000;
const MB = 1024 * 1024;

const percentile = (sorted, p) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] : NaN);
const ms = (value) => `${value.toFixed(1)} ms`;
const lineId = (i) => `00000000-0000-4000-a000-${i.toString(16).padStart(12, '0')}`;
const msisdnOf = (i) => `+7708${String(i).padStart(7, '0')}`;
const sqlTime = (date) => `'${date.toISOString().replace('T', ' ').replace('Z', '')}'`;
const quote = (text) => `'${String(text).replace(/\\/g, '\\\\').replace(/'/g, "''")}'`;

/** Multi-row INSERTs of the pre-fill, interleaved in time over the lines as usage arrives; `workers` at once. */
async function prefill(database, now, workers = 2) {
  const chunk = 2_000;
  const start = now.getTime() - 30 * DAY;
  const step = (30 * DAY - 3 * 3_600_000) / Math.max(ROWS, 1); // the last three hours stay empty for the fresh records
  const descriptions = {
    CALL: quote(JSON.stringify({ KK: 'Шығыс қоңырау', RU: 'Исходящий вызов', EN: 'Outgoing call' })),
    SMS: quote(JSON.stringify({ KK: 'Шығыс SMS', RU: 'Исходящее SMS', EN: 'Outgoing SMS' })),
    DATA: quote(JSON.stringify({ KK: 'Мобильді интернет', RU: 'Мобильный интернет', EN: 'Mobile internet' })),
  };
  const created = sqlTime(now);
  let next = 0;
  const columns = 'id, subscriber_id, kind, started_at, direction, counterparty, seconds, bytes, roaming, roaming_country, zero_rated, charge_minor, allowance_unit, allowance_used, description, source_ref, created_at, revision';
  const worker = async () => {
    for (;;) {
      const from = next;
      if (from >= ROWS) return;
      next += chunk;
      const values = [];
      for (let n = from; n < Math.min(from + chunk, ROWS); n += 1) {
        const line = n % LINES;
        const at = sqlTime(new Date(start + n * step));
        const id = `'00000000-0000-4000-8000-${n.toString(16).padStart(12, '0')}'`;
        const kind = n % 10 < 5 ? 'CALL' : n % 10 < 7 ? 'SMS' : 'DATA';
        const other = `'+7701${String((n * 7919) % 10_000_000).padStart(7, '0')}'`;
        if (kind === 'CALL') values.push(`(${id}, '${lineId(line)}', 'CALL', ${at}, 'OUTGOING', ${other}, ${30 + (n % 600)}, NULL, 0, NULL, 0, 0, 'MINUTES', ${1 + Math.floor((30 + (n % 600)) / 60)}, ${descriptions.CALL}, 'bench:${n}', ${created}, 0)`);
        else if (kind === 'SMS') values.push(`(${id}, '${lineId(line)}', 'SMS', ${at}, 'OUTGOING', ${other}, NULL, NULL, 0, NULL, 0, 0, 'SMS', 1, ${descriptions.SMS}, 'bench:${n}', ${created}, 0)`);
        else values.push(`(${id}, '${lineId(line)}', 'DATA', ${at}, NULL, 'internet', NULL, ${(1 + (n % 50)) * MB}, 0, NULL, 0, 0, 'MEGABYTES', ${1 + (n % 50)}, ${descriptions.DATA}, 'bench:${n}', ${created}, 0)`);
      }
      await database.dataSource.query(`INSERT INTO usage_records (${columns}) VALUES ${values.join(', ')}`);
    }
  };
  const started = Date.now();
  let reported = 0;
  const progress = setInterval(() => {
    if (next - reported >= 1_000_000) {
      reported = next;
      console.log(`  … ${Math.min(next, ROWS).toLocaleString('en')} rows`);
    }
  }, 5_000);
  try {
    await Promise.all(Array.from({ length: database.dialect === 'mariadb' ? workers : 1 }, worker));
  } finally {
    clearInterval(progress);
  }
  return (Date.now() - started) / 1000;
}

/** A fresh record of one of the rated lines within the last hour: calls, SMS, data at home, roaming, the app's traffic. */
function freshRecord(n, now) {
  const line = msisdnOf(n % RATED_LINES);
  const startedAt = new Date(now - 1_000 - ((n * 7_919) % 3_000_000)).toISOString();
  const sourceRef = `fresh:${process.pid}:${n}`;
  const kind = n % 20;
  if (kind < 9) return { sourceRef, line, kind: 'CALL', startedAt, direction: kind < 7 ? 'OUTGOING' : 'INCOMING', counterparty: `+7701${String(n % 10_000_000).padStart(7, '0')}`, seconds: 20 + (n % 900) };
  if (kind < 13) return { sourceRef, line, kind: 'SMS', startedAt, direction: 'OUTGOING', counterparty: `+7707${String(n % 10_000_000).padStart(7, '0')}` };
  if (kind < 18) return { sourceRef, line, kind: 'DATA', startedAt, counterparty: 'internet', bytes: (1 + (n % 200)) * MB };
  if (kind === 18) return { sourceRef, line, kind: 'DATA', startedAt, counterparty: 'My Beeline', bytes: (1 + (n % 20)) * MB, app: 'MY_BEELINE' };
  return { sourceRef, line, kind: 'DATA', startedAt, counterparty: 'internet', bytes: (1 + (n % 30)) * MB, roaming: true, roamingCountry: 'TR' };
}

async function post(url, token, body) {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', 'x-internal-token': token }, body: JSON.stringify(body) });
  if (!response.ok) throw new Error(`${url}: ${response.status} ${(await response.text()).slice(0, 200)}`);
  return response.json();
}

async function main() {
  const { system, dataDir, stop } = await startBenchSystem('detailing', {
    billing: { feeRunIntervalMs: 0 },
  });

  try {
    const detailing = system.subgraphs.detailing.runtime;
    const catalog = system.subgraphs.catalog.runtime;
    const billing = system.subgraphs.billing.runtime;
    const token = system.platform.internalToken;
    const now = new Date();
    console.log(`detailing on ${detailing.database.dialect}: ${ROWS.toLocaleString('en')} stored records over ${LINES.toLocaleString('en')} lines; ${INGEST.toLocaleString('en')} fresh records of ${RATED_LINES.toLocaleString('en')} lines in requests of ${BATCH} by ${CLIENTS} clients`);

    // The lines: detailing's view of all of them; the rated ones in the catalog (BEELINE_M) and billing too.
    for (let i = 0; i < LINES; i += 2_000) {
      const values = [];
      for (let j = i; j < Math.min(i + 2_000, LINES); j += 1) values.push(`('${lineId(j)}', '${msisdnOf(j)}', NULL, 'MOBILE', 0, ${sqlTime(now)})`);
      await detailing.database.dataSource.query(`INSERT INTO usage_lines (subscriber_id, msisdn, login, kind, ended, updated_at) VALUES ${values.join(', ')}`);
    }
    const inventory = new InventoryService(catalog.database, catalog.accessPolicy, new OfferService(catalog.database), catalog.clock, catalog.logger);
    const ledger = new LedgerService(billing.database, billing.outboxFor(require('../shared/dist').billingEvents), billing.clock);
    const since = new Date(now.getTime() - 40 * DAY);
    for (let i = 0; i < RATED_LINES; i += 1) {
      const subscriberId = lineId(i);
      await catalog.database.transaction((m) => inventory.provision(m, { subscriberId, kind: 'MOBILE', partyType: 'INDIVIDUAL', tariffCode: 'BEELINE_M' }));
      await billing.database.transaction((m) => ledger.openAccount(m, { subscriberId, kind: 'MOBILE', partyType: 'INDIVIDUAL' }, { number: `KZ-7${String(i).padStart(8, '0')}`, creditLimitMinor: 1e12 }));
    }
    // On the tariff since before the stored usage began: the whole Almaty month is their allowance period.
    await catalog.database.dataSource.query(`UPDATE tariff_periods SET starts_at = ${sqlTime(since)} WHERE subscriber_id LIKE '00000000-0000-4000-a000-%'`);
    await catalog.database.dataSource.query(`UPDATE subscriber_lines SET tariff_since = ${sqlTime(since)} WHERE subscriber_id LIKE '00000000-0000-4000-a000-%'`);

    const fillSeconds = await prefill(detailing.database, now);
    console.log(`pre-fill: ${ROWS.toLocaleString('en')} rows in ${fillSeconds.toFixed(1)} s (${Math.round(ROWS / fillSeconds).toLocaleString('en')} rows/s, multi-row INSERTs)`);
    // A running system has rated those rows: the rated lines' allowance counters of this period hold what they took.
    // (Without them the first batch would build 2,000 counters from a million stored rows, a once-a-line start-up cost.)
    const periodStart = operatorMonth(now).start;
    const counterStarted = Date.now();
    await detailing.database.dataSource.query(
      `INSERT INTO usage_counters (subscriber_id, period_start, minutes, sms, megabytes, updated_at)
       SELECT subscriber_id, ${sqlTime(periodStart)}, SUM(CASE WHEN allowance_unit = 'MINUTES' THEN allowance_used ELSE 0 END), SUM(CASE WHEN allowance_unit = 'SMS' THEN allowance_used ELSE 0 END),
              SUM(CASE WHEN allowance_unit = 'MEGABYTES' THEN allowance_used ELSE 0 END), ${sqlTime(now)}
       FROM usage_records WHERE subscriber_id LIKE '00000000-0000-4000-a000-%' AND subscriber_id <= '${lineId(RATED_LINES - 1)}' AND started_at >= ${sqlTime(periodStart)} GROUP BY subscriber_id`,
    );
    console.log(`pre-fill: allowance counters of the ${RATED_LINES.toLocaleString('en')} rated lines for this period in ${((Date.now() - counterStarted) / 1000).toFixed(1)} s`);
    if (detailing.database.dialect === 'mariadb' && process.env.BENCH_SETTLE !== '0') {
      // The pre-fill leaves gigabytes of pages to write back, four times faster than ingestion makes them: measured
      // while the server flushes that backlog, ingestion measures the pre-fill. Wait (at most 3 minutes) until it has.
      const dirty = async () => Number((await detailing.database.dataSource.query("SHOW GLOBAL STATUS LIKE 'Innodb_buffer_pool_pages_dirty'"))[0].Value);
      const settleStarted = Date.now();
      const before = await dirty();
      while ((await dirty()) > 8_000 && Date.now() - settleStarted < 180_000) await new Promise((resolve) => setTimeout(resolve, 1_000));
      console.log(`pre-fill: ${before.toLocaleString('en')} dirty pages written back in ${((Date.now() - settleStarted) / 1000).toFixed(1)} s, ${(await dirty()).toLocaleString('en')} left (BENCH_SETTLE=0 skips the wait)`);
    }

    // 1. ingest + rate through the service's HTTP route
    const url = `${system.subgraphs.detailing.url}${ingestUsage.path}`;
    const requests = [];
    for (let n = 0; n < INGEST; n += BATCH) requests.push(Array.from({ length: Math.min(BATCH, INGEST - n) }, (_, k) => freshRecord(n + k, now.getTime())));
    const latencies = [];
    let accepted = 0;
    let rejected = 0;
    let nextRequest = 0;
    const started = Date.now();
    await Promise.all(
      Array.from({ length: CLIENTS }, async () => {
        while (nextRequest < requests.length) {
          const records = requests[nextRequest++];
          const t0 = process.hrtime.bigint();
          const outcome = await post(url, token, { records });
          latencies.push(Number(process.hrtime.bigint() - t0) / 1e6);
          accepted += outcome.accepted;
          rejected += outcome.rejected.length;
        }
      }),
    );
    const ingestSeconds = (Date.now() - started) / 1000;
    latencies.sort((a, b) => a - b);
    console.log(`ingest + rate: ${accepted.toLocaleString('en')} records in ${ingestSeconds.toFixed(1)} s = ${Math.round(accepted / ingestSeconds).toLocaleString('en')} records/s (goal ≥ 20 000); requests of ${BATCH}: p50 ${ms(percentile(latencies, 50))}, p99 ${ms(percentile(latencies, 99))}; refused ${rejected}`);
    if (accepted + rejected !== INGEST) throw new Error(`sent ${INGEST}, answered ${accepted + rejected}`);

    // The charge window (a minute) hands the line-days to billing, one ledger entry per line-day and window: flushed
    // here at once, so the figure below is billing's posting of them.
    await post(`${system.subgraphs.detailing.url}${flushUsageCharges.path}`, token, {});
    const pending = async () => Number((await detailing.database.dataSource.query('SELECT COUNT(*) AS n FROM usage_charge_totals WHERE pending = 1'))[0].n);
    const expected = async () => Number((await detailing.database.dataSource.query('SELECT COALESCE(SUM(postings), 0) AS n FROM usage_charge_totals'))[0].n);
    const postedUsage = () => billing.database.manager.createQueryBuilder(LedgerEntryEntity, 'e').where("e.reference LIKE 'usage:%'").getCount();
    let posted = await postedUsage();
    for (let i = 0; i < 1_200 && ((await pending()) > 0 || posted < (await expected())); i += 1) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      posted = await postedUsage();
    }
    const caughtUp = (Date.now() - started) / 1000 - ingestSeconds;
    console.log(`billing: ${posted.toLocaleString('en')} ledger entries (one per line, Almaty day and charge window) posted ${caughtUp.toFixed(1)} s after the last request (the window flushed then)`);

    // 2. usage pages through detailing's GraphQL
    const key = loadOrCreateSigningKey(join(dataDir, 'identity-jwt.pem'));
    const graphqlUrl = `${system.subgraphs.detailing.url}/graphql`;
    const query = `query ($r: [_Any!]!, $from: DateTime!, $to: DateTime!, $after: String) { _entities(representations: $r) { ... on Subscriber { usage(from: $from, to: $to, first: 20, after: $after) { edges { cursor node { id kind startedAt direction counterparty seconds bytes roaming charge { amount } description } } pageInfo { hasNextPage endCursor } } } } }`;
    const from = new Date(now.getTime() - 30 * DAY).toISOString();
    const to = now.toISOString();
    const ask = async (line, after, tokenOf) => {
      const response = await fetch(graphqlUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${tokenOf}`, 'x-internal-token': token },
        body: JSON.stringify({ query, variables: { r: [{ __typename: 'Subscriber', id: lineId(line) }], from, to, after } }),
      });
      const body = await response.json();
      if (body.errors) throw new Error(JSON.stringify(body.errors).slice(0, 300));
      return body.data._entities[0].usage;
    };
    const pageLatencies = [];
    let rows = 0;
    for (let q = -200; q < QUERIES; q += 1) {
      const line = Math.floor(Math.random() * LINES);
      const tokenOf = await signAccessToken(key, lineId(line));
      const first = q % 2 === 0;
      const cursor = first ? null : (await ask(line, null, tokenOf)).pageInfo.endCursor;
      const t0 = process.hrtime.bigint();
      const page = await ask(line, cursor, tokenOf);
      if (q >= 0) pageLatencies.push(Number(process.hrtime.bigint() - t0) / 1e6);
      rows += page.edges.length;
    }
    pageLatencies.sort((a, b) => a - b);
    console.log(`usage(first: 20) pages: ${QUERIES} (${Math.round(rows / (QUERIES + 200))} records a page on average), p50 ${ms(percentile(pageLatencies, 50))}, p95 ${ms(percentile(pageLatencies, 95))}, p99 ${ms(percentile(pageLatencies, 99))} (goal ≤ 20 ms)`);
  } finally {
    await stop();
  }
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
