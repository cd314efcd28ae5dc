#!/usr/bin/env node
/**
 * Broadcast of an operator notice (terms 2.8) to a large base: the identity subgraph runs for real on a fresh MariaDB
 * database (BENCH_DATABASE_URL, default mysql://root@127.0.0.1:3306/bench_identity_broadcast; a sqlite: URL works too),
 * seeded with BENCH_SUBSCRIBERS subscribers (default 100,000: 90% mobile, 10% home internet, a few terminated).
 * `broadcastNotice` is called through GraphQL with a staff token, as an operator would; the background worker then
 * delivers it in batches (IDENTITY_BROADCAST_BATCH_SIZE, default 1000). Prints the seeding time, the delivery time
 * (mutation answered → job DONE), subscribers per second, SQL statements and the notifications written.
 * Run after `npm run build`:  node bench/identity-broadcast.js
 */
'use strict';
const { randomUUID } = require('node:crypto');
const { mkdtempSync, rmSync } = require('node:fs');
const { tmpdir, cpus } = require('node:os');
const { join } = require('node:path');
const { DEMO_STAFF_ACCOUNTS, identityOptionsFromEnv } = require('@selfcare/identity');
const { BENCH_INTERNAL_TOKEN, startIdentity } = require('./support/identity');
const { SubscriberEntity } = require('../subgraphs/identity/dist/subscribers/subscriber.entity');
const { CabinetNotificationEntity, NoticeBroadcastEntity } = require('../subgraphs/identity/dist/notices/notice.entities');

const total = Number(process.env.BENCH_SUBSCRIBERS ?? 100_000);
// 1000 rows × 25 columns stays under SQLite's 32,766 bound parameters per statement.
const SEED_CHUNK = 1000;

async function dropMariaDb(url) {
  const parsed = new URL(url);
  const mysql = require('mysql2/promise');
  const connection = await mysql.createConnection({ host: parsed.hostname, port: Number(parsed.port || 3306), user: decodeURIComponent(parsed.username || 'root'), password: decodeURIComponent(parsed.password) });
  try {
    await connection.query(`DROP DATABASE IF EXISTS \`${parsed.pathname.replace(/^\//, '')}\``);
  } finally {
    await connection.end();
  }
}

async function seed(database) {
  const now = new Date();
  const started = Date.now();
  for (let offset = 0; offset < total; offset += SEED_CHUNK) {
    const rows = [];
    for (let i = offset; i < Math.min(total, offset + SEED_CHUNK); i += 1) {
      const home = i % 10 === 9;
      const msisdn = home ? null : `+7700${String(i).padStart(7, '0')}`;
      const terminated = i % 1000 === 500;
      rows.push({
        id: randomUUID(),
        kind: home ? 'HOME_INTERNET' : 'MOBILE',
        partyType: i % 50 === 0 ? 'LEGAL_ENTITY' : 'INDIVIDUAL',
        msisdn,
        login: msisdn ?? `2${String(i).padStart(9, '0')}`,
        language: ['RU', 'KK', 'EN'][i % 3],
        email: null,
        emailVerifiedAt: null,
        verifiedEmail: null,
        notifyBy: ['CABINET'],
        accessStatus: terminated ? 'TERMINATED' : 'ACTIVE',
        accessReason: terminated ? 'CONTRACT_ENDED' : null,
        accessChangedAt: now,
        debtOutstanding: false,
        registered: false,
        registeredAt: null,
        passwordKdf: null,
        passwordHash: null,
        passwordSetAt: null,
        pendingPasswordHash: null,
        pendingPasswordExpiresAt: null,
        contractEndedAt: terminated ? now : null,
        erasedAt: null,
        createdAt: now,
        updatedAt: now,
      });
    }
    await database.transaction((manager) => manager.createQueryBuilder().insert().into(SubscriberEntity).values(rows).updateEntity(false).execute());
  }
  return Date.now() - started;
}

async function graphql(url, query, variables, token) {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-internal-token': BENCH_INTERNAL_TOKEN, ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  const body = await response.json();
  if (body.errors) throw new Error(JSON.stringify(body.errors));
  return body.data;
}

async function main() {
  const dir = mkdtempSync(join(tmpdir(), 'bench-broadcast-'));
  let databaseUrl = process.env.BENCH_DATABASE_URL ?? 'mysql://root@127.0.0.1:3306/bench_identity_broadcast';
  // A server URL without a database (as the other benchmarks take it) gets this benchmark's own database.
  if (/^(mysql|mariadb):\/\/[^/]+\/?$/.test(databaseUrl)) databaseUrl = `${databaseUrl.replace(/\/$/, '')}/bench_identity_broadcast`;
  const mariadb = !databaseUrl.startsWith('sqlite');
  if (mariadb) await dropMariaDb(databaseUrl);
  // A broadcast without byEmail/bySms sends nothing: the transports refuse.
  const { broadcast } = identityOptionsFromEnv();
  const identity = await startIdentity({
    benchmark: 'broadcast',
    identity: { staffAccounts: DEMO_STAFF_ACCOUNTS, kdf: { log2N: 10, r: 8, p: 1 }, broadcast },
    databaseUrl: mariadb ? databaseUrl : `sqlite:${join(dir, 'identity.sqlite')}`,
    seedDemoData: false,
  });
  const { running } = identity;
  const database = running.runtime.database;
  try {
    const seedMs = await seed(database);
    const reachable = await database.manager.count(SubscriberEntity, { where: { accessStatus: 'ACTIVE' } });
    const operator = DEMO_STAFF_ACCOUNTS.find((a) => a.role === 'OPERATOR');
    const login = await graphql(running.graphqlUrl, 'mutation ($l: String!, $p: String!) { staffLogin(login: $l, password: $p) { accessToken } }', { l: operator.login, p: operator.password });
    const token = login.staffLogin.accessToken;

    const statementsBefore = database.counter.count;
    const started = process.hrtime.bigint();
    const queued = await graphql(
      running.graphqlUrl,
      'mutation ($t: String!, $b: String!) { broadcastNotice(title: $t, body: $b) { id status } }',
      { t: 'Плановые работы', b: 'В ночь на 1 декабря с 02:00 до 04:00 возможны перерывы связи.' },
      token,
    );
    const answeredMs = Number(process.hrtime.bigint() - started) / 1e6;
    const id = queued.broadcastNotice.id;
    let job;
    for (;;) {
      job = await database.manager.findOneBy(NoticeBroadcastEntity, { id });
      if (job.status === 'DONE') break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const deliveredMs = Number(process.hrtime.bigint() - started) / 1e6;
    const statements = database.counter.count - statementsBefore;
    const written = await database.manager.countBy(CabinetNotificationEntity, { dedupeKey: `broadcast:${id}` });
    if (written !== reachable || job.delivered !== reachable) throw new Error(`expected ${reachable} notifications, got ${written} (job says ${job.delivered})`);

    const batch = broadcast.batchSize;
    console.log(`identity broadcast benchmark (${cpus().length} CPU, ${mariadb ? 'MariaDB' : 'SQLite'})`);
    console.log(`  seeded ${total.toLocaleString('en')} subscribers in ${(seedMs / 1000).toFixed(1)} s (${reachable.toLocaleString('en')} with cabinet access)`);
    console.log(`  broadcastNotice answered in ${answeredMs.toFixed(0)} ms; delivery runs in the background, batches of ${batch}`);
    console.log(`  delivered to ${written.toLocaleString('en')} subscribers in ${(deliveredMs / 1000).toFixed(2)} s → ${Math.round(written / (deliveredMs / 1000)).toLocaleString('en')} subscribers/s`);
    console.log(`  worker time (job started → finished): ${((job.finishedAt - job.startedAt) / 1000).toFixed(2)} s; SQL statements: ${statements} (${(statements / Math.ceil(reachable / batch)).toFixed(1)} per batch)`);
  } finally {
    await identity.stop();
    if (mariadb && !process.env.BENCH_KEEP) await dropMariaDb(databaseUrl);
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
