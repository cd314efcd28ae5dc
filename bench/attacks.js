// Attacks of the hostile-client review against `npm start`'s own entry (the all-in-one launcher, built output) in a
// child process held to a 256 MB heap: per attack, the time to the answer (median and worst of the runs, measured
// at the client over loopback) and the system process's resident memory after them.
//
//   npm run build && node bench/attacks.js [runs per attack, default 20]
//
// Linux (RSS read from /proc). Prints a table; the figures go into the closing note, not into assertions.
const { spawn } = require('node:child_process');
const { createHash } = require('node:crypto');
const { mkdtempSync, readFileSync, rmSync } = require('node:fs');
const { freePort } = require('./support/distributed');
const { tmpdir } = require('node:os');
const { join } = require('node:path');

const runs = Number(process.argv[2] ?? 20);
const root = join(__dirname, '..');
const METRICS_TOKEN = 'bench-attacks-metrics-token-0123';
const SUBGRAPHS = ['identity', 'catalog', 'billing', 'detailing', 'delegation'];

function rssMb(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)[1]) / 1024;
}

function deepActivity(levels, first = 50) {
  let selection = 'id';
  for (let level = 0; level < levels; level += 1) selection = `actor { id activity(first: ${first}) { edges { node { ${selection} } } } }`;
  return `{ me { activity(first: ${first}) { edges { node { ${selection} } } } } }`;
}

async function main() {
  const ports = {};
  for (const name of ['gateway', ...SUBGRAPHS]) ports[name] = await freePort();
  const dataDir = mkdtempSync(join(tmpdir(), 'bench-attacks-'));
  const child = spawn(process.execPath, ['--max-old-space-size=256', join(root, 'gateway/dist/all-in-one.js')], {
    env: {
      PATH: process.env.PATH,
      NODE_ENV: 'development',
      LOG_LEVEL: 'error',
      DATA_DIR: dataDir,
      METRICS_TOKEN,
      CORS_ORIGINS: 'https://cabinet.example.kz',
      ...Object.fromEntries(Object.entries(ports).map(([name, port]) => [`${name.toUpperCase()}_PORT`, String(port)])),
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const gateway = `http://127.0.0.1:${ports.gateway}`;
  try {
    for (let tries = 0; ; tries += 1) {
      const ready = await fetch(`${gateway}/readyz`).then((r) => r.ok, () => false);
      if (ready) break;
      if (tries > 600 || child.exitCode !== null) throw new Error('the all-in-one system did not start');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const post = (body, headers = {}, base = gateway) =>
      fetch(`${base}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
    const login = await (await post({ query: 'mutation { login(login: "+77051234567", password: "Demo-2026", channel: WEB) { accessToken } }' })).json();
    const me = { authorization: `Bearer ${login.data.login.accessToken}` };
    const apqQuery = 'query ($n: Int) { me { activity(first: $n) { edges { node { actor { activity(first: $n) { edges { node { id } } } } } } } } }';
    const persistedQuery = { version: 1, sha256Hash: createHash('sha256').update(apqQuery).digest('hex') };
    await post({ query: apqQuery, variables: { n: 2 }, extensions: { persistedQuery } }, me);

    const attacks = [
      ['baseline: me { msisdn tariff { name } }', () => post({ query: '{ me { msisdn tariff { name } } }' }, me)],
      ['deep nesting: 15 levels of activity(first: 50)', () => post({ query: deepActivity(15) }, me)],
      ['4,000 × currentTerms { version } (anonymous)', () => post({ query: `{ ${'currentTerms { version } '.repeat(4000)} }` })],
      ['500 × currentTerms { version } (under the token limit)', () => post({ query: `{ ${'currentTerms { version } '.repeat(500)} }` })],
      ['500 aliases of me { tariff account allowances }', () => post({ query: `{ ${Array.from({ length: 500 }, (_, i) => `m${i}: me { tariff { name } account { number } allowances { unit } }`).join(' ')} }` }, me)],
      ['1,000 aliases of tariffs', () => post({ query: `{ ${Array.from({ length: 1000 }, (_, i) => `t${i}: tariffs { code }`).join(' ')} }` })],
      ['70,000-character PhoneNumber variable', () => post({ query: 'mutation ($m: PhoneNumber!) { requestPassword(msisdn: $m) }', variables: { m: '7'.repeat(70_000) } })],
      ['identity port, no internal token: { _service { sdl } }', () => post({ query: '{ _service { sdl } }' }, {}, `http://127.0.0.1:${ports.identity}`)],
      ['gateway /metrics without the token', () => fetch(`${gateway}/metrics`)],
      ['X-Forwarded-For: 203.0.113.9 (ignored)', () => post({ query: '{ currentTerms { version } }' }, { 'x-forwarded-for': '203.0.113.9' })],
      ['CORS preflight from a refused origin', () => fetch(`${gateway}/graphql`, { method: 'OPTIONS', headers: { origin: 'https://evil.example.com', 'access-control-request-method': 'POST' } })],
      ['unknown persisted-query hash', () => post({ extensions: { persistedQuery: { version: 1, sha256Hash: 'a'.repeat(64) } } })],
      ['stored query by hash, first: $n = 100', () => post({ variables: { n: 100 }, extensions: { persistedQuery } }, me)],
    ];
    const rows = [];
    for (const [attack, run] of attacks) {
      const times = [];
      let outcome = '';
      for (let i = 0; i < runs; i += 1) {
        const started = process.hrtime.bigint();
        const response = await run();
        const text = await response.text();
        times.push(Number(process.hrtime.bigint() - started) / 1e6);
        let code = '';
        try {
          code = JSON.parse(text).errors?.[0]?.extensions?.code ?? '';
        } catch {
          // not JSON
        }
        outcome = `${response.status} ${code}`.trim();
      }
      times.sort((a, b) => a - b);
      rows.push({ attack, answer: outcome, 'median ms': times[Math.floor(times.length / 2)].toFixed(1), 'max ms': times[times.length - 1].toFixed(1), 'RSS after MB': rssMb(child.pid).toFixed(0) });
    }
    const alive = (await fetch(`${gateway}/healthz`)).status;
    console.log(`\nattacks on the all-in-one system (--max-old-space-size=256), ${runs} runs each, SQLite`);
    console.table(rows);
    console.log(`/healthz afterwards: ${alive}; the system process's RSS: ${rssMb(child.pid).toFixed(0)} MB`);
  } finally {
    child.kill('SIGTERM');
    await new Promise((resolve) => (child.exitCode !== null ? resolve() : child.once('exit', resolve)));
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
