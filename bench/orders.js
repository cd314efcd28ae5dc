#!/usr/bin/env node
/**
 * Orders and ledger postings.
 *
 * 1. Orders through the gateway: BENCH_LINES lines (default 40), each with a client of its own changing its tariff
 *    back and forth (BEELINE_S ⇄ BEELINE_M, a 500.00 switch fee charged through billing each time) for BENCH_SECONDS
 *    (default 10), one order at a time per line. Prints orders/s, p50/p99 and the outcomes, then checks every account
 *    against its ledger and the orders (exact balance, one charge per completed order, no reference twice).
 * 2. Postings on one hot account: BENCH_CONNECTIONS (default 50) clients posting 1-tiyn charges to ONE account
 *    through billing's internal API (POST /internal/charges, funds checked), for BENCH_SECONDS each, first with one
 *    transaction (one row lock) per posting (BILLING_POSTING_BATCH=1), then with the postings that wait for the
 *    account batched into one transaction (the default, 100); each also in-process (the charge service called
 *    directly, no HTTP hop), the ledger's own rate. Prints postings/s, p50/p99 and checks the account each time.
 *
 * The system runs in this process (SQLite, or MariaDB with BENCH_DATABASE_URL=mysql://root@127.0.0.1:3306); the
 * clients run in child processes (bench/support/order-load.js, posting-load.js).
 *   npm run build && BENCH_DATABASE_URL=mysql://root@127.0.0.1:3306 node bench/orders.js
 */
'use strict';
const { fork } = require('node:child_process');
const { randomUUID } = require('node:crypto');
const { join } = require('node:path');
const { startBenchSystem } = require('./support/system');
const { createLogger, loadOrCreateSigningKey, runSubgraph } = require('../shared/dist');
const { signAccessToken } = require('../shared/dist/testing/platform');
const { AccountEntity, LedgerEntryEntity, LedgerEntryKind, LedgerService, createBillingSubgraph } = require('../subgraphs/billing/dist');
const { InventoryService, OfferService, ProductOrderEntity } = require('../subgraphs/catalog/dist');

const lines = Number(process.env.BENCH_LINES ?? 40);
const seconds = Number(process.env.BENCH_SECONDS ?? 10);
const connections = Number(process.env.BENCH_CONNECTIONS ?? 50);

function percentile(sorted, p) {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

function child(script, message) {
  return new Promise((resolve, reject) => {
    const process_ = fork(join(__dirname, 'support', script), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    process_.once('message', resolve);
    process_.once('exit', (code) => code !== 0 && reject(new Error(`${script} exited with ${code}`)));
    process_.send(message);
  });
}

/** `connections` callers posting 1-tiyn charges through the running billing's ChargeService, for `seconds`. */
async function runDirect(instance, subscriberId, connections, seconds) {
  const { ChargeService } = require('../subgraphs/billing/dist');
  const runtime = instance.runtime;
  const charges = new ChargeService(runtime.database, new LedgerService(runtime.database, runtime.outboxFor(require('../shared/dist').billingEvents), runtime.clock), runtime.clock, instance.postingBatch ?? 100);
  const latencies = [];
  let posted = 0;
  let n = 0;
  const deadline = Date.now() + seconds * 1000;
  await Promise.all(
    Array.from({ length: connections }, async () => {
      while (Date.now() < deadline) {
        const started = process.hrtime.bigint();
        const answer = await charges.charge({ subscriberId, reference: `direct-${process.pid}-${n++}`, kind: 'CHARGE', amountMinor: 1, description: { KK: 'bench', RU: 'bench', EN: 'bench' }, requireFunds: true });
        latencies.push(Number(process.hrtime.bigint() - started) / 1e6);
        if (answer.outcome === 'POSTED') posted += 1;
      }
    }),
  );
  latencies.sort((a, b) => a - b);
  return { posted, failed: 0, p50: Math.round(percentile(latencies, 50)), p99: Math.round(percentile(latencies, 99)) };
}

/** balance = Σ amounts, each balanceAfter the running sum, seq 1, 2, 3…; no reference twice (also a unique index). */
async function checkLedger(manager, accountId) {
  const account = await manager.findOneByOrFail(AccountEntity, { id: accountId });
  const entries = await manager.find(LedgerEntryEntity, { where: { accountId }, order: { seq: 'ASC' } });
  let running = 0;
  entries.forEach((entry, i) => {
    running += entry.amountMinor;
    if (entry.seq !== i + 1 || entry.balanceAfterMinor !== running) throw new Error(`account ${account.number}: entry ${entry.seq} breaks the ledger`);
  });
  if (running !== account.balanceMinor) throw new Error(`account ${account.number}: balance ${account.balanceMinor}, entries ${running}`);
  const references = entries.map((e) => e.reference).filter(Boolean);
  if (new Set(references).size !== references.length) throw new Error(`account ${account.number}: a reference twice`);
  return { account, entries };
}

async function main() {
  const { system, dataDir, stop } = await startBenchSystem('orders', {
    billing: { feeRunIntervalMs: 0 },
  });

  const extra = [];
  try {
    const catalog = system.subgraphs.catalog.runtime;
    const billing = system.subgraphs.billing.runtime;
    const ledger = new LedgerService(billing.database, billing.outboxFor(require('../shared/dist').billingEvents), billing.clock);
    const inventory = new InventoryService(catalog.database, catalog.accessPolicy, new OfferService(catalog.database), catalog.clock, catalog.logger);
    const key = loadOrCreateSigningKey(join(dataDir, 'identity-jwt.pem'));

    // Lines the bench makes up, as identity's SubscriberProvisioned would: a catalog line on BEELINE_M and an account
    // with 100 000.00 KZT.
    const clients = [];
    for (let i = 0; i < lines; i += 1) {
      const subscriberId = randomUUID();
      await catalog.database.transaction((m) => inventory.provision(m, { subscriberId, kind: 'MOBILE', partyType: 'INDIVIDUAL', tariffCode: 'BEELINE_M' }));
      await billing.database.transaction(async (m) => {
        const { account } = await ledger.openAccount(m, { subscriberId, kind: 'MOBILE', partyType: 'INDIVIDUAL' }, { number: `KZ-8${String(i).padStart(8, '0')}` });
        await ledger.post(m, account.id, { kind: LedgerEntryKind.PAYMENT, amountMinor: 10_000_000, description: { KK: 'bench', RU: 'bench', EN: 'bench' } });
      });
      clients.push({ subscriberId, token: await signAccessToken(key, subscriberId) });
    }

    const names = ['identity', 'catalog', 'billing', 'detailing', 'delegation'];
    const statements = () => Object.fromEntries(names.map((n) => [n, system.subgraphs[n].runtime.database.counter.count]));
    const statementsBefore = statements();
    const orders = await child('order-load.js', { url: `${system.gatewayUrl}/graphql`, clients, durationMs: seconds * 1000 });
    const latencies = orders.latencies.sort((a, b) => a - b);
    // Orders an answer left IN_PROGRESS finish on their own; wait for them before checking.
    for (let i = 0; i < 100; i += 1) {
      const open = await catalog.database.manager.count(ProductOrderEntity, { where: [{ status: 'ACKNOWLEDGED' }, { status: 'IN_PROGRESS' }] });
      if (open === 0) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    // Statements per order, each service's (its consumers and relay included: identity stores the order's activity
    // entry and notice).
    const statementsAfter = statements();
    const perOrder = names
      .map((n) => [n, (statementsAfter[n] - statementsBefore[n]) / Math.max(1, orders.latencies.length)])
      .filter(([, v]) => v > 0.05)
      .map(([n, v]) => `${n} ${v.toFixed(1)}`)
      .join(', ');
    let completed = 0;
    for (const { subscriberId } of clients) {
      const account = await billing.database.manager.findOneByOrFail(AccountEntity, { subscriberId });
      const { entries } = await checkLedger(billing.database.manager, account.id);
      const done = await catalog.database.manager.count(ProductOrderEntity, { where: { subscriberId, status: 'COMPLETED' } });
      const charges = entries.filter((e) => e.kind === 'CHARGE').length;
      const refunds = entries.filter((e) => e.kind === 'REFUND').length;
      if (charges - refunds !== done) throw new Error(`line ${subscriberId}: ${done} orders completed, ${charges} charges and ${refunds} refunds`);
      if (account.balanceMinor !== 10_000_000 - 50_000 * done) throw new Error(`line ${subscriberId}: balance ${account.balanceMinor} after ${done} switches`);
      completed += done;
    }

    // Postings on one hot account, one row lock per posting, then batched.
    const hot = [];
    for (const [label, postingBatch] of [
      ['one transaction per posting', 1],
      ['batched per account (default)', 100],
    ]) {
      // billing started again on its database with this setting (one billing per process: one consumer group).
      await system.subgraphs.billing.stop();
      const definition = createBillingSubgraph({ postingBatch, feeRunIntervalMs: 0 });
      const instance = await runSubgraph(definition, system.platform, {
        port: 0,
        host: '127.0.0.1',
        databaseUrl: billing.database.options.url,
        migrateOnOpen: true,
        seedDemoData: false,
        logger: createLogger('billing', 'error'),
      });
      extra.push(instance);
      const subscriberId = randomUUID();
      const opening = 1_000_000_000;
      const { account } = await instance.runtime.database.transaction(async (m) => {
        const opened = await ledger.openAccount(m, { subscriberId, kind: 'MOBILE', partyType: 'LEGAL_ENTITY' }, { number: `KZ-7000000${postingBatch === 1 ? '01' : '02'}` });
        await ledger.post(m, opened.account.id, { kind: LedgerEntryKind.PAYMENT, amountMinor: opening, description: { KK: 'bench', RU: 'bench', EN: 'bench' } });
        return opened;
      });
      const result = await child('posting-load.js', { url: instance.url, token: system.platform.internalToken, subscriberId, connections, duration: seconds, prefix: `bench-${postingBatch}` });
      // The load generator reports when its time is up; requests still in flight are posted after that.
      for (let last = -1; ; ) {
        const { lastEntrySeq } = await instance.runtime.database.manager.findOneByOrFail(AccountEntity, { id: account.id });
        if (lastEntrySeq === last) break;
        last = lastEntrySeq;
        await new Promise((resolve) => setTimeout(resolve, 300));
      }
      const { account: after, entries } = await checkLedger(instance.runtime.database.manager, account.id);
      const posted = entries.length - 1;
      if (after.balanceMinor !== opening - posted) throw new Error(`hot account: balance ${after.balanceMinor}, ${posted} postings`);
      hot.push({ label, postingBatch, ...result, posted, seconds });

      // The same ledger without the HTTP hop: the charge service called in-process by as many callers at once.
      const direct = await runDirect({ runtime: instance.runtime, postingBatch }, subscriberId, connections, seconds);
      const { account: afterDirect, entries: all } = await checkLedger(instance.runtime.database.manager, account.id);
      if (afterDirect.balanceMinor !== opening - (all.length - 1)) throw new Error('hot account: balance not exact after the in-process run');
      hot.push({ label: `${label}, in-process`, postingBatch, ...direct, seconds });
      await instance.stop();
    }

    const db = process.env.BENCH_DATABASE_URL ? 'MariaDB' : 'SQLite';
    process.stdout.write(
      [
        `orders through the gateway (${db}): ${lines} lines, one client each, ${seconds} s`,
        `  ${orders.latencies.length} orders, ${(orders.latencies.length / seconds).toFixed(1)} orders/s, p50 ${percentile(latencies, 50).toFixed(0)} ms, p99 ${percentile(latencies, 99).toFixed(0)} ms; outcomes ${JSON.stringify(orders.outcomes)}`,
        `  SQL statements per order: ${perOrder}`,
        `  every account checked: exact balance, one charge per completed order (${completed}), no reference twice`,
        `postings on one hot account (${db}): ${connections} clients, POST /internal/charges, funds checked`,
        ...hot.map(
          (h) =>
            `  ${h.label.padEnd(44)} ${(h.posted / h.seconds).toFixed(0).padStart(6)} postings/s, p50 ${h.p50} ms, p99 ${h.p99} ms (${h.posted} posted, ${h.failed} failed requests); balance exact`,
        ),
        '',
      ].join('\n'),
    );
  } finally {
    for (const instance of extra) await instance.stop();
    await stop();
  }
}

main().catch((error) => {
  process.stderr.write(`${error.stack ?? error}\n`);
  process.exit(1);
});
