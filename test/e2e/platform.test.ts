import { AccessTokenVerifier, MemoryRevocationStore, createLogger, httpJwksSource } from '@selfcare/shared';
import { readSupergraph, startGateway } from '@selfcare/gateway';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { TestSystem, passwordIn } from '../support/system';

/**
 * The platform issue's "done when", driven through the gateway over real HTTP: a subscriber gets a
 * password by SMS (terms 3.1.1), logs in, and reads `me` composed from identity and catalog.
 */
describe('platform: SMS password, login and a cross-subgraph query through the gateway', () => {
  let t: TestSystem;
  beforeAll(async () => {
    t = await TestSystem.start();
  }, 120_000);
  afterAll(async () => {
    await t?.stop();
  });

  const ME = `query { me { id msisdn login kind tariff { code name monthlyFee { amount currency } } } }`;

  it('requestPassword puts an SMS with a password in /dev/sms; login with it returns tokens; me answers from two subgraphs', async () => {
    const msisdn = '+77475556677'; // demo subscriber who has never registered
    const requested = await t.graphql(`mutation ($m: PhoneNumber!) { requestPassword(msisdn: $m) }`, { m: '8 747 555 66 77' });
    expect(requested.errors).toBeUndefined();
    expect(requested.data).toEqual({ requestPassword: true });

    const { text } = await t.waitForSms(msisdn, /\S/);
    const password = passwordIn(text);
    const tokens = await t.login(msisdn, password, 'MOBILE_APP');
    expect(tokens.accessToken.split('.')).toHaveLength(3);
    expect(tokens.refreshToken.length).toBeGreaterThan(20);

    const me = await t.graphql(ME, {}, { token: tokens.accessToken });
    expect(me.errors).toBeUndefined();
    expect(me.data!.me).toMatchObject({
      msisdn,
      login: msisdn,
      kind: 'MOBILE',
      tariff: { code: 'BEELINE_S', monthlyFee: { currency: 'KZT' } },
    });
    expect(me.data!.me.tariff.monthlyFee.amount).toMatch(/^\d+\.\d{2}$/);
  });

  it('refuses a wrong password with INVALID_CREDENTIALS', async () => {
    const result = await t.graphql(`mutation { login(login: "+77051234567", password: "not-the-password", channel: WEB) { accessToken } }`);
    expect(TestSystem.code(result)).toBe('INVALID_CREDENTIALS');
    expect(result.data).toBeNull();
  });

  it.each([
    ['a variable', `mutation ($m: PhoneNumber!) { requestPassword(msisdn: $m) }`, { m: '+7 (905) 123-45-67x' }],
    ['a Russian number', `mutation ($m: PhoneNumber!) { requestPassword(msisdn: $m) }`, { m: '+79051234567' }],
    ['an inline literal', `mutation { requestPassword(msisdn: "12345") }`, {}],
  ])('refuses a malformed number given as %s with BAD_USER_INPUT', async (_label, query, variables) => {
    const result = await t.graphql(query, variables);
    expect(TestSystem.code(result)).toBe('BAD_USER_INPUT');
    expect(result.errors![0]!.extensions!.field).toBe('msisdn');
    expect(JSON.stringify(result.errors)).not.toMatch(/at \w+ \(|\.ts:\d+/); // no stack trace
  });

  it('answers me with null when no token is sent', async () => {
    const result = await t.graphql(ME);
    expect(result.errors).toBeUndefined();
    expect(result.data).toEqual({ me: null });
  });

  it('answers in the caller language (Accept-Language)', async () => {
    const query = `mutation { login(login: "+77051234567", password: "wrong-password", channel: WEB) { accessToken } }`;
    const kk = await t.graphql(query, {}, { headers: { 'accept-language': 'kk' } });
    const en = await t.graphql(query, {}, { headers: { 'accept-language': 'en-US,en;q=0.9' } });
    expect(TestSystem.code(kk)).toBe('INVALID_CREDENTIALS');
    expect(kk.errors![0]!.message).not.toEqual(en.errors![0]!.message);
    expect(en.errors![0]!.message).toMatch(/[A-Za-z]/);
  });

  it('gives a malformed request body a contract error, never a 500', async () => {
    const response = await fetch(`${t.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"query": ' });
    expect(response.status).toBe(400);
    const body = (await response.json()) as { errors: { extensions: { code: string } }[] };
    expect(body.errors[0]!.extensions.code).toBe('BAD_USER_INPUT');
  });

  it.each([
    ['an unknown operation name', { query: 'query A { tariffs { code } } query B { tariffs { name } }', operationName: 'C' }, /Unknown operation named "C"/],
    ['several operations and no name', { query: 'query A { tariffs { code } } query B { tariffs { name } }' }, /Must provide operation name/],
    ['a subscription over HTTP', { query: 'subscription { balanceChanged(subscriberId: "x") { cursor } }' }, /websocket/],
  ])('answers %s with 400 and BAD_USER_INPUT, not a 500', async (_label, body, detail) => {
    const response = await fetch(`${t.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const json = (await response.json()) as { errors: { extensions: { code: string; detail?: string } }[] };
    expect(response.status).toBe(400);
    expect(json.errors[0]!.extensions.code).toBe('BAD_USER_INPUT');
    expect(json.errors[0]!.extensions.detail).toMatch(detail);
  });

  it("passes a subgraph's own BAD_USER_INPUT text through the gateway (it used to become the generic one)", async () => {
    const { accessToken } = await t.login('+77051234567', 'Demo-2026');
    const query = '{ me { account { entries(first: 1, after: "not-a-cursor") { edges { cursor } } } } }';
    const en = await t.graphql(query, {}, { token: accessToken, headers: { 'accept-language': 'en' } });
    expect(en.errors![0]).toMatchObject({ message: 'Invalid cursor', extensions: { code: 'BAD_USER_INPUT', field: 'after', serviceName: 'billing' } });
    const kk = await t.graphql(query, {}, { token: accessToken, headers: { 'accept-language': 'kk' } });
    expect(kk.errors![0]!.message).toBe('Курсор қате');
    // graphql-js's own English texts still get the localized message, the original kept as detail.
    const variable = await t.graphql(`mutation ($m: PhoneNumber!) { requestPassword(msisdn: $m) }`, { m: 5 }, { headers: { 'accept-language': 'en' } });
    expect(variable.errors![0]).toMatchObject({ message: 'Invalid input: msisdn', extensions: { code: 'BAD_USER_INPUT', field: 'msisdn', detail: expect.stringMatching(/Variable "\$m" got invalid value 5/) } });
  });

  it('treats a token whose header is JSON null as a bad token (UNAUTHENTICATED), not a 500, at the gateway and the subgraphs', async () => {
    const token = `${Buffer.from('null').toString('base64url')}.${Buffer.from('{}').toString('base64url')}.c2ln`;
    const response = await fetch(`${t.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query: '{ tariffs { code } me { id } }' }),
    });
    expect(response.status).toBe(200);
    const body = (await response.json()) as { data: { tariffs: unknown[]; me: null }; errors: { extensions: { code: string } }[] };
    expect(body.data.tariffs.length).toBeGreaterThan(0);
    expect(body.data.me).toBeNull();
    expect(body.errors[0]!.extensions.code).toBe('UNAUTHENTICATED');
  });

  it('keeps CSRF prevention on: a simple GET query without a preflight header is refused', async () => {
    const response = await fetch(`${t.url}/graphql?query=${encodeURIComponent('{ __typename }')}`);
    expect(response.status).toBe(400);
    const allowed = await fetch(`${t.url}/graphql?query=${encodeURIComponent('{ __typename }')}`, { headers: { 'apollo-require-preflight': 'true' } });
    expect(allowed.status).toBe(200);
  });

  it('serves Apollo Sandbox outside production', async () => {
    const response = await fetch(`${t.url}/graphql`, { headers: { accept: 'text/html' } });
    expect(response.status).toBe(200);
    expect(await response.text()).toMatch(/sandbox/i);
  });

  it('echoes the request id and carries it, the language and the caller to the subgraphs', async () => {
    const seen: Record<string, string | undefined>[] = [];
    const listener = (req: import('node:http').IncomingMessage) =>
      seen.push({ requestId: req.headers['x-request-id'] as string, language: req.headers['accept-language'] as string, authorization: req.headers.authorization });
    const catalog = t.system.subgraphs.catalog.httpServer;
    catalog.on('request', listener);
    try {
      const response = await fetch(`${t.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-request-id': 'req-e2e-42', 'accept-language': 'kk', authorization: 'Bearer not-a-token' },
        body: JSON.stringify({ query: '{ tariffs { code } }' }),
      });
      expect(response.headers.get('x-request-id')).toBe('req-e2e-42');
      expect(seen).toContainEqual({ requestId: 'req-e2e-42', language: 'kk', authorization: 'Bearer not-a-token' });
    } finally {
      catalog.off('request', listener);
    }
  });

  it('verifies tokens at the gateway too: its metrics tell subscribers, anonymous callers and refused tokens apart', async () => {
    const { accessToken } = await t.login('+77071112233', 'Demo-2026');
    await t.graphql('{ me { id } }', {}, { token: accessToken });
    await t.graphql('{ me { id } }');
    await t.graphql('{ me { id } }', {}, { token: 'forged.token.value' });
    const metrics = await (await fetch(`${t.url}/metrics`, { headers: { authorization: `Bearer ${t.system.platform.internalToken}` } })).text();
    for (const caller of ['subscriber', 'anonymous', 'refused:UNAUTHENTICATED']) {
      expect(metrics).toMatch(new RegExp(`gateway_operations_by_caller_total\\{caller="${caller}"[^}]*\\} [1-9]`));
    }
  });

  it('exposes /healthz, /readyz and Prometheus /metrics (to the metrics token) on the gateway and every subgraph', async () => {
    const scrape = { headers: { authorization: `Bearer ${t.system.platform.internalToken}` } };
    const bases = [t.url, ...Object.values(t.system.subgraphs).map((s) => s.url)];
    for (const base of bases) {
      expect((await fetch(`${base}/healthz`)).status).toBe(200);
      const ready = await fetch(`${base}/readyz`);
      expect(ready.status).toBe(200);
      expect(await ready.json()).toMatchObject({ status: 'ready' });
      const metrics = await fetch(`${base}/metrics`, scrape);
      expect(metrics.headers.get('content-type')).toMatch(/text\/plain/);
      expect(await metrics.text()).toMatch(/process_cpu_user_seconds_total/);
    }
    // Operations are counted per service and outcome (the tests above ran tariffs queries through catalog).
    const catalogMetrics = await (await fetch(`${t.system.subgraphs.catalog.url}/metrics`, scrape)).text();
    expect(catalogMetrics).toMatch(/graphql_operations_total\{[^}]*outcome="ok"[^}]*service="catalog"[^}]*\} [1-9]/);
  });

  it('in production: no landing page, no introspection, no field suggestions', async () => {
    const subgraphUrls = Object.fromEntries(Object.entries(t.system.subgraphs).map(([name, s]) => [name, s.graphqlUrl])) as never;
    const production = await startGateway({
      port: 0,
      host: '127.0.0.1',
      supergraphSdl: readSupergraph(),
      subgraphUrls,
      production: true,
      logger: createLogger('gateway-production', 'warn'),
      internalToken: t.system.platform.internalToken,
      verifier: new AccessTokenVerifier(httpJwksSource(`${t.system.subgraphs.identity.url}/.well-known/jwks.json`), new MemoryRevocationStore(60_000), 'selfcare-identity'),
    });
    try {
      const page = await fetch(production.graphqlUrl, { headers: { accept: 'text/html' } });
      expect(await page.text()).not.toMatch(/sandbox/i);
      const post = (query: string) =>
        fetch(production.graphqlUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query }) }).then(
          (r) => r.json() as Promise<{ data?: unknown; errors?: { message: string; extensions: { code: string } }[] }>,
        );
      const introspection = await post('{ __schema { types { name } } }');
      expect(introspection.errors?.[0]?.extensions.code).toBe('BAD_USER_INPUT');
      // The suggestion would sit in extensions.detail (the message is the localized text): look at all of it.
      const misspelled = await post('{ tarifs { code } }');
      expect(misspelled.errors?.[0]?.extensions.code).toBe('BAD_USER_INPUT');
      expect(JSON.stringify(misspelled)).not.toMatch(/Did you mean/);
      const outsideProduction = await t.graphql('{ tarifs { code } }');
      expect(JSON.stringify(outsideProduction)).toMatch(/Did you mean \\"tariffs\\"/);
      // Over websockets too.
      const client = createClient({ url: production.graphqlUrl.replace(/^http/, 'ws'), webSocketImpl: WebSocket, retryAttempts: 0, lazy: true });
      try {
        const failure = await client
          .iterate({ query: 'subscription { balanceChange(subscriberId: "x") { cursor } }' })
          .next()
          .then(
            () => null,
            (errors: unknown) => errors,
          );
        expect(failure).toEqual([expect.objectContaining({ extensions: expect.objectContaining({ code: 'BAD_USER_INPUT' }) })]);
        expect(JSON.stringify(failure)).not.toMatch(/Did you mean/);
      } finally {
        await client.dispose();
      }
      const fine = await post('{ tariffs { code } }');
      expect(fine.errors).toBeUndefined();
    } finally {
      await production.stop();
    }
  });
});

