#!/usr/bin/env node
/**
 * Soak: the distributed mode (migrate CLI, then the gateway, the five subgraphs, the SMS centre and the sandbox card
 * provider each as its own process; Redis Streams on 127.0.0.1:6379 under a key prefix of its own; SQLite files, or
 * MariaDB databases of its own with SOAK_DATABASE_URL=mysql://root@127.0.0.1:3306) under mixed load for SOAK_MINUTES
 * (default 30): logins, the home screen, tariff changes (orders charging a switch fee), card payments and
 * balanceChanged subscriptions, from SOAK_LINES subscribers (default 8). Every SOAK_KILL_EVERY minutes (default 5)
 * one subgraph, in turn, is killed (SIGKILL) and started again. Afterwards it checks the ledger invariants (balance =
 * sum of entries, one charge per COMPLETED order, one credit per SUCCEEDED payment, no order left open) and that every
 * outbox event was applied exactly once by every consumer, and prints each process's RSS over time.
 *   npm run build && SOAK_MINUTES=6 SOAK_KILL_EVERY=2 node bench/soak.js
 * Exit code 1 when an invariant fails or a request got HTTP 5xx.
 */
const { spawn, spawnSync } = require('node:child_process');
const { randomBytes, randomUUID, generateKeyPairSync } = require('node:crypto');
const { mkdtempSync, readFileSync, rmSync } = require('node:fs');
const { freePort } = require('./support/distributed');
const { tmpdir } = require('node:os');
const { join } = require('node:path');
const Redis = require('ioredis');
const WebSocket = require('ws');
const { createClient } = require('graphql-ws');
const { Database, OutboxEventEntity, InboxEventEntity, systemClock } = require('../shared/dist');
const { catalogEntities, catalogMigrations, loadDemoOffers } = require('../subgraphs/catalog/dist');

const MINUTES = Number(process.env.SOAK_MINUTES ?? 30);
const KILL_EVERY = Number(process.env.SOAK_KILL_EVERY ?? 5);
const LINES = Number(process.env.SOAK_LINES ?? 8);
const DATABASE_URL = process.env.SOAK_DATABASE_URL;
const SUBGRAPHS = ['identity', 'catalog', 'billing', 'detailing', 'delegation'];
const root = join(__dirname, '..');
const pause = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function rssKb(pid) {
  try {
    const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith('VmRSS:'));
    return line ? Number(/(\d+)/.exec(line)[1]) : undefined;
  } catch {
    return undefined;
  }
}

async function main() {
  const dataDir = mkdtempSync(join(tmpdir(), 'selfcare-soak-'));
  const prefix = `soak${process.pid}:`;
  const ports = {};
  for (const n of [...SUBGRAPHS, 'gateway', 'sms', 'cards']) ports[n] = await freePort();
  const gatewayUrl = `http://127.0.0.1:${ports.gateway}`;
  const smsUrl = `http://127.0.0.1:${ports.sms}`;
  const cardsUrl = `http://127.0.0.1:${ports.cards}`;
  const databaseUrls = Object.fromEntries(SUBGRAPHS.map((n) => [n, DATABASE_URL ? `${DATABASE_URL.replace(/\/$/, '')}/soak_${process.pid}_${n}` : `sqlite:${join(dataDir, `${n}.sqlite`)}`]));
  const cardSecret = randomBytes(16).toString('hex');
  const env = {
    PATH: process.env.PATH,
    NODE_ENV: 'test',
    LOG_LEVEL: 'error',
    REDIS_URL: 'redis://127.0.0.1:6379',
    REDIS_KEY_PREFIX: prefix,
    SMS_CENTRE_URL: `${smsUrl}/dev/sms-centre`,
    SMS_CENTRE_SECRET: randomBytes(16).toString('hex'),
    SMTP_URL: 'smtp://127.0.0.1:9', // nobody sets an e-mail in this load
    INTERNAL_API_TOKEN: randomBytes(24).toString('hex'),
    PUBLIC_URL: gatewayUrl,
    RELAY_POLL_MS: '200',
    CATALOG_ORDER_LEASE_SECONDS: '5',
    CATALOG_ORDER_RECOVERY_SECONDS: '2',
    PAYMENT_RECONCILE_INTERVAL_MS: '1000',
    GATEWAY_WS_RESUME_SECONDS: '30',
    ...Object.fromEntries(SUBGRAPHS.map((n) => [`${n.toUpperCase()}_URL`, `http://127.0.0.1:${ports[n]}`])),
  };
  const migrate = spawnSync(process.execPath, [join(root, 'gateway/dist/migrate-cli.js')], {
    env: { ...env, ...Object.fromEntries(SUBGRAPHS.map((n) => [`${n.toUpperCase()}_DATABASE_URL`, databaseUrls[n]])) },
    encoding: 'utf8',
  });
  if (migrate.status !== 0) throw new Error(`migrate failed: ${migrate.stderr}`);

  const processes = new Map();
  const specs = {
    'sms-centre': ['gateway/dist/dev/sms-centre-server.js', { SMS_CENTRE_PORT: String(ports.sms), INBOUND_WEBHOOK_URL: `${gatewayUrl}/sms/inbound` }],
    'card-provider': ['gateway/dist/dev/card-provider-server.js', { CARD_PROVIDER_PORT: String(ports.cards), PAYMENT_PROVIDER_SECRET: cardSecret, WEBHOOK_URL: `${gatewayUrl}/payments/webhook`, CARD_PROVIDER_PUBLIC_URL: cardsUrl }],
    identity: ['subgraphs/identity/dist/main.js', {
      IDENTITY_PORT: String(ports.identity), IDENTITY_DATABASE_URL: databaseUrls.identity, IDENTITY_KDF_LOG2_N: '10',
      IDENTITY_JWT_PRIVATE_KEY: generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8' }),
      STAFF_ACCOUNTS: JSON.stringify([{ login: 'ops', role: 'ADMIN', password: 'Ops-Soak-2026!' }]),
      // the load logs in again and again from one address
      IDENTITY_LOGIN_MAX_FAILURES_PER_ADDRESS: '100000', IDENTITY_PASSWORD_REQUESTS_PER_ADDRESS_PER_HOUR: '100000',
    }],
    ...Object.fromEntries(SUBGRAPHS.filter((n) => n !== 'identity').map((n) => [n, [`subgraphs/${n}/dist/main.js`, {
      [`${n.toUpperCase()}_PORT`]: String(ports[n]), [`${n.toUpperCase()}_DATABASE_URL`]: databaseUrls[n],
      ...(n === 'billing' ? { PAYMENT_PROVIDER_URL: cardsUrl, PAYMENT_PROVIDER_SECRET: cardSecret } : {}),
    }]])),
    gateway: ['gateway/dist/main.js', { GATEWAY_PORT: String(ports.gateway) }],
  };
  const rss = new Map(); // name → [{ t, kb, pid }]
  const start = (name) => {
    const [script, extra] = specs[name];
    const child = spawn(process.execPath, [join(root, script)], { env: { ...env, ...extra }, stdio: ['ignore', 'ignore', 'pipe'] });
    const tail = [];
    child.stderr.on('data', (c) => { tail.push(String(c)); if (tail.length > 50) tail.shift(); });
    processes.set(name, { child, tail });
  };
  const kill = async (name) => {
    const { child } = processes.get(name);
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  };
  const baseOf = (name) => (name === 'gateway' ? gatewayUrl : env[`${name.toUpperCase()}_URL`]);
  const ready = async (name) => {
    const deadline = Date.now() + 90_000;
    while (Date.now() < deadline) {
      if (await fetch(`${baseOf(name)}/readyz`).then((r) => r.ok).catch(() => false)) return;
      await pause(200);
    }
    throw new Error(`${name} not ready: ${processes.get(name).tail.join('')}`);
  };
  for (const name of Object.keys(specs)) start(name);
  for (const name of [...SUBGRAPHS, 'gateway']) await ready(name);

  const catalogDb = new Database({ service: 'catalog', url: databaseUrls.catalog, entities: catalogEntities, migrations: catalogMigrations });
  await catalogDb.open();
  await loadDemoOffers(catalogDb, systemClock);
  await catalogDb.close();

  const stats = { requests: 0, http5xx: 0, codes: {}, byKind: {}, events: 0, subscriptionsEnded: 0 };
  const gql = async (kind, query, variables, token) => {
    stats.requests += 1;
    stats.byKind[kind] = (stats.byKind[kind] ?? 0) + 1;
    try {
      const response = await fetch(`${gatewayUrl}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
        body: JSON.stringify({ query, variables }),
        signal: AbortSignal.timeout(30_000),
      });
      if (response.status >= 500) stats.http5xx += 1;
      const body = await response.json();
      for (const e of body.errors ?? []) {
        const code = `${kind}:${e.extensions?.code ?? 'none'}`;
        stats.codes[code] = (stats.codes[code] ?? 0) + 1;
      }
      return body;
    } catch (error) {
      stats.codes[`client:${error.name}`] = (stats.codes[`client:${error.name}`] ?? 0) + 1;
      return { errors: [{ message: String(error) }] };
    }
  };

  const staff = (await gql('setup', `mutation { staffLogin(login: "ops", password: "Ops-Soak-2026!") { accessToken } }`)).data.staffLogin.accessToken;
  const lines = [];
  for (let i = 0; i < LINES; i += 1) {
    const msisdn = `+770199${String(50000 + i).padStart(5, '0')}`;
    const p = await gql('setup', `mutation ($input: ProvisionSubscriberInput!) { provisionSubscriber(input: $input) { id } }`, { input: { kind: 'MOBILE', partyType: 'INDIVIDUAL', msisdn, language: 'EN', tariffCode: 'BEELINE_L' } }, staff);
    await gql('setup', `mutation { requestPassword(msisdn: "${msisdn}") }`);
    let password;
    while (!password) {
      const sms = await (await fetch(`${smsUrl}/dev/sms?to=${encodeURIComponent(msisdn)}`)).json();
      password = sms.map((m) => /:\s*([A-Za-z0-9]{6,})/.exec(m.text)?.[1]).find(Boolean);
      if (!password) await pause(100);
    }
    lines.push({ id: p.data.provisionSubscriber.id, msisdn, password, token: '' });
  }
  const login = async (line) => {
    const r = await gql('login', `mutation ($l: String!, $p: String!) { login(login: $l, password: $p, channel: MOBILE_APP) { accessToken } }`, { l: line.msisdn, p: line.password });
    if (r.data?.login) line.token = r.data.login.accessToken;
  };
  for (const line of lines) await login(line);
  const tariffs = (await gql('setup', `{ tariffs { code termsVersion } }`)).data.tariffs;
  const terms = Object.fromEntries(tariffs.map((t) => [t.code, t.termsVersion]));
  const token = async () => {
    const r = await fetch(`${cardsUrl}/v1/tokens`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ number: '4242424242424242', expMonth: 12, expYear: new Date().getUTCFullYear() + 2, cvc: '123' }) });
    return (await r.json()).id;
  };

  // One balanceChanged subscription per line, subscribed again whenever it ends (a subgraph killed).
  const clients = [];
  const follow = (line) => {
    const client = createClient({ url: `${gatewayUrl.replace(/^http/, 'ws')}/graphql`, webSocketImpl: WebSocket, connectionParams: () => ({ authorization: `Bearer ${line.token}` }), retryAttempts: 1000, retryWait: () => pause(1000), lazy: true });
    clients.push(client);
    const again = () => {
      if (!running) return;
      client.subscribe({ query: `subscription ($id: ID!) { balanceChanged(subscriberId: $id) { delta { amount } } }`, variables: { id: line.id } }, {
        next: (m) => { if (m.data) stats.events += 1; },
        error: () => { stats.subscriptionsEnded += 1; setTimeout(again, 1000); },
        complete: () => { stats.subscriptionsEnded += 1; setTimeout(again, 1000); },
      });
    };
    again();
  };
  let running = true;
  for (const line of lines) follow(line);

  const HOME = `{ me { msisdn account { balance { amount } } tariff { code name } services { service { code } } allowances { unit included used left } } }`;
  const worker = async (line, index) => {
    for (let i = index; running; i += 1) {
      const pick = i % 10;
      if (pick === 0) await login(line);
      else if (pick <= 4) await gql('home', HOME, {}, line.token);
      else if (pick <= 6) {
        const me = await gql('home', `{ me { tariff { code } } }`, {}, line.token);
        const next = me.data?.me?.tariff?.code === 'BEELINE_L' ? 'BEELINE_M' : 'BEELINE_L';
        await gql('order', `mutation ($s: ID!, $c: String!, $v: String!, $k: String!) { changeTariff(subscriberId: $s, tariffCode: $c, acceptedTermsVersion: $v, idempotencyKey: $k) { status } }`, { s: line.id, c: next, v: terms[next], k: randomUUID() }, line.token);
      } else if (pick <= 8) {
        const t = await token().catch(() => null);
        if (t) await gql('payment', `mutation ($s: ID!, $t: String!, $k: String!) { payByCard(subscriberId: $s, amount: "300.00", cardToken: $t, idempotencyKey: $k) { status } }`, { s: line.id, t, k: randomUUID() }, line.token);
      } else await gql('home', `{ me { account { entries(first: 5) { edges { node { amount { amount } } } } } } }`, {}, line.token);
    }
  };

  const started = Date.now();
  const sample = () => {
    for (const [name, { child }] of processes) {
      if (!rss.has(name)) rss.set(name, []);
      const kb = rssKb(child.pid);
      if (kb) rss.get(name).push({ t: (Date.now() - started) / 60_000, kb, pid: child.pid });
    }
  };
  sample();
  const sampler = setInterval(sample, Math.max(10_000, MINUTES * 60_000 / 30));
  const kills = [];
  const killer = (async () => {
    const order = ['billing', 'catalog', 'identity', 'delegation', 'detailing'];
    for (let k = 0; ; k += 1) {
      const wait = started + (k + 1) * KILL_EVERY * 60_000 - Date.now();
      if (Date.now() + wait >= started + MINUTES * 60_000) return;
      await pause(wait);
      const name = order[k % order.length];
      const at = Date.now();
      await kill(name);
      start(name);
      await ready(name);
      kills.push({ name, at: ((at - started) / 60_000).toFixed(1), backInMs: Date.now() - at });
      console.log(`  killed and restarted ${name} at ${((at - started) / 60_000).toFixed(1)} min, ready again after ${Date.now() - at} ms`);
    }
  })();
  console.log(`soak: ${MINUTES} min, ${LINES} lines, a subgraph killed every ${KILL_EVERY} min (${DATABASE_URL ? 'MariaDB' : 'SQLite'})`);
  const workers = lines.map((line, i) => worker(line, i));
  await pause(MINUTES * 60_000);
  running = false;
  await Promise.all([...workers, killer]);
  clearInterval(sampler);
  sample();
  const elapsed = (Date.now() - started) / 1000;
  for (const client of clients) await client.dispose();

  // Settle: the sagas' recovery and the reconciliation close what was open; the relays publish the rest.
  const dbs = {};
  for (const n of SUBGRAPHS) {
    dbs[n] = new Database({ service: n, url: databaseUrls[n], entities: [OutboxEventEntity, InboxEventEntity], migrations: [] });
    await dbs[n].open();
  }
  const check = async () => {
    const violations = [];
    const accounts = await dbs.billing.manager.query(`SELECT a.id, a.balance_minor AS balance, (SELECT COALESCE(SUM(e.amount_minor), 0) FROM ledger_entries e WHERE e.account_id = a.id) AS total FROM accounts a`);
    for (const a of accounts) if (Number(a.balance) !== Number(a.total)) violations.push(`account ${a.id}: balance ${a.balance}, entries ${a.total}`);
    const refs = new Map();
    for (const e of await dbs.billing.manager.query(`SELECT reference FROM ledger_entries WHERE reference IS NOT NULL`)) refs.set(e.reference, (refs.get(e.reference) ?? 0) + 1);
    for (const [r, n] of refs) if (n > 1) violations.push(`${r} posted ${n} times`);
    const orders = await dbs.catalog.manager.query(`SELECT id, status, fee_minor AS fee FROM product_orders`);
    for (const o of orders) {
      const c = refs.get(`order:${o.id}:charge`) ?? 0;
      const r = refs.get(`order:${o.id}:refund`) ?? 0;
      if (o.status === 'COMPLETED' && (c !== (Number(o.fee) > 0 ? 1 : 0) || r)) violations.push(`order ${o.id} COMPLETED ${c}/${r}`);
      if (o.status === 'FAILED' && r !== c) violations.push(`order ${o.id} FAILED ${c}/${r}`);
      if (o.status === 'REJECTED' && (c || r)) violations.push(`order ${o.id} REJECTED ${c}/${r}`);
      if (o.status === 'ACKNOWLEDGED' || o.status === 'IN_PROGRESS') violations.push(`order ${o.id} still ${o.status}`);
    }
    const payments = await dbs.billing.manager.query(`SELECT id, status FROM payments`);
    for (const p of payments) {
      const n = refs.get(`payment:${p.id}`) ?? 0;
      if (p.status === 'SUCCEEDED' ? n !== 1 : n !== 0) violations.push(`payment ${p.id} ${p.status} credited ${n}`);
    }
    const missing = [];
    let applied = 0;
    const produced = {};
    // On the bus an event's id is its publish sequence, not its outbox row id.
    for (const n of SUBGRAPHS) {
      const rows = await dbs[n].manager.query(`SELECT id, publish_seq AS seq FROM outbox_events WHERE event_type NOT LIKE 'notification.%'`);
      for (const r of rows) if (r.seq === null) missing.push(`${n} outbox row ${r.id} not sequenced yet`);
      produced[n] = new Set(rows.filter((r) => r.seq !== null).map((r) => Number(r.seq)));
    }
    for (const n of SUBGRAPHS) {
      for (const { g, s } of await dbs[n].manager.query(`SELECT DISTINCT consumer_group AS g, stream AS s FROM inbox_events`)) {
        if (!produced[s]) continue;
        const have = new Set((await dbs[n].manager.query(`SELECT event_id AS id FROM inbox_events WHERE consumer_group = ? AND stream = ?`, [g, s])).map((r) => Number(r.id)));
        for (const id of produced[s]) {
          if (have.has(id)) applied += 1;
          else missing.push(`${n}/${g} missed ${s}#${id}`);
        }
      }
    }
    const status = (rows) => rows.reduce((m, r) => ({ ...m, [r.status]: (m[r.status] ?? 0) + 1 }), {});
    return { violations, missing, applied, accounts: accounts.length, orders: status(orders), payments: status(payments) };
  };
  let result = await check();
  const settleBy = Date.now() + 120_000;
  while ((result.violations.length || result.missing.length) && Date.now() < settleBy) {
    await pause(2000);
    result = await check();
  }
  for (const db of Object.values(dbs)) await db.close();

  console.log(`\nload: ${stats.requests} requests in ${elapsed.toFixed(0)} s (${(stats.requests / elapsed).toFixed(1)}/s) ${JSON.stringify(stats.byKind)}`);
  console.log(`HTTP 5xx: ${stats.http5xx}; error codes: ${JSON.stringify(stats.codes)}`);
  console.log(`balanceChanged events received: ${stats.events}; subscriptions ended (and taken up again): ${stats.subscriptionsEnded}`);
  console.log(`kills: ${kills.map((k) => `${k.name}@${k.at}min (ready in ${k.backInMs} ms)`).join(', ') || 'none'}`);
  console.log(`orders ${JSON.stringify(result.orders)}, payments ${JSON.stringify(result.payments)}, accounts ${result.accounts}`);
  console.log(`ledger invariants: ${result.violations.length ? `VIOLATED\n  ${result.violations.slice(0, 20).join('\n  ')}` : 'hold'}`);
  console.log(`outbox exactly once: ${result.missing.length ? `MISSING ${result.missing.length}\n  ${result.missing.slice(0, 20).join('\n  ')}` : `every event applied once (${result.applied} deliveries)`}`);
  console.log('\nRSS (MB) per process over time (a restarted process starts a new series):');
  let flat = true;
  for (const [name, samples] of rss) {
    const pids = [...new Set(samples.map((s) => s.pid))];
    for (const pid of pids) {
      const series = samples.filter((s) => s.pid === pid);
      const points = series.map((s) => `${s.t.toFixed(1)}:${(s.kb / 1024).toFixed(0)}`).join(' ');
      // Flat: the last third's median within 20 % (or 30 MB) of the middle third's, after warm-up.
      const third = Math.floor(series.length / 3);
      let verdict = 'too short to judge';
      if (third >= 2) {
        const median = (xs) => xs.map((s) => s.kb).sort((a, b) => a - b)[Math.floor(xs.length / 2)];
        const mid = median(series.slice(third, 2 * third));
        const last = median(series.slice(2 * third));
        const grew = last - mid;
        verdict = grew > Math.max(mid * 0.2, 30 * 1024) ? `GROWING (+${(grew / 1024).toFixed(0)} MB)` : `flat (${grew >= 0 ? '+' : ''}${(grew / 1024).toFixed(0)} MB)`;
        if (verdict.startsWith('GROWING')) flat = false;
      }
      console.log(`  ${name.padEnd(13)} pid ${pid}: ${verdict}  [${points}]`);
    }
  }

  for (const name of processes.keys()) await kill(name);
  const redis = new Redis('redis://127.0.0.1:6379');
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length) await redis.del(...keys);
  redis.disconnect();
  if (DATABASE_URL) {
    const mysql = require('mysql2/promise');
    const url = new URL(DATABASE_URL);
    const connection = await mysql.createConnection({ host: url.hostname, port: Number(url.port || 3306), user: decodeURIComponent(url.username || 'root'), password: decodeURIComponent(url.password) });
    for (const n of SUBGRAPHS) await connection.query(`DROP DATABASE IF EXISTS \`soak_${process.pid}_${n}\``);
    await connection.end();
  }
  rmSync(dataDir, { recursive: true, force: true });
  const ok = !result.violations.length && !result.missing.length && stats.http5xx === 0;
  console.log(`\nsoak ${ok ? 'passed' : 'FAILED'}; RSS ${flat ? 'flat' : 'growing in some process'}`);
  process.exit(ok ? 0 : 1);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
