/**
 * The distributed mode for benchmarks (bench/cabinet.js, bench/subscriptions.js): databases of a run of its own
 * (SQLite files in `dataDir`, or MariaDB databases bench_<run>_<name> with BENCH_DATABASE_URL), seeded by the caller
 * with the all-in-one system in its own process; then the five subgraphs (subgraphs/<name>/dist/main.js, one process
 * each, Redis Streams as the bus under a key prefix of this run, Redis revocations) and the sandbox card provider,
 * as production runs them. `cleanUp()` stops the processes and drops the run's databases and Redis keys.
 */
'use strict';
const { spawn } = require('node:child_process');
const { randomBytes } = require('node:crypto');
const { mkdtempSync, readFileSync, rmSync } = require('node:fs');
const { createServer } = require('node:net');
const { tmpdir } = require('node:os');
const { join } = require('node:path');
const { SUBGRAPH_NAMES } = require('../../gateway/dist/system');

const root = join(__dirname, '..', '..');

async function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

async function adminConnection(databaseUrl) {
  const mysql = require('mysql2/promise');
  const url = new URL(databaseUrl);
  return mysql.createConnection({ host: url.hostname, port: Number(url.port || 3306), user: decodeURIComponent(url.username || 'root'), password: decodeURIComponent(url.password) });
}

/** This run's keys only (streams, revocations): the shared Redis is never flushed. */
async function cleanRedis(prefix) {
  const Redis = require('ioredis');
  const redis = new Redis('redis://127.0.0.1:6379', { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
      cursor = next;
      if (keys.length) await redis.del(...keys);
    } while (cursor !== '0');
  } catch {
    // best effort
  } finally {
    redis.disconnect();
  }
}

/** The run's databases (created empty) and folders; `label` names the temporary folder. */
async function prepareRun(label, databaseUrl = process.env.BENCH_DATABASE_URL) {
  const dataDir = mkdtempSync(join(tmpdir(), `selfcare-${label}-`));
  const runId = `${process.pid}${randomBytes(3).toString('hex')}`;
  const keyPrefix = `bench${runId}:`;
  const databaseUrls = databaseUrl
    ? Object.fromEntries(SUBGRAPH_NAMES.map((n) => [n, `${databaseUrl.replace(/\/$/, '')}/bench_${runId}_${n}`]))
    : Object.fromEntries(SUBGRAPH_NAMES.map((n) => [n, `sqlite:${join(dataDir, `${n}.sqlite`)}`]));
  if (databaseUrl) {
    const connection = await adminConnection(databaseUrl);
    for (const name of SUBGRAPH_NAMES) await connection.query(`CREATE DATABASE \`bench_${runId}_${name}\``);
    await connection.end();
  }
  const processes = [];
  const run = {
    dataDir,
    keyPrefix,
    databaseUrls,
    database: databaseUrl ? 'MariaDB' : 'SQLite',
    processes,
    /** Starts a script of the repository as a process of the run; its output is kept for a failure's message. */
    spawn(name, script, env) {
      // BENCH_CPU_PROF=<dir> with BENCH_CPU_PROF_OF=billing,gateway: V8 CPU profiles of those processes, written as they exit.
      const profiled = process.env.BENCH_CPU_PROF && (process.env.BENCH_CPU_PROF_OF ?? '').split(',').includes(name);
      const args = profiled ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : [];
      const child = spawn(process.execPath, [...args, join(root, script)], { env, stdio: ['ignore', 'pipe', 'pipe'] });
      const output = [];
      child.stdout.on('data', (chunk) => output.push(String(chunk)));
      child.stderr.on('data', (chunk) => output.push(String(chunk)));
      processes.push({ name, child, output });
      return child;
    },
    /** Waits for an HTTP readiness URL of a process of the run. */
    async ready(url, name) {
      const deadline = Date.now() + 60_000;
      for (;;) {
        if (await fetch(url).then((r) => r.ok).catch(() => false)) return;
        const owner = processes.find((p) => p.name === name);
        if (Date.now() > deadline || (owner && owner.child.exitCode !== null)) throw new Error(`${name} did not get ready: ${owner?.output.join('').slice(-2000)}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    },
    /**
     * The card provider and the five subgraphs as the distributed mode runs them; answers their URLs, the internal
     * token and the environment a gateway of the run needs. `extra(name)` adds to a subgraph's environment.
     */
    async startSubgraphs(extra = () => ({})) {
      const names = [...SUBGRAPH_NAMES, 'cards'];
      const ports = Object.fromEntries(await Promise.all(names.map(async (n) => [n, await freePort()])));
      const internalToken = randomBytes(24).toString('hex');
      const cardSecret = randomBytes(16).toString('hex');
      const urls = Object.fromEntries(SUBGRAPH_NAMES.map((n) => [n, `http://127.0.0.1:${ports[n]}`]));
      const providerUrl = `http://127.0.0.1:${ports.cards}`;
      const env = {
        PATH: process.env.PATH,
        NODE_ENV: 'production',
        LOG_LEVEL: 'error',
        REDIS_URL: 'redis://127.0.0.1:6379',
        REDIS_KEY_PREFIX: keyPrefix,
        // Nothing in the benchmarks sends SMS or e-mail; the relays would retry against these.
        SMS_CENTRE_URL: 'http://127.0.0.1:9/dev/sms-centre',
        SMS_CENTRE_SECRET: randomBytes(16).toString('hex'),
        SMTP_URL: 'smtp://127.0.0.1:9',
        INTERNAL_API_TOKEN: internalToken,
        ...Object.fromEntries(SUBGRAPH_NAMES.map((n) => [`${n.toUpperCase()}_URL`, urls[n]])),
      };
      run.spawn('cards', 'gateway/dist/dev/card-provider-server.js', {
        ...env,
        CARD_PROVIDER_PORT: String(ports.cards),
        PAYMENT_PROVIDER_SECRET: cardSecret,
        WEBHOOK_URL: `${urls.billing}/payments/webhook`,
        CARD_PROVIDER_PUBLIC_URL: providerUrl,
      });
      for (const name of SUBGRAPH_NAMES) {
        run.spawn(name, `subgraphs/${name}/dist/main.js`, {
          ...env,
          [`${name.toUpperCase()}_PORT`]: String(ports[name]),
          [`${name.toUpperCase()}_DATABASE_URL`]: databaseUrls[name],
          ...(name === 'identity' ? { IDENTITY_JWT_PRIVATE_KEY: readFileSync(join(dataDir, 'identity-jwt.pem'), 'utf8') } : {}),
          ...(name === 'billing' ? { PAYMENT_PROVIDER_URL: providerUrl, PAYMENT_PROVIDER_SECRET: cardSecret, BILLING_FEE_RUN_INTERVAL_SECONDS: '0' } : {}),
          ...extra(name),
        });
      }
      for (const name of SUBGRAPH_NAMES) await run.ready(`${urls[name]}/readyz`, name);
      return { urls, providerUrl, internalToken, env };
    },
    async cleanUp() {
      for (const { child } of processes) if (child.exitCode === null) child.kill('SIGTERM');
      await Promise.all(processes.map(({ child }) => (child.exitCode === null ? new Promise((resolve) => child.once('exit', resolve)) : null)));
      await cleanRedis(keyPrefix);
      rmSync(dataDir, { recursive: true, force: true });
      if (databaseUrl) {
        const connection = await adminConnection(databaseUrl);
        for (const name of SUBGRAPH_NAMES) await connection.query(`DROP DATABASE IF EXISTS \`bench_${runId}_${name}\``);
        await connection.end();
      }
    },
  };
  return run;
}

/** A process's resident memory now (Linux /proc), in bytes. */
function rssOf(pid) {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Number(match[1]) * 1024 : NaN;
}

module.exports = { prepareRun, freePort, rssOf };
