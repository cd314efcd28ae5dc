import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { buildSchema, parse } from 'graphql';
import { AccessTokenVerifier, CachedTokenVerifier, DEFAULT_OPERATION_LIMITS, ErrorCode, MemoryRevocationStore, generateSigningKeyPem, localJwksSource, signJwt, signingKeyFromPem } from '@selfcare/shared';
import { cachedLimits } from '../src/perf/limits-cache';
import { createGatewayLimits } from '../src/limits';
import { subgraphRequest } from '../src/perf/subgraph-http';

/** The gateway's per-request savings (gateway/src/perf) keep what they replace: revocations, limits, bounded reads. */
describe('the token cache', () => {
  const key = signingKeyFromPem(generateSigningKeyPem());
  const token = (sub: string, expInSeconds = 600) => {
    const now = Date.now();
    return signJwt({ iss: 'selfcare-identity', sub, sid: `sid-${sub}`, act: 'subscriber', ch: 'WEB', iat: Math.floor(now / 1000), iatms: now - 1000, exp: Math.floor(now / 1000) + expInSeconds, typ: 'access' }, key);
  };

  it('refuses a cached token once it is revoked (terms 3.3, 4.1), from the next request on', async () => {
    const revocations = new MemoryRevocationStore(60_000);
    const verifier = new CachedTokenVerifier(new AccessTokenVerifier(localJwksSource([key.publicJwk]), revocations, 'selfcare-identity'));
    const signed = await token('s-1');
    expect((await verifier.verify(signed)).caller).toMatchObject({ kind: 'subscriber', subscriberId: 's-1' });
    expect(verifier.size).toBe(1);
    await revocations.revokeSession('sid-s-1', { since: Date.now(), code: ErrorCode.UNAUTHENTICATED });
    await expect(verifier.verify(signed)).rejects.toMatchObject({ code: ErrorCode.UNAUTHENTICATED, options: { extensions: { reason: 'token revoked' } } });
    await revocations.revokeSubject('s-1', { since: Date.now(), code: ErrorCode.ACCESS_SUSPENDED });
    await expect(verifier.verify(signed)).rejects.toMatchObject({ code: ErrorCode.ACCESS_SUSPENDED });
  });

  it('checks the signature again once the token expired, keeps no bad token and stays within its bound', async () => {
    let now = Date.now();
    const inner = new AccessTokenVerifier(localJwksSource([key.publicJwk]), new MemoryRevocationStore(60_000), 'selfcare-identity');
    const signatures = jest.spyOn(inner, 'verifySignature');
    const verifier = new CachedTokenVerifier(inner, 2, () => now);
    const signed = await token('s-2', 60);
    await verifier.verify(signed);
    await verifier.verify(signed);
    expect(signatures).toHaveBeenCalledTimes(1);
    now += 61_000; // past exp: the cached claims are dropped, jose's check (real clock) decides
    await verifier.verify(signed);
    expect(signatures).toHaveBeenCalledTimes(2);
    const forged = `${signed.slice(0, signed.lastIndexOf('.'))}.${'A'.repeat(86)}`;
    for (let i = 0; i < 3; i += 1) await expect(verifier.verify(forged)).rejects.toMatchObject({ code: ErrorCode.UNAUTHENTICATED, options: { extensions: { reason: 'bad signature' } } });
    expect(signatures).toHaveBeenCalledTimes(5);
    for (const sub of ['a', 'b', 'c']) await verifier.verify(await token(sub));
    expect(verifier.size).toBe(2);
  });
});

describe('the limits cache', () => {
  const sdl = 'type Query { items(first: Int): ItemConnection! } type ItemConnection { edges: [ItemEdge!]! } type ItemEdge { node: Item! } type Item { id: ID! name: String! }';
  const schema = buildSchema(sdl);
  const limits = cachedLimits(createGatewayLimits({ ...DEFAULT_OPERATION_LIMITS, maxCost: 50 }));
  const query = 'query ($n: Int) { items(first: $n) { edges { node { id name } } } }';

  it('measures each set of variables: a cost within budget once does not pass a larger one', () => {
    const document = limits.parse(query);
    expect(limits.parse(query)).toBe(document);
    expect(limits.validate(schema, document, { n: 5 })).toEqual([]);
    expect(limits.validate(schema, document, { n: 5 })).toEqual([]);
    const refused = limits.validate(schema, document, { n: 1000 });
    expect(refused.map((e) => e.extensions.code)).toEqual(['BAD_USER_INPUT']);
    expect(limits.validate(schema, document, { n: 1000 })).toHaveLength(1);
    // Another schema (a new supergraph) is measured anew.
    expect(limits.validate(buildSchema(sdl), document, { n: 5 })).toEqual([]);
  });

  it('refuses an over-long text or a syntax error every time, as without the cache', () => {
    expect(() => limits.parse(`{ ${'items { edges { node { id } } } '.repeat(2000)} }`)).toThrow();
    expect(() => limits.parse('{ items { id ')).toThrow();
    expect(() => limits.parse('{ items { id ')).toThrow();
    expect(limits.validate(schema, parse('{ items(first: 3) { edges { node { id } } } }'))).toEqual([]);
  });
});

describe('the keep-alive subgraph client', () => {
  let server: http.Server;
  let url = '';
  let sockets = 0;
  beforeAll(async () => {
    server = http.createServer((req, res) => {
      if (req.url === '/dribble') {
        // Headers at once, then a byte now and then, never the end.
        res.writeHead(200, { 'content-type': 'application/json' });
        res.write('{');
        return;
      }
      if (req.url === '/big') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ data: 'x'.repeat(5000) }));
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json', 'x-seen': req.headers['x-internal-token'] ?? '' });
      res.end(JSON.stringify({ data: { echo: req.headers['content-length'] } }));
    });
    server.on('connection', () => (sockets += 1));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('reuses one socket for calls in sequence and passes headers and body', async () => {
    for (let i = 0; i < 5; i += 1) {
      const response = await subgraphRequest(`${url}/graphql`, { method: 'POST', headers: { 'x-internal-token': 't' }, body: '{"query":"{a}"}', signal: AbortSignal.timeout(2000), maxBytes: 1000 });
      expect(response.status).toBe(200);
      expect(response.headers.get('X-Seen')).toBe('t');
      expect(await response.json()).toEqual({ data: { echo: '15' } });
    }
    expect(sockets).toBe(1);
  });

  it('ends an answer that never finishes at the time budget, as a timeout (not a stale connection to retry)', async () => {
    const started = subgraphRequest(`${url}/dribble`, { method: 'POST', headers: {}, body: '{}', signal: AbortSignal.timeout(200), maxBytes: 1000 });
    await expect(started).rejects.toMatchObject({ name: 'TimeoutError' });
    await expect(started.catch((error: { cause?: unknown }) => error.cause)).resolves.toBeUndefined();
  });

  it('stops reading an answer past its bound', async () => {
    const response = await subgraphRequest(`${url}/big`, { method: 'POST', headers: {}, body: '{}', signal: AbortSignal.timeout(2000), maxBytes: 1000 });
    expect(response.text).toBeNull();
  });
});
