#!/usr/bin/env node
/**
 * Login throughput of the identity subgraph with the KDF cost it ships with (scrypt N=2^15, r=8, p=1 unless
 * IDENTITY_KDF_LOG2_N / _R / _P say otherwise): the subgraph runs for real on a fresh SQLite file (or MariaDB with
 * BENCH_DATABASE_URL=mysql://root@127.0.0.1:3306/bench_identity), seeded with the demo subscribers, and autocannon
 * sends `login` mutations with the right password over HTTP. Prints logins/s, latency and the cost of one KDF
 * evaluation. Run after `npm run build`:  node bench/identity-login.js [seconds] [connections]
 */
'use strict';
const { mkdtempSync, rmSync } = require('node:fs');
const { tmpdir, cpus } = require('node:os');
const { join } = require('node:path');
const autocannon = require('autocannon');
const shared = require('@selfcare/shared');
const { DEFAULT_SCRYPT_PARAMS, PasswordHasher } = require('@selfcare/identity');
const { BENCH_INTERNAL_TOKEN, startIdentity } = require('./support/identity');

const seconds = Number(process.argv[2] ?? 10);
const connections = Number(process.argv[3] ?? 8);
const kdf = {
  log2N: Number(process.env.IDENTITY_KDF_LOG2_N ?? DEFAULT_SCRYPT_PARAMS.log2N),
  r: Number(process.env.IDENTITY_KDF_R ?? DEFAULT_SCRYPT_PARAMS.r),
  p: Number(process.env.IDENTITY_KDF_P ?? DEFAULT_SCRYPT_PARAMS.p),
};

async function kdfMilliseconds() {
  const hasher = new PasswordHasher(kdf);
  const spec = hasher.newSpec();
  await hasher.derive('warm-up-1', spec);
  const runs = 10;
  const started = process.hrtime.bigint();
  for (let i = 0; i < runs; i += 1) await hasher.derive(`password-${i}`, spec);
  return Number(process.hrtime.bigint() - started) / 1e6 / runs;
}

async function main() {
  const dir = mkdtempSync(join(tmpdir(), 'bench-identity-'));
  const databaseUrl = process.env.BENCH_DATABASE_URL ?? `sqlite:${join(dir, 'identity.sqlite')}`;
  // Logins send neither SMS nor e-mail: the transports refuse.
  const identity = await startIdentity({
    benchmark: 'login',
    // The benchmark logs in from one address far more often than a person would.
    identity: { kdf, rateLimits: { loginMaxFailuresPerAddress: 1_000_000 } },
    databaseUrl,
    seedDemoData: true,
  });
  const { running } = identity;
  try {
    const oneKdf = await kdfMilliseconds();
    const body = JSON.stringify({
      query: 'mutation ($l: String!, $p: String!) { login(login: $l, password: $p, channel: WEB) { accessToken refreshToken subscriber { id } } }',
      variables: { l: '+77051234567', p: shared.DEMO_PASSWORD },
    });
    // A check first: the request must succeed, or the figure would measure refusals.
    const check = await fetch(running.graphqlUrl, { method: 'POST', headers: { 'content-type': 'application/json', 'x-internal-token': BENCH_INTERNAL_TOKEN }, body });
    const checked = await check.json();
    if (!checked.data || !checked.data.login) throw new Error(`login failed: ${JSON.stringify(checked.errors)}`);

    let failures = 0;
    const result = await autocannon({
      url: running.graphqlUrl,
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-internal-token': BENCH_INTERNAL_TOKEN },
      body,
      connections,
      duration: seconds,
      setupClient: (client) => {
        client.on('body', (buffer) => {
          if (!buffer.toString().includes('"accessToken"')) failures += 1;
        });
      },
    });
    // Requests still in their KDF when the clock ran out finish before the service stops.
    await new Promise((resolve) => setTimeout(resolve, 2000));
    const logins = result.requests.total - failures - result.non2xx;
    console.log(`identity login benchmark (${cpus().length} CPU, ${databaseUrl.startsWith('sqlite') ? 'SQLite' : 'MariaDB'})`);
    console.log(`  KDF: scrypt N=2^${kdf.log2N} r=${kdf.r} p=${kdf.p} → ${((128 * 2 ** kdf.log2N * kdf.r) / 1048576).toFixed(0)} MiB, ${oneKdf.toFixed(1)} ms per evaluation`);
    console.log(`  ${connections} connections, ${seconds} s: ${logins} successful logins, ${failures + result.non2xx} failed, ${result.errors} errors`);
    console.log(`  throughput: ${(logins / seconds).toFixed(1)} logins/s`);
    console.log(`  latency: p50 ${result.latency.p50} ms, p99 ${result.latency.p99} ms`);
    console.log(`  ceiling from the KDF alone: ${((1000 / oneKdf) * Math.min(cpus().length, 4)).toFixed(1)} logins/s (libuv pool of 4 threads, ${cpus().length} cores)`);
  } finally {
    await identity.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
