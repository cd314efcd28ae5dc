#!/usr/bin/env node
/**
 * Benchmark: `me { msisdn tariff { name } }` with a valid token through the gateway (identity + catalog).
 * The five subgraphs run in this process on a seeded SQLite database (or MariaDB with BENCH_DATABASE_URL
 * = mysql://root@127.0.0.1:3306); each gateway runs alone in a child process, first ours (Apollo Gateway),
 * then Hive Gateway (@graphql-hive/gateway) on the same supergraph and subgraphs, under the same HTTP load
 * (autocannon, in a third process). Prints requests/s, p50, p99, SQL statements per request, each gateway
 * process's CPU time per request, and the ratios.
 *   npm run bench              (BENCH_SECONDS=10 BENCH_CONNECTIONS=20 by default)
 */
const { fork } = require('node:child_process');
const { mkdtempSync, rmSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');
const { startSystem, SUBGRAPH_NAMES } = require('../gateway/dist/system');
const { DEMO_PASSWORD } = require('../shared/dist');

const seconds = Number(process.env.BENCH_SECONDS ?? 10);
const connections = Number(process.env.BENCH_CONNECTIONS ?? 20);
const QUERY = '{ me { msisdn tariff { name } } }';

function startChild(script, env) {
  return new Promise((resolve, reject) => {
    const child = fork(join(__dirname, 'support', script), [], { env: { ...process.env, ...env, LOG_LEVEL: 'error' }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    child.once('message', (m) => resolve({ child, port: m.ready }));
    child.once('exit', (code) => reject(new Error(`${script} exited with ${code}`)));
  });
}

/** CPU time the gateway process has used so far, in microseconds. */
function cpuOf(child) {
  return new Promise((resolve) => {
    const onMessage = (m) => {
      if (!m || !m.cpu) return;
      child.off('message', onMessage);
      resolve(m.cpu.user + m.cpu.system);
    };
    child.on('message', onMessage);
    child.send('cpu');
  });
}

function stopChild(child) {
  return new Promise((resolve) => {
    child.removeAllListeners('exit');
    child.once('exit', resolve);
    child.send('stop');
  });
}

/** Runs the load in a child process (see support/load.js) and returns its figures. */
function load(url, tokens, duration) {
  return new Promise((resolve, reject) => {
    const child = fork(join(__dirname, 'support', 'load.js'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    child.once('message', resolve);
    child.once('exit', (code) => code !== 0 && reject(new Error(`load generator exited with ${code}`)));
    child.send({ url, tokens, connections, duration, body: JSON.stringify({ query: QUERY }) });
  });
}

async function measure(label, script, env, system, tokens) {
  const token = tokens[0];
  const { child, port } = await startChild(script, env);
  const url = `http://127.0.0.1:${port}/graphql`;
  const check = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify({ query: QUERY }) }).then((r) => r.json());
  if (!check.data?.me?.tariff?.name) throw new Error(`${label} did not answer the query: ${JSON.stringify(check)}`);
  await load(url, tokens, 2); // warm-up
  const cpuBefore = await cpuOf(child);
  const statementsBefore = SUBGRAPH_NAMES.reduce((sum, n) => sum + system.subgraphs[n].runtime.database.counter.count, 0);
  const result = await load(url, tokens, seconds);
  const statementsAfter = SUBGRAPH_NAMES.reduce((sum, n) => sum + system.subgraphs[n].runtime.database.counter.count, 0);
  const cpuAfter = await cpuOf(child);
  await stopChild(child);
  const ok = result.total - result.failed;
  return {
    label,
    requestsPerSecond: result.requestsPerSecond,
    p50: result.p50,
    p99: result.p99,
    requests: result.total,
    failed: result.failed,
    statementsPerRequest: ok > 0 ? (statementsAfter - statementsBefore) / ok : NaN,
    gatewayCpuPerRequest: ok > 0 ? (cpuAfter - cpuBefore) / ok : NaN,
  };
}

/** Databases of this run only (MariaDB), dropped at the end. */
const benchDatabase = (name) => `bench_${process.pid}_${name}`;

async function dropBenchDatabases(databaseUrl) {
  const mysql = require('mysql2/promise');
  const url = new URL(databaseUrl);
  const connection = await mysql.createConnection({ host: url.hostname, port: Number(url.port || 3306), user: decodeURIComponent(url.username || 'root'), password: decodeURIComponent(url.password) });
  for (const name of SUBGRAPH_NAMES) await connection.query(`DROP DATABASE IF EXISTS \`${benchDatabase(name)}\``);
  await connection.end();
}

(async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'selfcare-bench-'));
  const databaseUrl = process.env.BENCH_DATABASE_URL;
  const system = await startSystem({
    withoutGateway: true,
    dataDir,
    host: '127.0.0.1',
    subgraphPorts: Object.fromEntries(SUBGRAPH_NAMES.map((n) => [n, 0])),
    ...(databaseUrl ? { databaseUrls: Object.fromEntries(SUBGRAPH_NAMES.map((n) => [n, `${databaseUrl.replace(/\/$/, '')}/${benchDatabase(n)}`])) } : {}),
    logLevel: 'error',
  });
  try {
    // One session per connection, spread over the registered demo subscribers.
    const logins = ['+77051234567', '+77071112233', '+77772223344', '1000245678'];
    const tokens = [];
    for (let i = 0; i < connections; i++) {
      const login = await fetch(system.subgraphs.identity.graphqlUrl, {
        method: 'POST',
        // Distinct client addresses, as from distinct phones (named the way the gateway does: with the internal token).
        headers: { 'content-type': 'application/json', 'x-client-address': `10.0.0.${i + 1}`, 'x-internal-token': system.platform.internalToken },
        body: JSON.stringify({ query: `mutation { login(login: "${logins[i % logins.length]}", password: "${DEMO_PASSWORD}", channel: WEB) { accessToken } }` }),
      }).then((r) => r.json());
      const token = login.data?.login?.accessToken;
      if (!token) throw new Error(`login failed: ${JSON.stringify(login)}`);
      tokens.push(token);
    }
    const env = {
      SUBGRAPH_URLS: JSON.stringify(Object.fromEntries(SUBGRAPH_NAMES.map((n) => [n, system.subgraphs[n].graphqlUrl]))),
      JWKS_URL: `${system.subgraphs.identity.url}/.well-known/jwks.json`,
      INTERNAL_API_TOKEN: system.platform.internalToken,
    };
    const ours = await measure('Apollo Gateway (ours)', 'apollo-gateway-server.js', env, system, tokens);
    // NODE_NO_WARNINGS: Hive's fetch (whatwg-node) warns about abort listeners under load; noise, not a finding.
    const hive = await measure('Hive Gateway', 'hive-gateway-server.js', { ...env, NODE_NO_WARNINGS: '1' }, system, tokens);
    console.log(`\nme { msisdn tariff { name } } — ${connections} connections, ${seconds} s each, ${databaseUrl ? 'MariaDB' : 'SQLite'}`);
    console.table([ours, hive].map((r) => ({
      gateway: r.label,
      'req/s': r.requestsPerSecond.toFixed(0),
      'p50 ms': r.p50,
      'p99 ms': r.p99,
      requests: r.requests,
      failed: r.failed,
      'SQL/request': r.statementsPerRequest.toFixed(2),
      'gateway CPU µs/request': r.gatewayCpuPerRequest.toFixed(0),
    })));
    console.log(
      `ratio (ours / Hive): throughput ${(ours.requestsPerSecond / hive.requestsPerSecond).toFixed(2)}, p99 ${(ours.p99 / hive.p99).toFixed(2)}, ` +
        `gateway CPU per request ${(ours.gatewayCpuPerRequest / hive.gatewayCpuPerRequest).toFixed(2)}`,
    );
    console.log('(both gateways wait on the same five subgraphs in one process: req/s and latency are bounded by them; CPU per request is the gateways\' own cost)');
  } finally {
    await system.stop();
    rmSync(dataDir, { recursive: true, force: true });
    if (databaseUrl) await dropBenchDatabases(databaseUrl);
  }
})().catch((error) => {
  console.error(error);
  process.exit(1);
});
