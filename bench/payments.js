#!/usr/bin/env node
/**
 * Benchmark: payByCard through the gateway with the sandbox card provider (over HTTP on the gateway's port, as in the
 * embedded default) — every payment a fresh card token, a new idempotency key, one charge at the provider and one
 * ledger credit. The whole system runs in this process on SQLite (or MariaDB with BENCH_DATABASE_URL =
 * mysql://root@127.0.0.1:3306); the clients run in a child process. Two loads: every client paying into one account
 * (all credits queue on its row lock), and clients spread over four accounts. Prints payments/s, p50, p99, failures
 * and SQL statements per payment (billing's, and all services').
 *   node bench/payments.js      (BENCH_SECONDS=10 BENCH_CONNECTIONS=16 by default)
 */
const { fork } = require('node:child_process');
const { mkdtempSync, rmSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');
const { startSystem, SUBGRAPH_NAMES } = require('../gateway/dist/system');
const { DEMO_PASSWORD, demoSubscribers } = require('../shared/dist');

const seconds = Number(process.env.BENCH_SECONDS ?? 10);
const connections = Number(process.env.BENCH_CONNECTIONS ?? 16);

const benchDatabase = (name) => `bench_pay_${process.pid}_${name}`;

async function dropBenchDatabases(databaseUrl) {
  const mysql = require('mysql2/promise');
  const url = new URL(databaseUrl);
  const connection = await mysql.createConnection({ host: url.hostname, port: Number(url.port || 3306), user: decodeURIComponent(url.username || 'root'), password: decodeURIComponent(url.password) });
  for (const name of SUBGRAPH_NAMES) await connection.query(`DROP DATABASE IF EXISTS \`${benchDatabase(name)}\``);
  await connection.end();
}

function load(message) {
  return new Promise((resolve, reject) => {
    const child = fork(join(__dirname, 'support', 'payments-load.js'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    child.once('message', resolve);
    child.once('exit', (code) => code !== 0 && reject(new Error(`load generator exited with ${code}`)));
    child.send(message);
  });
}

const statements = (system, names) => names.reduce((sum, n) => sum + system.subgraphs[n].runtime.database.counter.count, 0);

(async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'selfcare-bench-payments-'));
  const databaseUrl = process.env.BENCH_DATABASE_URL;
  const system = await startSystem({
    gatewayPort: 0,
    dataDir,
    host: '127.0.0.1',
    subgraphPorts: Object.fromEntries(SUBGRAPH_NAMES.map((n) => [n, 0])),
    ...(databaseUrl ? { databaseUrls: Object.fromEntries(SUBGRAPH_NAMES.map((n) => [n, `${databaseUrl.replace(/\/$/, '')}/${benchDatabase(n)}`])) } : {}),
    logLevel: 'error',
    timeouts: { operationTimeoutMs: 30_000, subgraphTimeoutMs: 30_000 },
    payments: { maxAmountMinor: 100_000_000 },
  });
  try {
    const graphqlUrl = system.graphqlUrl;
    const registered = demoSubscribers.filter((s) => s.password).slice(0, 4);
    const payers = [];
    for (const subscriber of registered) {
      const login = await fetch(graphqlUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: `mutation { login(login: "${subscriber.login}", password: "${DEMO_PASSWORD}", channel: WEB) { accessToken } }` }),
      }).then((r) => r.json());
      if (!login.data?.login?.accessToken) throw new Error(`login failed: ${JSON.stringify(login)}`);
      payers.push({ subscriberId: subscriber.id, token: login.data.login.accessToken });
    }
    const tokensPerClient = Math.ceil((seconds * 400) / connections) + 10;
    const rows = [];
    for (const [label, group] of [
      ['one account', payers.slice(0, 1)],
      ['four accounts', payers],
    ]) {
      await load({ graphqlUrl, providerUrl: system.gatewayUrl, payers: group, connections, duration: 1, tokensPerClient: 20 }); // warm-up
      const billingBefore = statements(system, ['billing']);
      const allBefore = statements(system, SUBGRAPH_NAMES);
      const result = await load({ graphqlUrl, providerUrl: system.gatewayUrl, payers: group, connections, duration: seconds, tokensPerClient });
      const ok = result.total - result.failed;
      rows.push({
        load: label,
        'payments/s': result.perSecond.toFixed(1),
        'p50 ms': result.p50.toFixed(1),
        'p99 ms': result.p99.toFixed(1),
        payments: result.total,
        failed: result.failed,
        'billing SQL/payment': ok ? ((statements(system, ['billing']) - billingBefore) / ok).toFixed(1) : 'n/a',
        'all SQL/payment': ok ? ((statements(system, SUBGRAPH_NAMES) - allBefore) / ok).toFixed(1) : 'n/a',
      });
      if (result.failed) console.log(`${label}: outcomes ${JSON.stringify(result.statuses)}`);
    }
    console.log(`\npayByCard through the gateway, sandbox provider over HTTP — ${connections} clients, ${seconds} s each, ${databaseUrl ? 'MariaDB' : 'SQLite'}`);
    console.table(rows);
    console.log('(SQL per payment counts what the payment set off while measured: the credit, the outbox relay, identity taking the receipt and activity events)');
  } finally {
    await system.stop();
    rmSync(dataDir, { recursive: true, force: true });
    if (databaseUrl) await dropBenchDatabases(databaseUrl);
  }
})().catch((error) => {
  console.error(error);
  process.exit(1);
});
