#!/usr/bin/env node
/**
 * The cabinet's real queries through three gateways: ours (gateway/src, Apollo Gateway with our data source and
 * limits), Hive Gateway (@graphql-hive/gateway) and plain @apollo/gateway, each with its defaults, on the same
 * supergraph and the same subgraph processes.
 *
 * 1. Seeds the embedded default's demo base plus the bench's population (bench/support/cabinet-data.js) on SQLite
 *    files (or MariaDB databases with BENCH_DATABASE_URL=mysql://root@127.0.0.1:3306), with the system in this
 *    process, and counts SQL statements per managed-numbers request for managers of 1, 10 and 100 numbers there
 *    (every subgraph database's `counter`).
 * 2. Starts the five subgraphs as the distributed mode does (bench/support/distributed.js: subgraphs/<name>/dist/main.js,
 *    one process each, Redis Streams as the bus under a key prefix of this run, Redis revocations) and the sandbox
 *    card provider.
 * 3. BENCH_ROUNDS rounds (default 3); in each, every gateway in turn (A B C A B C …) alone in a child process runs
 *    every scenario for BENCH_SECONDS (default 10) under BENCH_CONNECTIONS (default 20) connections, autocannon in
 *    a process of its own, each connection its own token. The first round compares one answer per read scenario
 *    across the gateways (identical JSON required) and the mutations' outcomes.
 * 4. Prints, per scenario and gateway, the medians over the rounds of requests/s, p50, p99, gateway CPU per request
 *    and gateway RSS, and the ratios to Hive Gateway.
 * 5. Runs bench/subscriptions.js in distributed mode at 10,000 subscribers over 2,000 sockets and 1,000 postings/s
 *    (BENCH_SUBSCRIPTIONS=0 skips it; BENCH_SUBSCRIBERS, BENCH_SOCKETS, BENCH_RATE, BENCH_DATABASE_URL pass through).
 *   npm run bench
 *   BENCH_SECONDS=5 BENCH_SCENARIOS=home,managed BENCH_GATEWAYS=ours,hive node bench/cabinet.js
 *   BENCH_LEVERS=1 BENCH_SCENARIOS=home BENCH_SUBSCRIPTIONS=0 node bench/cabinet.js   (what each lever of gateway/src/perf gives)
 */
'use strict';
const { fork, spawn } = require('node:child_process');
const { join } = require('node:path');
const { startSystem, SUBGRAPH_NAMES } = require('../gateway/dist/system');
const { loadOrCreateSigningKey } = require('../shared/dist');
const { prepareRun } = require('./support/distributed');
const { loopMs } = require('./support/machine-speed');
const { drainOutbox } = require('../shared/dist/testing/outbox');
const { cabinetPopulation, addToDemoBase, seedGrants, accessToken } = require('./support/cabinet-data');

const seconds = Number(process.env.BENCH_SECONDS ?? 10);
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
const connections = Number(process.env.BENCH_CONNECTIONS ?? 20);
const mixConnections = Number(process.env.BENCH_MIX_CONNECTIONS ?? 10);
const databaseUrl = process.env.BENCH_DATABASE_URL;
const only = (variable) => (process.env[variable] ? new Set(process.env[variable].split(',')) : null);

// This month (UTC) up to the bench's start: fixed, so every gateway is asked the same.
const now = new Date();
const MONTH = { from: new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1)).toISOString(), to: now.toISOString() };
const THIRTY_DAYS = { from: new Date(now.getTime() - 30 * 86_400_000).toISOString(), to: now.toISOString() };

const HOME = `query Home($from: DateTime!, $to: DateTime!) {
  me {
    msisdn
    tariff { code name monthlyFee { amount currency } }
    services { connectedAt service { code name } }
    account {
      number
      balance { amount currency }
      entries(first: 5) { edges { cursor node { at kind amount { amount } balanceAfter { amount } description } } }
    }
    allowances { unit included used left periodEnd }
    usageSummary(from: $from, to: $to) { total { amount } byKind { kind count seconds bytes charge { amount } } }
  }
}`;
const DETAILING = `query Detailing($from: DateTime!, $to: DateTime!) {
  me {
    usage(from: $from, to: $to, first: 50) {
      edges { cursor node { id kind startedAt direction counterparty seconds bytes roaming charge { amount } description } }
      pageInfo { hasNextPage endCursor }
    }
    usageSummary(from: $from, to: $to) { total { amount } byKind { kind count seconds bytes charge { amount } } }
  }
}`;
const MANAGED = `query Managed {
  me { managedNumbers { id msisdn tariff { name } account { balance { amount currency } } } }
}`;
const ME_TARIFF = '{ me { msisdn tariff { name } } }';

/** Read scenarios: the query, its variables, whose tokens the connections carry. */
const READ_SCENARIOS = [
  { key: 'home', title: 'home screen (identity, catalog, billing, detailing)', query: HOME, variables: MONTH, callers: 'readers' },
  { key: 'detailing', title: 'detailing page (50 records + summary)', query: DETAILING, variables: THIRTY_DAYS, callers: 'readers' },
  { key: 'managed', title: 'managed numbers (10, each with balance and tariff)', query: MANAGED, variables: {}, callers: 'manager10' },
  { key: 'me', title: 'me { msisdn tariff { name } } (the old bench)', query: ME_TARIFF, variables: {}, callers: 'readers' },
];
const MIX = { key: 'mix', title: 'mutation mix (changeTariff and payByCard, alternating)' };

const GATEWAYS = [
  { key: 'ours', label: 'ours', script: 'apollo-gateway-server.js' },
  { key: 'hive', label: 'Hive Gateway', script: 'hive-gateway-server.js', env: { NODE_NO_WARNINGS: '1' } },
  { key: 'apollo', label: 'plain @apollo/gateway', script: 'plain-apollo-gateway-server.js' },
  // BENCH_LEVERS=1: ours with each lever of gateway/src/perf off in turn, and with all off (the gateway before them).
  ...(process.env.BENCH_LEVERS === '1'
    ? [
        { key: 'no-keepalive', label: 'ours without the keep-alive client', script: 'apollo-gateway-server.js', env: { PERF_OFF: 'keepAliveClient' } },
        { key: 'no-tokencache', label: 'ours without the token cache', script: 'apollo-gateway-server.js', env: { PERF_OFF: 'tokenCache' } },
        { key: 'no-limitscache', label: 'ours without the limits cache', script: 'apollo-gateway-server.js', env: { PERF_OFF: 'limitsCache' } },
        { key: 'no-levers', label: 'ours without any (before)', script: 'apollo-gateway-server.js', env: { PERF_OFF: 'keepAliveClient,tokenCache,limitsCache' } },
      ]
    : []),
];

const median = (values) => {
  const sorted = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (!sorted.length) return NaN;
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

function startGatewayChild(script, env) {
  return new Promise((resolve, reject) => {
    const child = fork(join(__dirname, 'support', script), [], { env: { ...process.env, ...env, LOG_LEVEL: 'error' }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'], execArgv: process.env.BENCH_CPU_PROF && script === 'apollo-gateway-server.js' ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : [] });
    child.once('message', (m) => resolve({ child, port: m.ready }));
    child.once('exit', (code) => reject(new Error(`${script} exited with ${code}`)));
  });
}

function usageOf(child) {
  return new Promise((resolve) => {
    const onMessage = (m) => {
      if (!m || !m.cpu) return;
      child.off('message', onMessage);
      resolve({ cpu: m.cpu.user + m.cpu.system, rss: m.rss });
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

/** One load run in a process of its own (support/load.js): autocannon for reads, the mix's own loop for mutations. */
function load(message) {
  return new Promise((resolve, reject) => {
    const child = fork(join(__dirname, 'support', 'load.js'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    child.once('message', resolve);
    child.once('exit', (code) => code !== 0 && reject(new Error(`load generator exited with ${code}`)));
    child.send(message);
  });
}

async function post(url, token, query, variables) {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify({ query, variables }) });
  return response.json();
}

/** Statements of every subgraph database so far (in-process system). */
const statements = (system) => SUBGRAPH_NAMES.reduce((sum, n) => sum + system.subgraphs[n].runtime.database.counter.count, 0);

async function main() {
  const run = await prepareRun('cabinet', databaseUrl);
  const { dataDir, databaseUrls } = run;
  const figures = [];
  try {
    // ── 1. seed, and SQL per managed-numbers request as the list grows ──
    const population = cabinetPopulation({ readers: connections });
    addToDemoBase(population);
    const seedStarted = Date.now();
    const system = await startSystem({
      gatewayPort: 0,
      subgraphPorts: Object.fromEntries(SUBGRAPH_NAMES.map((n) => [n, 0])),
      host: '127.0.0.1',
      dataDir,
      databaseUrls,
      logLevel: 'error',
      billing: { feeRunIntervalMs: 0 },
      // No background poll while the statements are counted (writes still wake the relays).
      relayPollMs: 600_000,
      feedSafetyPollMs: 600_000,
    });
    const key = loadOrCreateSigningKey(join(dataDir, 'identity-jwt.pem'));
    const sqlPerList = {};
    try {
      await seedGrants(system.subgraphs.delegation.runtime.database, population);
      // The seed's events handed on and applied first, so only the requests' own statements are counted.
      for (const name of SUBGRAPH_NAMES) await drainOutbox(system.subgraphs[name].runtime.database, 120_000);
      for (const size of Object.keys(population.managers)) {
        const token = await accessToken(key, population.managers[size].id);
        const first = await post(system.graphqlUrl, token, MANAGED, {});
        if (first.errors || first.data.me.managedNumbers.length !== Number(size)) throw new Error(`managed numbers of ${size}: ${JSON.stringify(first).slice(0, 500)}`);
        // The least of three: a relay's poll or a saga's sweep in between can only add statements.
        for (let i = 0; i < 3; i += 1) {
          const before = statements(system);
          await post(system.graphqlUrl, token, MANAGED, {});
          sqlPerList[size] = Math.min(sqlPerList[size] ?? Number.POSITIVE_INFINITY, statements(system) - before);
        }
      }
    } finally {
      await system.stop();
    }
    console.log(`seeded in ${((Date.now() - seedStarted) / 1000).toFixed(1)} s (${databaseUrl ? 'MariaDB' : 'SQLite'})`);
    console.log(`SQL statements per managed-numbers request (all five subgraph databases): ${Object.entries(sqlPerList).map(([n, c]) => `${n} numbers: ${c}`).join(', ')}`);

    // ── 2. the subgraphs as the distributed mode runs them ──
    const { urls, providerUrl, internalToken, env } = await run.startSubgraphs();

    const tokensOf = async (subscribers, count) => Promise.all(Array.from({ length: count }, (_, i) => accessToken(key, subscribers[i % subscribers.length].id)));
    const callers = {
      readers: await tokensOf(population.readers, connections),
      manager10: await tokensOf([population.managers[10]], connections),
    };
    const writers = await Promise.all(population.writers.slice(0, mixConnections).map(async (w) => ({ subscriberId: w.id, token: await accessToken(key, w.id) })));
    const gatewayEnv = {
      SUBGRAPH_URLS: JSON.stringify(Object.fromEntries(SUBGRAPH_NAMES.map((n) => [n, `${urls[n]}/graphql`]))),
      JWKS_URL: `${urls.identity}/.well-known/jwks.json`,
      INTERNAL_API_TOKEN: internalToken,
      REDIS_URL: env.REDIS_URL,
      REDIS_KEY_PREFIX: run.keyPrefix,
    };

    // ── 3. interleaved rounds ──
    const gateways = GATEWAYS.filter((g) => !only('BENCH_GATEWAYS') || only('BENCH_GATEWAYS').has(g.key) || (process.env.BENCH_LEVERS === '1' && g.env?.PERF_OFF));
    const scenarios = READ_SCENARIOS.filter((s) => !only('BENCH_SCENARIOS') || only('BENCH_SCENARIOS').has(s.key));
    const withMix = !only('BENCH_SCENARIOS') || only('BENCH_SCENARIOS').has('mix');
    const answers = {};
    for (let round = 1; round <= rounds; round += 1) {
      for (const gateway of gateways) {
        const { child, port } = await startGatewayChild(gateway.script, { ...gatewayEnv, ...(gateway.env ?? {}) });
        const url = `http://127.0.0.1:${port}/graphql`;
        try {
          for (const scenario of scenarios) {
            const tokens = callers[scenario.callers];
            const body = JSON.stringify({ query: scenario.query, variables: scenario.variables });
            const answer = await post(url, tokens[0], scenario.query, scenario.variables);
            if (answer.errors || !answer.data?.me) throw new Error(`${gateway.label} did not answer ${scenario.key}: ${JSON.stringify(answer).slice(0, 1000)}`);
            if (round === 1) (answers[scenario.key] ??= {})[gateway.key] = JSON.stringify(answer);
            await load({ kind: 'read', url, tokens, connections, duration: 2, body }); // warm-up
            const before = await usageOf(child);
            const result = await load({ kind: 'read', url, tokens, connections, duration: seconds, body });
            const after = await usageOf(child);
            figures.push({ scenario: scenario.key, gateway: gateway.key, round, ...result, cpuPerRequest: (after.cpu - before.cpu) / Math.max(1, result.total - result.failed), rss: after.rss });
          }
          if (withMix) {
            const before = await usageOf(child);
            const result = await load({ kind: 'mix', url, providerUrl, writers, duration: seconds, label: `${gateway.key}-${round}` });
            const after = await usageOf(child);
            // Compared: the kinds of success (a CONFLICT, the line's previous order still settling, depends on timing).
            if (round === 1) (answers.mix ??= {})[gateway.key] = JSON.stringify(Object.keys(result.outcomes).filter((o) => !o.endsWith(':CONFLICT')).sort());
            // A CONFLICT is a cheap refusal, a completed order a tariff switch and a charge: the mutations done per
            // second compare the work done, which req/s alone does not when one gateway's orders settle sooner.
            const done = Object.entries(result.outcomes).reduce((sum, [outcome, n]) => (outcome.endsWith(':CONFLICT') ? sum : sum + n), 0);
            figures.push({ scenario: 'mix', gateway: gateway.key, round, ...result, donePerSecond: (result.requestsPerSecond * done) / Math.max(1, result.total), cpuPerRequest: (after.cpu - before.cpu) / Math.max(1, result.total - result.failed), rss: after.rss });
          }
        } finally {
          await stopChild(child);
        }
        process.stdout.write(`round ${round}/${rounds}: ${gateway.label} done (machine speed, bench/support/machine-speed.js: ${loopMs().toFixed(0)} ms)\n`);
      }
    }

    // ── 4. figures ──
    console.log(`\nThe cabinet's queries — ${connections} connections (mix: ${mixConnections}), ${seconds} s per run, ${rounds} interleaved rounds, medians; ${databaseUrl ? 'MariaDB' : 'SQLite'}; subgraphs and each gateway in processes of their own; the machine's cores were shared`);
    for (const scenario of [...scenarios, ...(withMix ? [MIX] : [])]) {
      const same = Object.values(answers[scenario.key] ?? {});
      const identical = same.every((a) => a === same[0]);
      const rows = gateways.map((g) => {
        const runs = figures.filter((f) => f.scenario === scenario.key && f.gateway === g.key);
        return {
          gateway: g.label,
          'req/s': median(runs.map((r) => r.requestsPerSecond)),
          'p50 ms': median(runs.map((r) => r.p50)),
          'p99 ms': median(runs.map((r) => r.p99)),
          'CPU µs/req': median(runs.map((r) => r.cpuPerRequest)),
          'RSS MB': median(runs.map((r) => r.rss / 1024 / 1024)),
          failed: runs.reduce((sum, r) => sum + r.failed, 0),
          ...(scenario === MIX ? { 'done/s': median(runs.map((r) => r.donePerSecond)), outcomes: JSON.stringify(runs[0]?.outcomes ?? {}) } : {}),
        };
      });
      console.log(`\n${scenario.title} — answers ${identical ? 'identical across gateways' : 'DIFFER between gateways'}`);
      if (!identical) for (const [g, a] of Object.entries(answers[scenario.key])) console.log(`  ${g}: ${a.slice(0, 600)}`);
      console.table(rows.map((r) => ({ ...r, 'req/s': r['req/s'].toFixed(0), 'p50 ms': r['p50 ms'].toFixed(1), 'p99 ms': r['p99 ms'].toFixed(1), 'CPU µs/req': r['CPU µs/req'].toFixed(0), 'RSS MB': r['RSS MB'].toFixed(0), ...(r['done/s'] !== undefined ? { 'done/s': r['done/s'].toFixed(0) } : {}) })));
      const ours = rows[0]?.gateway === 'ours' ? rows[0] : undefined;
      for (const other of rows.filter((r) => r !== ours)) {
        if (!ours) break;
        console.log(
          `  ours / ${other.gateway}: req/s ${(ours['req/s'] / other['req/s']).toFixed(2)}, p99 ${(ours['p99 ms'] / other['p99 ms']).toFixed(2)}, CPU per request ${(ours['CPU µs/req'] / other['CPU µs/req']).toFixed(2)}${ours['done/s'] !== undefined ? `, mutations done (not CONFLICT) per second ${(ours['done/s'] / other['done/s']).toFixed(2)}` : ''}`,
        );
      }
    }
  } finally {
    await run.cleanUp();
  }

  // ── 5. subscriptions at scale ──
  if (process.env.BENCH_SUBSCRIPTIONS !== '0') {
    await new Promise((resolve, reject) => {
      const child = spawn(process.execPath, ['--expose-gc', join(__dirname, 'subscriptions.js')], {
        env: { BENCH_DISTRIBUTED: '1', BENCH_SUBSCRIBERS: '10000', BENCH_SOCKETS: '2000', BENCH_RATE: '1000', BENCH_ROUNDS: '1', BENCH_HANDSHAKES: '20', BENCH_CONCURRENCY: '100', ...process.env },
        stdio: 'inherit',
      });
      child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`subscriptions.js exited with ${code}`))));
    });
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
