#!/usr/bin/env node
/**
 * Subscriptions at scale: `balanceChanged` for BENCH_SUBSCRIBERS subscribers (default 200), each with an account of
 * its own, a token of its own and its own socket carrying BENCH_PER_SUBSCRIBER subscriptions (default 1). The whole
 * system runs in this process on SQLite (or MariaDB with BENCH_DATABASE_URL=mysql://root@127.0.0.1:3306); the
 * clients run in a child process (bench/support/subscribers.js) so their memory is not counted.
 * Then BENCH_ROUNDS rounds (default 3) post one charge to every account, at BENCH_RATE postings per second (default
 * 100, spread evenly; 0 = as fast as BENCH_CONCURRENCY=20 at a time allows), and each client takes the delivery time
 * from the entry's `at` to its arrival.
 * Prints: start-up time of the subscriptions, memory per subscription (RSS and heap of this process), billing SQL
 * statements while idle per safety-poll round, delivery p50/p99/max, statements per delivered event.
 *   npm run build && node --expose-gc bench/subscriptions.js
 *   BENCH_SUBSCRIBERS=10000 node --expose-gc bench/subscriptions.js   (the 10,000-subscriber target)
 */
'use strict';
const { fork } = require('node:child_process');
const { randomUUID } = require('node:crypto');
const { mkdtempSync, rmSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');
const { startSystem } = require('../gateway/dist/system');
const { loadOrCreateSigningKey } = require('../shared/dist');
const { signAccessToken } = require('../shared/dist/testing/platform');
const { createTestDatabase } = require('../shared/dist/testing/databases');
const { LedgerEntryKind, LedgerService } = require('../subgraphs/billing/dist');

const subscribers = Number(process.env.BENCH_SUBSCRIBERS ?? 200);
const perSubscriber = Number(process.env.BENCH_PER_SUBSCRIBER ?? 1);
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
const concurrency = Number(process.env.BENCH_CONCURRENCY ?? 20);
const rate = Number(process.env.BENCH_RATE ?? 100);
const safetyPollMs = Number(process.env.BENCH_SAFETY_POLL_MS ?? 1000);
const QUERY = 'subscription ($id: ID!) { balanceChanged(subscriberId: $id) { balance { amount } entry { at } cursor } }';

const mb = (bytes) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;
const gc = () => (global.gc ? global.gc() : undefined);

function percentile(sorted, p) {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

async function waitUntil(check, timeoutMs, what) {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function main() {
  const dataDir = mkdtempSync(join(tmpdir(), 'bench-subscriptions-'));
  const databases = [];
  const databaseUrls = {};
  if (process.env.BENCH_DATABASE_URL) {
    process.env.TEST_DATABASE_URL = process.env.BENCH_DATABASE_URL;
    for (const name of ['identity', 'catalog', 'billing', 'detailing', 'delegation']) {
      const db = await createTestDatabase(name);
      databases.push(db);
      databaseUrls[name] = db.url;
    }
  }
  const total = subscribers * perSubscriber;
  const system = await startSystem({
    gatewayPort: 0,
    subgraphPorts: { identity: 0, catalog: 0, billing: 0, detailing: 0, delegation: 0 },
    host: '127.0.0.1',
    dataDir,
    databaseUrls,
    logLevel: 'error',
    relayPollMs: 600_000,
    feedSafetyPollMs: safetyPollMs,
    subscriptions: { subscriptionsPerSocket: Math.max(50, perSubscriber), subscriptionsPerCaller: Math.max(100, perSubscriber), anonymousSocketsPerAddress: subscribers + 100 },
  });
  const billing = system.subgraphs.billing.runtime;
  const ledger = new LedgerService(billing.database, billing.outbox, billing.clock);
  const key = loadOrCreateSigningKey(join(dataDir, 'identity-jwt.pem'));
  const clientsProcess = fork(join(__dirname, 'support', 'subscribers.js'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  try {
    // Accounts of subscribers the bench makes up (billing opens accounts from identity's events; here directly).
    const accounts = [];
    for (let offset = 0; offset < subscribers; offset += 500) {
      await billing.database.transaction(async (manager) => {
        for (let i = offset; i < Math.min(subscribers, offset + 500); i += 1) {
          const subscriberId = randomUUID();
          const { account } = await ledger.openAccount(manager, { subscriberId, kind: 'MOBILE', partyType: 'INDIVIDUAL' }, { number: `KZ-9${String(i).padStart(8, '0')}` });
          accounts.push({ subscriberId, accountId: account.id });
        }
      });
    }
    const clients = accounts.map(({ subscriberId }) => ({ subscriberId, token: signAccessToken(key, subscriberId) }));

    gc();
    const before = process.memoryUsage();
    const started = Date.now();
    const ask = (message) =>
      new Promise((resolve) => {
        clientsProcess.once('message', resolve);
        clientsProcess.send(message);
      });
    const opened = await ask({ type: 'open', url: `${system.gatewayUrl}/graphql`, clients, perSubscriber, query: QUERY });
    if (opened.refused) throw new Error(`${opened.refused} sockets were refused`);
    await waitUntil(() => billing.feeds.followerCount >= total, 600_000, `${total} feeds on billing (${billing.feeds.followerCount})`);
    const startMs = Date.now() - started;
    gc();
    const after = process.memoryUsage();

    const rounds0 = billing.feeds.pollRounds;
    const statements0 = billing.database.counter.count;
    await waitUntil(() => billing.feeds.pollRounds >= rounds0 + 3, 60_000, 'three safety-poll rounds');
    const idleStatements = billing.database.counter.count - statements0;
    const idleRounds = billing.feeds.pollRounds - rounds0;

    await ask({ type: 'reset' });
    const statementsBefore = billing.database.counter.count;
    const postingStarted = Date.now();
    const due = Array.from({ length: rounds }, () => accounts).flat();
    let next = 0;
    const worker = async () => {
      while (next < due.length) {
        const index = next++;
        // Evenly spread: posting i is due at i / rate seconds.
        const wait = rate > 0 ? postingStarted + (index * 1000) / rate - Date.now() : 0;
        if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
        await billing.database.transaction((manager) =>
          ledger.post(manager, due[index].accountId, { kind: LedgerEntryKind.CHARGE, amountMinor: -1_00, description: { KK: 'bench', RU: 'bench', EN: 'bench' } }),
        );
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
    const postingSeconds = (Date.now() - postingStarted) / 1000;
    const postings = rounds * accounts.length;
    const expected = postings * perSubscriber;
    const delivered = await ask({ type: 'collect', expected, timeoutMs: 600_000 });
    // The postings' own statements are counted too (a posting is 4 or 5 statements).
    const deliveryStatements = billing.database.counter.count - statementsBefore;
    const latencies = delivered.latencies.sort((a, b) => a - b);

    const lines = [
      `subscriptions: ${subscribers} subscribers x ${perSubscriber} = ${total} (one socket each), database ${process.env.BENCH_DATABASE_URL ? 'MariaDB' : 'SQLite'}`,
      `  all live on billing after ${startMs} ms`,
      `  memory of the system process: RSS +${mb(after.rss - before.rss)} (${((after.rss - before.rss) / total / 1024).toFixed(1)} KB per subscription), heap +${mb(after.heapUsed - before.heapUsed)} (${((after.heapUsed - before.heapUsed) / total / 1024).toFixed(1)} KB per subscription)${global.gc ? '' : ' (run with --expose-gc for steadier figures)'}`,
      `  idle: ${idleStatements} billing statements over ${idleRounds} safety-poll rounds of ${safetyPollMs} ms`,
      `  ${postings} postings in ${postingSeconds.toFixed(1)} s (${(postings / postingSeconds).toFixed(0)}/s${rate > 0 ? `, paced at ${rate}/s` : `, ${concurrency} at a time`}); ${delivered.latencies.length}/${expected} events delivered`,
      `  delivery (entry.at → client): p50 ${percentile(latencies, 50)} ms, p99 ${percentile(latencies, 99)} ms, max ${latencies[latencies.length - 1]} ms`,
      `  billing statements per delivered event (the postings and their outbox relay rounds included): ${(deliveryStatements / Math.max(1, delivered.latencies.length)).toFixed(2)}`,
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
  } finally {
    clientsProcess.kill();
    await system.stop();
    for (const db of databases) await db.drop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((error) => {
  process.stderr.write(`${error.stack ?? error}\n`);
  process.exit(1);
});
