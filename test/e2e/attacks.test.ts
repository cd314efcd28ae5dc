import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import http from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readSupergraph, startGateway } from '@selfcare/gateway';
import { AccessTokenVerifier, MemoryRevocationStore, createLogger, httpJwksSource } from '@selfcare/shared';
import { waitFor } from '@selfcare/shared/testing';
import { TestSystem } from '../support/system';
import { REPOSITORY_ROOT as root, ServiceProcess, freePort } from '../support/processes';

/**
 * What the hostile-client review sent, sent again. The first part drives `npm start`'s own entry (the all-in-one
 * launcher) in a child process held to a 256 MB heap: a memory blow-up kills it, so it must still answer /healthz
 * at the end. Each refusal is asserted by its outcome; the time to it is recorded and printed, not asserted.
 * The second part runs the embedded system in-process (MariaDB with TEST_DATABASE_URL) for what needs its insides:
 * client addresses, a subgraph killed or slow, and websocket subscriptions.
 */
const SUBGRAPHS = ['identity', 'catalog', 'billing', 'detailing', 'delegation'] as const;
const METRICS_TOKEN = 'attacks-metrics-token-0123456789';
const ALLOWED_ORIGIN = 'https://cabinet.example.kz';
const timings: { attack: string; ms: number; outcome: string }[] = [];


interface Answer {
  status: number;
  headers: Headers;
  text: string;
  body: { data?: any; errors?: { message: string; extensions?: Record<string, any> }[] } | null;
}

async function send(url: string, init: RequestInit = {}): Promise<Answer> {
  const response = await fetch(url, init);
  const text = await response.text();
  let body: Answer['body'] = null;
  try {
    body = JSON.parse(text) as Answer['body'];
  } catch {
    // not JSON (metrics text, an HTML page)
  }
  return { status: response.status, headers: response.headers, text, body };
}

/** Runs one attack, records how long the answer took and returns it. */
async function attack<T extends Answer>(name: string, run: () => Promise<T>): Promise<T> {
  const started = process.hrtime.bigint();
  const answer = await run();
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  timings.push({ attack: name, ms: Math.round(ms * 10) / 10, outcome: `${answer.status} ${answer.body?.errors?.[0]?.extensions?.code ?? ''}`.trim() });
  return answer;
}

const codeOf = (answer: Answer) => answer.body?.errors?.[0]?.extensions?.code;
const limitOf = (answer: Answer) => answer.body?.errors?.[0]?.extensions?.limit;

function deepActivity(levels: number, first = 50): string {
  let selection = 'id';
  for (let level = 0; level < levels; level += 1) selection = `actor { id activity(first: ${first}) { edges { node { ${selection} } } } }`;
  return `{ me { activity(first: ${first}) { edges { node { ${selection} } } } } }`;
}

afterAll(() => {
  if (timings.length) {
    process.stdout.write(`\nattacks: time to the answer (ms)\n${timings.map((t) => `  ${t.attack.padEnd(58)} ${String(t.ms).padStart(8)}  ${t.outcome}`).join('\n')}\n`);
  }
});

describe('attacks on the all-in-one launcher (npm start) in a 256 MB child process', () => {
  let child: ServiceProcess;
  const dataDir = mkdtempSync(join(tmpdir(), 'selfcare-attacks-'));
  const ports: Record<string, number> = {};
  let gateway = '';
  let token = '';

  const graphqlAt = (base: string, body: unknown, headers: Record<string, string> = {}) =>
    send(`${base}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  const post = (body: unknown, headers: Record<string, string> = {}) => graphqlAt(gateway, body, headers);
  const asSubscriber = () => ({ authorization: `Bearer ${token}` });

  beforeAll(async () => {
    for (const name of ['gateway', ...SUBGRAPHS]) ports[name] = await freePort();
    child = new ServiceProcess('all-in-one', 'gateway/dist/all-in-one.js', {
      nodeArgs: ['--max-old-space-size=256'],
      env: {
        PATH: process.env.PATH,
        NODE_ENV: 'test',
        LOG_LEVEL: 'error',
        DATA_DIR: dataDir,
        METRICS_TOKEN,
        CORS_ORIGINS: ALLOWED_ORIGIN,
        ...Object.fromEntries(Object.entries(ports).map(([name, port]) => [`${name.toUpperCase()}_PORT`, String(port)])),
      },
    });
    gateway = `http://127.0.0.1:${ports.gateway}`;
    await child.ready(gateway, { timeoutMs: 60_000 });
    const login = await post({ query: 'mutation { login(login: "+77051234567", password: "Demo-2026", channel: WEB) { accessToken } }' });
    token = login.body!.data!.login.accessToken;
  }, 90_000);

  afterAll(async () => {
    await child?.stop('SIGTERM');
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('listens on loopback only by default, and says so', async () => {
    const banner = await waitFor(() => /GraphQL \+ Apollo Sandbox: .*/.exec(child.output)?.[0], 10_000, 'the start-up banner');
    expect(banner).toMatch(/this machine only: GATEWAY_HOST/);
  });

  it('refuses 15 levels of me { activity(first: 50) { … actor { activity … } } } before planning: depth and cost', async () => {
    const answer = await attack('deep nesting, 15 levels of activity(first: 50)', () => post({ query: deepActivity(15) }, asSubscriber()));
    expect(answer.status).toBe(400);
    expect(codeOf(answer)).toBe('BAD_USER_INPUT');
    expect(answer.body!.errors!.map((e) => e.extensions!.limit)).toEqual(['depth', 'cost']);
    expect(answer.body!.errors![0]!.message).toMatch(/GRAPHQL_MAX_DEPTH|depth/);
  });

  it('refuses two levels of activity(first: 50) by cost, and the same with first: $n, $n = 100', async () => {
    expect(limitOf(await attack('2 levels of activity(first: 50)', () => post({ query: deepActivity(1) }, asSubscriber())))).toBe('cost');
    const byVariable = await attack('2 levels of activity(first: $n), n = 100', () =>
      post({ query: 'query ($n: Int) { me { activity(first: $n) { edges { node { actor { activity(first: $n) { edges { node { id } } } } } } } } }', variables: { n: 100 } }, asSubscriber()),
    );
    expect(limitOf(byVariable)).toBe('cost');
  });

  it('refuses 4,000 repeated anonymous currentTerms { version } at the parser (it froze the event loop for 8-25 s)', async () => {
    const query = `{ ${'currentTerms { version } '.repeat(4000)} }`;
    expect(query.length).toBeLessThan(100 * 1024);
    const answer = await attack('4,000 × currentTerms { version }', () => post({ query }));
    expect(answer.status).toBe(400);
    expect({ code: codeOf(answer), limit: limitOf(answer) }).toEqual({ code: 'BAD_USER_INPUT', limit: 'tokens' });
    // Under the token limit, the repeats are bounded before graphql-js compares every pair of them.
    const fewer = await attack('500 × currentTerms { version }', () => post({ query: `{ ${'currentTerms { version } '.repeat(500)} }` }));
    expect({ code: codeOf(fewer), limit: limitOf(fewer) }).toEqual({ code: 'BAD_USER_INPUT', limit: 'repeats' });
  });

  it('refuses 500 aliases of me { tariff account allowances } and 1,000 aliases of tariffs, and 31 aliases by the alias limit', async () => {
    const me = Array.from({ length: 500 }, (_, i) => `m${i}: me { tariff { name } account { number } allowances { unit left } }`).join(' ');
    const mine = await attack('500 aliases of me { tariff account allowances }', () => post({ query: `{ ${me} }` }, asSubscriber()));
    expect(codeOf(mine)).toBe('BAD_USER_INPUT');
    const tariffs = Array.from({ length: 1000 }, (_, i) => `t${i}: tariffs { code name }`).join(' ');
    const list = await attack('1,000 aliases of tariffs', () => post({ query: `{ ${tariffs} }` }));
    expect(codeOf(list)).toBe('BAD_USER_INPUT');
    expect(list.text.length).toBeLessThan(2000);
    const few = Array.from({ length: 31 }, (_, i) => `t${i}: tariffs { code }`).join(' ');
    expect(limitOf(await attack('31 aliases of tariffs', () => post({ query: `{ ${few} }` })))).toBe('aliases');
  });

  it('applies the same limits to a GET query', async () => {
    const query = `{ ${'currentTerms { version } '.repeat(20)} }`;
    const answer = await attack('GET with 20 × currentTerms { version }', () => send(`${gateway}/graphql?query=${encodeURIComponent(query)}`, { headers: { 'apollo-require-preflight': 'true' } }));
    expect({ status: answer.status, limit: limitOf(answer) }).toEqual({ status: 400, limit: 'repeats' });
  });

  it('answers a 70,000-character PhoneNumber at once with a short BAD_USER_INPUT that does not echo it (it never answered)', async () => {
    const value = '7'.repeat(70_000);
    const answer = await attack('70,000-character PhoneNumber variable', () =>
      post({ query: 'mutation ($m: PhoneNumber!) { requestPassword(msisdn: $m) }', variables: { m: value } }),
    );
    expect(answer.body!.errors![0]!.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'msisdn', serviceName: 'identity' });
    expect(answer.text).not.toContain('7'.repeat(100));
    expect(answer.text.length).toBeLessThan(2000);
  });

  it('refuses GraphQL and _service { sdl } on a subgraph port without the internal token', async () => {
    for (const name of SUBGRAPHS) {
      const subgraph = `http://127.0.0.1:${ports[name]}`;
      const sdl = await attack(`${name}: { _service { sdl } } without the internal token`, () => graphqlAt(subgraph, { query: '{ _service { sdl } }' }));
      expect({ name, status: sdl.status, code: codeOf(sdl) }).toEqual({ name, status: 403, code: 'FORBIDDEN' });
      expect(sdl.text).not.toMatch(/type Query|extend schema/);
      const wrong = await graphqlAt(subgraph, { query: '{ __typename }' }, { 'x-internal-token': 'x'.repeat(48) });
      expect(wrong.status).toBe(403);
    }
  });

  it('serves /metrics on every port only to the metrics token, with no client-chosen label values', async () => {
    await post({ query: 'query Attacker_Series_0123456789 { tariffs { code } }', operationName: 'Attacker_Series_0123456789' });
    for (const port of Object.values(ports)) {
      const refused = await attack(`/metrics on :${port === ports.gateway ? 'gateway' : port} without the token`, () => send(`http://127.0.0.1:${port}/metrics`));
      expect(refused.status).toBe(401);
      expect(refused.text).not.toMatch(/process_cpu/);
      const scraped = await send(`http://127.0.0.1:${port}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
      expect(scraped.status).toBe(200);
      expect(scraped.text).toMatch(/process_cpu_user_seconds_total/);
      expect(scraped.text).not.toMatch(/Attacker_Series/);
    }
    const gatewayMetrics = (await send(`${gateway}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } })).text;
    expect(gatewayMetrics).toMatch(/graphql_operations_total\{root_field="tariffs"/);
    expect(gatewayMetrics).toMatch(/graphql_operations_refused_total\{limit="depth"[^}]*\} [1-9]/);
  });

  it('answers a CORS preflight from an allowed origin and refuses one from any other', async () => {
    const preflight = (origin: string) =>
      send(`${gateway}/graphql`, {
        method: 'OPTIONS',
        headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type,authorization' },
      });
    const allowed = await attack('CORS preflight from the allowed origin', () => preflight(ALLOWED_ORIGIN));
    expect(allowed.status).toBe(204);
    expect(allowed.headers.get('access-control-allow-origin')).toBe(ALLOWED_ORIGIN);
    expect(allowed.headers.get('access-control-allow-headers')).toMatch(/authorization/);
    const refused = await attack('CORS preflight from another origin', () => preflight('https://evil.example.com'));
    expect(refused.status).toBe(403);
    expect(refused.headers.get('access-control-allow-origin')).toBeNull();
    const simple = await post({ query: '{ currentTerms { version } }' }, { origin: ALLOWED_ORIGIN });
    expect(simple.headers.get('access-control-allow-origin')).toBe(ALLOWED_ORIGIN);
  });

  it('gives an unknown persisted-query hash the APQ error, and costs a stored query again with each request’s variables', async () => {
    const unknown = await attack('unknown persisted-query hash', () => post({ extensions: { persistedQuery: { version: 1, sha256Hash: 'a'.repeat(64) } } }));
    expect(unknown.body!.errors![0]).toMatchObject({ message: 'PersistedQueryNotFound', extensions: { code: 'PERSISTED_QUERY_NOT_FOUND' } });
    const version = await post({ extensions: { persistedQuery: { version: 2, sha256Hash: 'a'.repeat(64) } } });
    expect({ status: version.status, code: codeOf(version) }).toEqual({ status: 400, code: 'BAD_USER_INPUT' });

    const query = 'query ($n: Int) { me { activity(first: $n) { edges { node { actor { activity(first: $n) { edges { node { id } } } } } } } } }';
    const persistedQuery = { version: 1, sha256Hash: createHash('sha256').update(query).digest('hex') };
    const registered = await post({ query, variables: { n: 2 }, extensions: { persistedQuery } }, asSubscriber());
    expect(registered.body!.errors).toBeUndefined();
    const cheap = await post({ variables: { n: 2 }, extensions: { persistedQuery } }, asSubscriber());
    expect(cheap.body!.errors).toBeUndefined();
    const dear = await attack('stored query by hash, first: $n = 100', () => post({ variables: { n: 100 }, extensions: { persistedQuery } }, asSubscriber()));
    expect({ status: dear.status, limit: limitOf(dear) }).toEqual({ status: 400, limit: 'cost' });
  });

  it('is alive and within its heap afterwards', async () => {
    expect(child.running).toBe(true);
    expect((await send(`${gateway}/healthz`)).status).toBe(200);
    const fine = await post({ query: '{ me { msisdn tariff { name } } }' }, asSubscriber());
    expect(fine.body).toEqual({ data: { me: { msisdn: '+77051234567', tariff: { name: expect.any(String) } } } });
  });
});

describe('NODE_ENV=production npm start', () => {
  it('is refused with one line naming NODE_ENV and the distributed mode, exit code 78', () => {
    const result = spawnSync(process.execPath, [join(root, 'gateway/dist/all-in-one.js')], {
      env: { PATH: process.env.PATH, NODE_ENV: 'production', DATA_DIR: join(tmpdir(), 'selfcare-never-created') },
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(result.status).toBe(78);
    const lines = result.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^Configuration error: NODE_ENV: production is not served by the all-in-one launcher.*distributed mode/);
    expect(result.stdout).not.toMatch(/Demo logins|dev\/sms/);
  });
});

describe('attacks that need the system’s insides (in-process)', () => {
  let t: TestSystem;
  let token: string;
  beforeAll(async () => {
    t = await TestSystem.start();
    ({ accessToken: token } = await t.login('+77051234567', 'Demo-2026'));
  }, 120_000);
  afterAll(async () => {
    await t?.stop();
  });

  /** The client address identity is told (X-Client-Address from the gateway) for one request through `gatewayUrl`. */
  async function addressSeenByIdentity(gatewayUrl: string, headers: Record<string, string>): Promise<string | undefined> {
    const seen: string[] = [];
    const listener = (req: http.IncomingMessage) => void seen.push(req.headers['x-client-address'] as string);
    t.system.subgraphs.identity.httpServer.on('request', listener);
    try {
      await attack(`X-Forwarded-For ${headers['x-forwarded-for']}`, () =>
        send(`${gatewayUrl}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ query: '{ currentTerms { version } }' }) }),
      );
    } finally {
      t.system.subgraphs.identity.httpServer.off('request', listener);
    }
    return seen[0];
  }

  function gatewayWith(options: Partial<Parameters<typeof startGateway>[0]> = {}) {
    return startGateway({
      port: 0,
      host: '127.0.0.1',
      supergraphSdl: readSupergraph(),
      subgraphUrls: Object.fromEntries(Object.entries(t.system.subgraphs).map(([name, s]) => [name, s.graphqlUrl])) as never,
      production: true,
      logger: createLogger('gateway-attacks', 'fatal'),
      internalToken: t.system.platform.internalToken,
      verifier: new AccessTokenVerifier(httpJwksSource(`${t.system.subgraphs.identity.url}/.well-known/jwks.json`), new MemoryRevocationStore(60_000), 'selfcare-identity'),
      ...options,
    });
  }

  it('ignores X-Forwarded-For unless TRUST_PROXY names the proxy, so per-address limits cannot be dodged', async () => {
    expect(await addressSeenByIdentity(t.url, { 'x-forwarded-for': '203.0.113.9' })).toBe('127.0.0.1');
    const behindProxy = await gatewayWith({ trustProxy: ['loopback'] });
    try {
      // A proxy on loopback in front: it names the client, and what the client itself claims further left is ignored.
      expect(await addressSeenByIdentity(behindProxy.url, { 'x-forwarded-for': '198.51.100.1, 203.0.113.9' })).toBe('203.0.113.9');
    } finally {
      await behindProxy.stop();
    }
  });

  it('refuses over-limit subscriptions over websockets before planning', async () => {
    const client = t.wsClient(token);
    try {
      const deep = `subscription ($id: ID!) { balanceChanged(subscriberId: $id) { subscriber { activity(first: 100) { edges { node { actor { activity(first: 100) { edges { node { id } } } } } } } } } }`;
      const failure = await client
        .iterate({ query: deep, variables: { id: 'x' } })
        .next()
        .then(
          () => null,
          (errors: unknown) => errors,
        );
      expect(failure).toEqual([expect.objectContaining({ extensions: expect.objectContaining({ code: 'BAD_USER_INPUT', limit: 'cost' }) })]);
      const tokens = await client
        .iterate({ query: `subscription { ${'balanceChanged(subscriberId: "x") { cursor } '.repeat(500)} }` })
        .next()
        .then(
          () => null,
          (errors: unknown) => errors,
        );
      expect(tokens).toEqual([expect.objectContaining({ extensions: expect.objectContaining({ limit: 'tokens' }) })]);
    } finally {
      await client.dispose();
    }
  });

  it('has every subgraph refuse, as a backstop, what the gateway would have refused, even from a holder of the internal token', async () => {
    const answer = await attack('identity backstop: 15 levels, with the internal token', () =>
      send(t.system.subgraphs.identity.graphqlUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, 'x-internal-token': t.system.platform.internalToken },
        body: JSON.stringify({ query: deepActivity(15) }),
      }),
    );
    expect(answer.status).toBe(400);
    expect(answer.body!.errors!.map((e) => e.extensions!.limit)).toEqual(['depth', 'cost']);
    // What the gateway lets through passes the backstop: the gateway's plan for a page of activity with its actors.
    const page = await t.graphql('{ me { activity(first: 100) { edges { node { id actor { msisdn tariff { name } } } } } } }', {}, { token });
    expect(page.errors).toBeUndefined();
  });

  it('refuses websocket subscriptions on a subgraph port without the internal token (4403)', async () => {
    const { createClient } = await import('graphql-ws');
    const WebSocket = (await import('ws')).default;
    const client = createClient({ url: t.system.subgraphs.billing.graphqlUrl.replace(/^http/, 'ws'), webSocketImpl: WebSocket, retryAttempts: 0, lazy: true });
    try {
      const closed = await client
        .iterate({ query: 'subscription { balanceChanged(subscriberId: "x") { cursor } }' })
        .next()
        .then(
          () => null,
          (error: unknown) => error,
        );
      expect((closed as { code?: number }).code).toBe(4403);
    } finally {
      await client.dispose();
    }
  });

  it('answers SERVICE_UNAVAILABLE on the fields of a subgraph that is slow, garbled or drops a stale connection, the rest answered', async () => {
    // A stand-in catalog: hangs, answers a long or an oversized error, or drops the first request's connection unanswered.
    let mode: 'hang' | 'long error' | 'huge error' | 'drop once' | 'drop always' = 'hang';
    let requests = 0;
    let dropped = 0;
    const catalog = http.createServer((req, res) => {
      requests += 1;
      if (mode === 'hang') return; // never answers
      if (mode === 'drop always') {
        req.socket.destroy();
        return;
      }
      if (mode === 'long error' || mode === 'huge error') {
        res.writeHead(400, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ errors: [{ message: 'x'.repeat(mode === 'long error' ? 100_000 : 300_000), extensions: { code: 'BAD_USER_INPUT' } }] }));
        return;
      }
      if (dropped === 0) {
        dropped += 1;
        req.socket.destroy();
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ data: { _entities: [{ __typename: 'Subscriber', tariff: { __typename: 'TariffPlan', name: 'Stand-in' } }] } }));
    });
    await new Promise<void>((resolve) => catalog.listen(0, '127.0.0.1', resolve));
    const standIn = `http://127.0.0.1:${(catalog.address() as AddressInfo).port}/graphql`;
    const subgraphUrls = { ...Object.fromEntries(Object.entries(t.system.subgraphs).map(([name, s]) => [name, s.graphqlUrl])), catalog: standIn } as never;
    const gateway = await gatewayWith({ subgraphUrls, timeouts: { operationTimeoutMs: 10_000, subgraphTimeoutMs: 300 } });
    const me = () =>
      attack(`catalog stand-in: ${mode}`, () =>
        send(`${gateway.url}/graphql`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, 'accept-language': 'en' },
          body: JSON.stringify({ query: '{ currentTerms { version } me { msisdn tariff { name } } }' }),
        }),
      );
    try {
      const slow = await me();
      expect(slow.body!.data).toMatchObject({ currentTerms: { version: expect.any(String) }, me: { msisdn: '+77051234567', tariff: null } });
      // On the field the slow call owed (test/e2e/faults-subgraph.test.ts).
      expect(slow.body!.errors).toEqual([{ message: 'Service temporarily unavailable', path: ['me', 'tariff'], extensions: { code: 'SERVICE_UNAVAILABLE', serviceName: 'catalog', reason: 'timeout' } }]);

      // The operation's own budget ends the call too, however long a single call may take.
      const budgeted = await gatewayWith({ subgraphUrls, timeouts: { operationTimeoutMs: 300, subgraphTimeoutMs: 60_000 } });
      try {
        const late = await attack('catalog stand-in: hang, operation budget 300 ms', () =>
          send(`${budgeted.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: '{ tariffs { code } }' }) }),
        );
        expect(late.body!.errors![0]!.extensions).toMatchObject({ code: 'SERVICE_UNAVAILABLE', serviceName: 'catalog', reason: 'timeout' });
      } finally {
        await budgeted.stop();
      }

      // Past 64 KiB (the gateway used to wait for it forever): read once, its text cut short.
      mode = 'long error';
      const long = await me();
      expect(long.body!.data.me).toMatchObject({ msisdn: '+77051234567', tariff: null });
      expect(long.body!.errors![0]!.extensions).toMatchObject({ code: 'BAD_USER_INPUT', serviceName: 'catalog' });
      expect(long.text.length).toBeLessThan(2000);

      // Past what the gateway reads of an error at all: not read to its end.
      mode = 'huge error';
      const huge = await me();
      expect(huge.body!.data.me).toMatchObject({ msisdn: '+77051234567', tariff: null });
      expect(huge.body!.errors![0]!.extensions).toMatchObject({ code: 'SERVICE_UNAVAILABLE', serviceName: 'catalog' });
      expect(huge.text.length).toBeLessThan(2000);

      mode = 'drop once';
      const retried = await me();
      expect(retried.body).toEqual({ data: { currentTerms: { version: expect.any(String) }, me: { msisdn: '+77051234567', tariff: { name: 'Stand-in' } } } });
      expect(dropped).toBe(1);

      // A mutation the subgraph may have begun is not sent again (the stand-in plays identity, which has mutations).
      mode = 'drop always';
      requests = 0;
      const identityGateway = await gatewayWith({
        subgraphUrls: { ...Object.fromEntries(Object.entries(t.system.subgraphs).map(([name, s]) => [name, s.graphqlUrl])), identity: standIn } as never,
      });
      try {
        const mutation = await attack('identity stand-in drops a mutation', () =>
          send(`${identityGateway.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: 'mutation { logout }' }) }),
        );
        expect(mutation.body!.errors![0]!.extensions).toMatchObject({ code: 'SERVICE_UNAVAILABLE', serviceName: 'identity', reason: 'unreachable' });
        expect(requests).toBe(1);
      } finally {
        await identityGateway.stop();
      }
      // A query is sent again once, not more.
      requests = 0;
      const dropped2 = await me();
      expect(dropped2.body!.errors![0]!.extensions).toMatchObject({ code: 'SERVICE_UNAVAILABLE', serviceName: 'catalog' });
      expect(requests).toBe(2);
      expect((await send(`${gateway.url}/healthz`)).status).toBe(200);
    } finally {
      await gateway.stop();
      catalog.closeAllConnections();
      await new Promise((resolve) => catalog.close(resolve));
    }
  });

  it('answers SERVICE_UNAVAILABLE on a killed subgraph’s fields and answers the others (it was INTERNAL)', async () => {
    await t.system.subgraphs.catalog.stop();
    const answer = await attack('catalog killed', () =>
      send(`${t.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ query: '{ currentTerms { version } me { msisdn tariff { name } account { number } } }' }),
      }),
    );
    expect(answer.body!.data).toMatchObject({ currentTerms: { version: expect.any(String) }, me: { msisdn: '+77051234567', tariff: null, account: { number: expect.any(String) } } });
    expect(answer.body!.errors!.map((e) => e.extensions)).toEqual([expect.objectContaining({ code: 'SERVICE_UNAVAILABLE', serviceName: 'catalog', reason: 'unreachable' })]);
    expect((await send(`${t.url}/healthz`)).status).toBe(200);
  });
});
