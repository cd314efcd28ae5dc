#!/usr/bin/env node
/**
 * Subscriptions at scale: `balanceChanged` for BENCH_SUBSCRIBERS subscribers (default 200), each with an account of
 * its own, over BENCH_SOCKETS sockets (default one per subscriber). With fewer sockets, each socket is one
 * subscriber's (its own token) watching its own number and the numbers it manages (ACTIVE grants written into
 * delegation's table: BENCH_SUBSCRIBERS / BENCH_SOCKETS numbers per socket); each number BENCH_PER_SUBSCRIBER times
 * (default 1). The whole system runs in this process on SQLite (or MariaDB with
 * BENCH_DATABASE_URL=mysql://root@127.0.0.1:3306); the clients run in a child process (bench/support/subscribers.js)
 * so their memory is not counted, and the postings come from another (bench/support/posting-generator.js, billing's
 * POST /internal/charges as catalog's orders post them).
 * Each account starts with 10,000.00 (a payment). Then BENCH_ROUNDS rounds (default 3) post one 1.00 charge to every account, at BENCH_RATE postings per second
 * (default 100, spread evenly; 0 = as fast as BENCH_CONCURRENCY=20 at a time allows), and each client takes the
 * delivery time from the entry's `at` to its arrival and checks each subscription's events (every balance 1.00 less
 * than the one before, no cursor twice).
 * Prints: start-up time of the subscriptions, memory per subscription (RSS and heap of this process), billing SQL
 * statements while idle per safety-poll round, delivery p50/p99/max, events lost or repeated, statements per event
 * (on MariaDB, also the server's count of statements per posting, all services together), the machine's speed.
 *   npm run build && node --expose-gc bench/subscriptions.js
 *   BENCH_SUBSCRIBERS=10000 BENCH_SOCKETS=2000 BENCH_RATE=1000 BENCH_ROUNDS=1 node --expose-gc bench/subscriptions.js
 *   (the 10,000-subscriber target; npm run bench runs it after bench/cabinet.js)
 */
'use strict';
const { fork } = require('node:child_process');
const { randomUUID } = require('node:crypto');
const { join } = require('node:path');
const { startBenchSystem } = require('./support/system');
const { freePort, prepareRun, rssOf } = require('./support/distributed');
const { loopMs } = require('./support/machine-speed');
const { startSystem, SUBGRAPH_NAMES } = require('../gateway/dist/system');
const { drainOutbox } = require('../shared/dist/testing/outbox');
const { billingEvents, loadOrCreateSigningKey } = require('../shared/dist');
const { signAccessToken } = require('../shared/dist/testing/platform');
const { LedgerService, LineEntity } = require('../subgraphs/billing/dist');
const { ManagementRequestEntity, ManagementStatus } = require('../subgraphs/delegation/dist');

const subscribers = Number(process.env.BENCH_SUBSCRIBERS ?? 200);
const socketCount = Math.min(subscribers, Number(process.env.BENCH_SOCKETS ?? subscribers));
const perSocket = Math.ceil(subscribers / socketCount);
/** Sockets opening at a time (BENCH_HANDSHAKES, default 100). */
const handshakes = Number(process.env.BENCH_HANDSHAKES ?? 100);
const perSubscriber = Number(process.env.BENCH_PER_SUBSCRIBER ?? 1);
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
const concurrency = Number(process.env.BENCH_CONCURRENCY ?? 20);
const rate = Number(process.env.BENCH_RATE ?? 100);
const safetyPollMs = Number(process.env.BENCH_SAFETY_POLL_MS ?? 1000);
/** BENCH_DISTRIBUTED=1: the gateway and the subgraphs as the distributed mode runs them, each in a process of its own. */
const distributed = process.env.BENCH_DISTRIBUTED === '1';
const QUERY = 'subscription ($id: ID!) { balanceChanged(subscriberId: $id) { balance { amount } entry { at } cursor } }';

const mb = (bytes) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;
const gc = () => (global.gc ? global.gc() : undefined);

function percentile(sorted, p) {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

/** MariaDB's count of statements its clients sent (every service's; the few of this bench too), or null on SQLite. */
async function mariaDbQuestions() {
  const url = process.env.BENCH_DATABASE_URL;
  if (!url) return null;
  const mysql = require('mysql2/promise');
  const parsed = new URL(url);
  const connection = await mysql.createConnection({ host: parsed.hostname, port: Number(parsed.port || 3306), user: decodeURIComponent(parsed.username || 'root'), password: decodeURIComponent(parsed.password) });
  try {
    const [rows] = await connection.query("SHOW GLOBAL STATUS LIKE 'Questions'");
    return Number(rows[0].Value);
  } finally {
    await connection.end();
  }
}

async function waitUntil(check, timeoutMs, what) {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function main() {
  const total = subscribers * perSubscriber;
  const caps = { subscriptionsPerSocket: Math.max(50, perSubscriber * perSocket), subscriptionsPerCaller: Math.max(100, perSubscriber * perSocket), anonymousSocketsPerAddress: subscribers + 100 };
  // Distributed: the databases of a run of its own, seeded by the all-in-one system here, which then stops.
  const run = distributed ? await prepareRun('subscriptions') : null;
  const { system, dataDir, stop } = run
    ? { system: await startSystem({ gatewayPort: 0, subgraphPorts: Object.fromEntries(SUBGRAPH_NAMES.map((n) => [n, 0])), host: '127.0.0.1', dataDir: run.dataDir, databaseUrls: run.databaseUrls, logLevel: 'error', relayPollMs: 600_000, billing: { feeRunIntervalMs: 0 } }), dataDir: run.dataDir, stop: () => run.cleanUp() }
    : await startBenchSystem('subscriptions', { relayPollMs: 600_000, feedSafetyPollMs: safetyPollMs, subscriptions: caps });

  let billing = system.subgraphs.billing.runtime;
  const ledger = new LedgerService(billing.database, billing.outboxFor(billingEvents), billing.clock);
  const key = loadOrCreateSigningKey(join(dataDir, 'identity-jwt.pem'));
  const clientsProcess = fork(join(__dirname, 'support', 'subscribers.js'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  let systemStopped = false;
  try {
    // Accounts of subscribers the bench makes up (billing opens accounts from identity's events; here directly).
    const accounts = [];
    for (let offset = 0; offset < subscribers; offset += 500) {
      await billing.database.transaction(async (manager) => {
        for (let i = offset; i < Math.min(subscribers, offset + 500); i += 1) {
          const subscriberId = randomUUID();
          const { account } = await ledger.openAccount(manager, { subscriberId, kind: 'MOBILE', partyType: 'INDIVIDUAL' }, { number: `KZ-9${String(i).padStart(8, '0')}` });
          // A topped-up balance, as most subscribers have: the charges below are ordinary ones, not debt (terms 3.3).
          await ledger.post(manager, account.id, { amountMinor: 1_000_000, kind: 'PAYMENT', description: { KK: 'bench', RU: 'bench', EN: 'bench' }, reference: `bench-topup:${subscriberId}` });
          // billing's view of the line, as identity's SubscriberProvisioned gives it (else billing fills it in from
          // identity at its next start, 10,000 lookups while the postings run).
          await manager.insert(LineEntity, { subscriberId, msisdn: `+7709${String(i).padStart(7, '0')}`, language: 'RU', ended: false, updatedAt: new Date() });
          accounts.push({ subscriberId, accountId: account.id });
        }
      });
    }
    // A socket per group of perSocket numbers: the group's first subscriber's, managing the others (terms 5.6.7 done).
    const groups = [];
    for (let i = 0; i < accounts.length; i += perSocket) groups.push(accounts.slice(i, i + perSocket));
    if (perSocket > 1) {
      const delegation = system.subgraphs.delegation.runtime.database;
      const now = new Date();
      for (let g = 0; g < groups.length; g += 200) {
        await delegation.transaction(async (manager) => {
          for (const group of groups.slice(g, g + 200)) {
            for (const [n, owned] of group.slice(1).entries()) {
              const msisdn = `+7709${String(groups.indexOf(group)).padStart(5, '0')}${n}`;
              await manager.insert(ManagementRequestEntity, {
                id: randomUUID(), status: ManagementStatus.ACTIVE, requesterId: group[0].subscriberId, requesterMsisdn: null, ownerMsisdn: msisdn, ownerId: owned.subscriberId,
                channel: 'WEB', openKey: `${group[0].subscriberId}:${msisdn}`, confirmationFailures: 0, confirmedAt: now, confirmedVia: 'CABINET', activatedAt: now, createdAt: now, updatedAt: now,
              });
            }
          }
        });
      }
    }
    const clients = await Promise.all(groups.map(async (group) => ({ subscriberIds: group.map((a) => a.subscriberId), token: await signAccessToken(key, group[0].subscriberId) })));

    // The gateway and the billing process measured: this one, or (distributed) their own processes.
    let gatewayUrl = system.gatewayUrl;
    let billingUrl = system.subgraphs.billing.url;
    let internalToken = system.platform.internalToken;
    let followers = async () => billing.feeds.followerCount;
    let memory = () => {
      gc();
      const usage = process.memoryUsage();
      return { rss: usage.rss, heap: usage.heapUsed };
    };
    let gatewayPid = process.pid;
    if (run) {
      // The seed's events handed on before the system stops; then the processes of the distributed mode.
      for (const name of SUBGRAPH_NAMES) await drainOutbox(system.subgraphs[name].runtime.database, 120_000);
      await system.stop();
      systemStopped = true;
      billing = null;
      const started = await run.startSubgraphs((name) => (name === 'billing' ? { FEED_SAFETY_POLL_MS: String(safetyPollMs) } : {}));
      internalToken = started.internalToken;
      billingUrl = started.urls.billing;
      const port = await freePort();
      const gateway = run.spawn('gateway', 'gateway/dist/main.js', {
        ...started.env,
        GATEWAY_PORT: String(port),
        GATEWAY_HOST: '127.0.0.1',
        GATEWAY_WS_SUBSCRIPTIONS_PER_SOCKET: String(caps.subscriptionsPerSocket),
        GATEWAY_WS_SUBSCRIPTIONS_PER_SUBSCRIBER: String(caps.subscriptionsPerCaller),
        GATEWAY_WS_ANONYMOUS_SOCKETS_PER_ADDRESS: String(caps.anonymousSocketsPerAddress),
      });
      gatewayPid = gateway.pid;
      gatewayUrl = `http://127.0.0.1:${port}`;
      await run.ready(`${gatewayUrl}/readyz`, 'gateway');
      followers = async () => {
        const text = await fetch(`${billingUrl}/metrics`, { headers: { authorization: `Bearer ${internalToken}` } }).then((r) => r.text());
        const match = /^live_feed_followers(?:\{[^}]*\})? (\d+)/m.exec(text);
        return match ? Number(match[1]) : 0;
      };
      memory = () => ({ rss: rssOf(gatewayPid), heap: NaN });
    }

    // The machine's speed with the system idle, before the sockets open and after every event arrived.
    const speedBefore = loopMs();
    const before = memory();
    const started = Date.now();
    const ask = (message) =>
      new Promise((resolve) => {
        clientsProcess.once('message', resolve);
        clientsProcess.send(message);
      });
    const opened = await ask({ type: 'open', url: `${gatewayUrl}/graphql`, clients, perSubscriber, query: QUERY, handshakes: handshakes });
    if (opened.refused) throw new Error(`${opened.refused} sockets were refused`);
    // Every subscription live on billing, or the first refused one stops the bench (a refusal is an answer, not a wait).
    const openDeadline = Date.now() + 600_000;
    while ((await followers()) < total) {
      const refusals = await ask({ type: 'refusals' });
      if (refusals.count) throw new Error(`${refusals.count} subscriptions were refused or ended, e.g. ${refusals.first}`);
      if (Date.now() > openDeadline) throw new Error(`timed out waiting for ${total} feeds on billing (${await followers()})`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    const startMs = Date.now() - started;
    // Settled: the sockets' handshakes and first reads done.
    await new Promise((resolve) => setTimeout(resolve, 2000));
    const after = memory();

    let idleLine = '  idle: billing statements are counted with the system in this process only';
    if (billing) {
      const rounds0 = billing.feeds.pollRounds;
      const statements0 = billing.database.counter.count;
      await waitUntil(() => billing.feeds.pollRounds >= rounds0 + 3, 60_000, 'three safety-poll rounds');
      idleLine = `  idle: ${billing.database.counter.count - statements0} billing statements over ${billing.feeds.pollRounds - rounds0} safety-poll rounds of ${safetyPollMs} ms`;
    }

    await ask({ type: 'reset' });
    const questionsBefore = await mariaDbQuestions();
    const statementsBefore = billing?.database.counter.count ?? 0;
    // Evenly spread: posting i is due at i / rate seconds; from a process of its own, over billing's internal API.
    const posted = await new Promise((resolve, reject) => {
      const generator = fork(join(__dirname, 'support', 'posting-generator.js'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
      generator.once('message', resolve);
      generator.once('exit', (code) => code !== 0 && reject(new Error(`posting generator exited with ${code}`)));
      generator.send({ url: billingUrl, token: internalToken, subscriberIds: accounts.map((a) => a.subscriberId), rounds, rate, concurrency, prefix: `bench-${process.pid}` });
    });
    if (posted.failed) throw new Error(`${posted.failed} postings were refused`);
    const postingSeconds = posted.seconds;
    const postings = rounds * accounts.length;
    const expected = postings * perSubscriber;
    if (posted.late) process.stdout.write(`  (${posted.late} postings left more than 100 ms after they were due: the generator could not keep the rate)\n`);
    const delivered = await ask({ type: 'collect', expected, timeoutMs: 600_000 });
    const speedAfter = loopMs();
    const questionsAfter = await mariaDbQuestions();
    // The postings' own statements are counted too (a posting is 4 or 5 statements).
    const deliveryStatements = billing ? billing.database.counter.count - statementsBefore : NaN;
    const latencies = delivered.latencies.sort((a, b) => a - b);

    const perSubscription = (bytes) => `${((bytes) / total / 1024).toFixed(1)} KB per subscription`;
    const lines = [
      `subscriptions: ${subscribers} subscribers x ${perSubscriber} = ${total} over ${clients.length} sockets (${perSocket} numbers each${perSocket > 1 ? ': own and managed' : ''}), database ${run ? run.database : process.env.BENCH_DATABASE_URL ? 'MariaDB' : 'SQLite'}, ${run ? 'distributed (the gateway and each subgraph in a process of its own, Redis bus)' : 'the all-in-one system in one process'}`,
      `  all live on billing after ${startMs} ms`,
      run
        ? `  memory of the gateway process: RSS +${mb(after.rss - before.rss)} (${perSubscription(after.rss - before.rss)}), ${mb(after.rss)} in all`
        : `  memory of the system process: RSS +${mb(after.rss - before.rss)} (${perSubscription(after.rss - before.rss)}), heap +${mb(after.heap - before.heap)} (${perSubscription(after.heap - before.heap)})${global.gc ? '' : ' (run with --expose-gc for steadier figures)'}`,
      idleLine,
      `  ${postings} postings in ${postingSeconds.toFixed(1)} s (${(postings / postingSeconds).toFixed(0)}/s${rate > 0 ? `, paced at ${rate}/s` : `, ${concurrency} at a time`}); ${delivered.latencies.length}/${expected} events delivered`,
      `  delivery (entry.at → client): p50 ${percentile(latencies, 50)} ms, p99 ${percentile(latencies, 99)} ms, max ${latencies[latencies.length - 1]} ms`,
      `  events lost: ${expected - delivered.latencies.length} (${delivered.gaps} gaps in a subscription's balances), repeated: ${delivered.repeats}; ${delivered.streams}/${total} subscriptions had events, the fewest ${delivered.fewest}/${rounds}; ${delivered.refusals} subscriptions refused or ended${delivered.firstRefusal ? ` (the first: ${delivered.firstRefusal})` : ""}`,
      ...(questionsBefore !== null && questionsAfter !== null
        ? [`  MariaDB statements while the postings were posted and delivered, all services (its Questions counter): ${questionsAfter - questionsBefore}, ${((questionsAfter - questionsBefore) / postings).toFixed(2)} per posting`]
        : []),
      `  machine speed (a fixed loop, bench/support/machine-speed.js): ${speedBefore.toFixed(0)} ms before the sockets opened, ${speedAfter.toFixed(0)} ms after the last event`,
      ...(billing ? [`  billing statements per delivered event (the postings and their outbox relay rounds included): ${(deliveryStatements / Math.max(1, delivered.latencies.length)).toFixed(2)}`] : []),
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
  } finally {
    clientsProcess.kill();
    if (run && !systemStopped) await system.stop();
    await stop();
  }
}

main().catch((error) => {
  process.stderr.write(`${error.stack ?? error}\n`);
  process.exit(1);
});
