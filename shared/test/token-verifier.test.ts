import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { sign } from 'node:crypto';
import {
  AccessPolicy,
  AccessTokenClaims,
  AccessTokenVerifier,
  GraphQLContext,
  liveAccessCheck,
  DomainError,
  ErrorCode,
  MemoryRevocationStore,
  RevocationStore,
  SigningKey,
  generateSigningKeyPem,
  httpJwksSource,
  localJwksSource,
  signJwt,
  signingKeyFromPem,
} from '../src';
import { subscriberContext } from '../src/testing/context';

const b64 = (value: unknown) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');
const claims = (overrides: Partial<AccessTokenClaims> = {}): AccessTokenClaims => {
  const now = Date.now();
  return { iss: 'selfcare-identity', sub: 'subscriber-1', sid: 'session-1', act: 'subscriber', ch: 'WEB', iat: Math.floor(now / 1000), iatms: now, exp: Math.floor(now / 1000) + 600, typ: 'access', ...overrides };
};

async function refusal(verifier: AccessTokenVerifier, token: string): Promise<{ code: ErrorCode; reason: unknown }> {
  const error = await verifier.verify(token).then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(DomainError);
  return { code: (error as DomainError).code, reason: (error as DomainError).options.extensions?.reason };
}

/**
 * Every service verifies access tokens itself; whatever a caller puts in the Authorization header must end in a
 * contract code (UNAUTHENTICATED, or SERVICE_UNAVAILABLE when the check cannot be made), never a TypeError (a 500).
 */
describe('AccessTokenVerifier', () => {
  const key = signingKeyFromPem(generateSigningKeyPem());
  const verifierWith = (revocations: RevocationStore = new MemoryRevocationStore(60_000)) =>
    new AccessTokenVerifier(localJwksSource([key.publicJwk]), revocations, 'selfcare-identity');

  it('accepts a token it signed', async () => {
    const { caller } = await verifierWith().verify(await signJwt(claims(), key));
    expect(caller).toEqual({ kind: 'subscriber', subscriberId: 'subscriber-1', sessionId: 'session-1', channel: 'WEB' });
  });

  it('accepts tokens of a previous key that is still published (key rotation)', async () => {
    const previous = signingKeyFromPem(generateSigningKeyPem());
    const verifier = new AccessTokenVerifier(localJwksSource([key.publicJwk, previous.publicJwk]), new MemoryRevocationStore(60_000), 'selfcare-identity');
    expect((await verifier.verify(await signJwt(claims(), previous))).caller).toMatchObject({ subscriberId: 'subscriber-1' });
    expect((await verifier.verify(await signJwt(claims(), key))).caller).toMatchObject({ subscriberId: 'subscriber-1' });
  });

  it.each([
    ['a null header', `${b64('null')}.${b64({})}.c2ln`],
    ['a numeric header', `${b64('42')}.${b64({})}.c2ln`],
    ['an array header', `${b64([])}.${b64({})}.c2ln`],
    ['a kid that is not a string', `${b64({ alg: 'EdDSA', kid: { $ne: null } })}.${b64({})}.c2ln`],
    ['no kid', `${b64({ alg: 'EdDSA' })}.${b64(claims())}.c2ln`],
    ['alg none', `${b64({ alg: 'none', kid: key.kid })}.${b64(claims())}.`],
    ['an HMAC alg (alg confusion)', `${b64({ alg: 'HS256', kid: key.kid })}.${b64(claims())}.c2ln`],
    ['two parts', `${b64({ alg: 'EdDSA', kid: key.kid })}.${b64(claims())}`],
    ['a critical header it does not know', `${b64({ alg: 'EdDSA', kid: key.kid, crit: ['x-unknown'], 'x-unknown': 1 })}.${b64(claims())}.c2ln`],
    ['garbage', 'not-a-token'],
    ['an empty string', ''],
  ])('refuses %s with UNAUTHENTICATED', async (_label, token) => {
    expect((await refusal(verifierWith(), token)).code).toBe(ErrorCode.UNAUTHENTICATED);
  });

  it('refuses a signed token whose payload is null, expired, of another issuer or type, or lacking a claim', async () => {
    const verifier = verifierWith();
    const header = b64({ alg: 'EdDSA', typ: 'JWT', kid: key.kid });
    const nullPayload = `${header}.${b64('null')}`;
    const signedNull = `${nullPayload}.${sign(null, Buffer.from(nullPayload), key.privateKey).toString('base64url')}`;
    expect(await refusal(verifier, signedNull)).toEqual({ code: ErrorCode.UNAUTHENTICATED, reason: 'malformed token' });
    expect(await refusal(verifier, await signJwt(claims({ exp: Math.floor(Date.now() / 1000) - 1 }), key))).toEqual({ code: ErrorCode.UNAUTHENTICATED, reason: 'token expired' });
    expect(await refusal(verifier, await signJwt({ ...claims(), typ: 'refresh' }, key))).toEqual({ code: ErrorCode.UNAUTHENTICATED, reason: 'not an access token' });
    expect(await refusal(verifier, await signJwt(claims({ iss: 'someone-else' }), key))).toEqual({ code: ErrorCode.UNAUTHENTICATED, reason: 'not an access token' });
    const { exp: _exp, ...noExpiry } = claims();
    expect(await refusal(verifier, await signJwt(noExpiry, key))).toEqual({ code: ErrorCode.UNAUTHENTICATED, reason: 'token expired' });
    const { sid: _sid, ...noSession } = claims();
    expect((await refusal(verifier, await signJwt(noSession, key))).code).toBe(ErrorCode.UNAUTHENTICATED);
    // A revocation is matched by subject and session id: ids of another type must not slip past it.
    expect((await refusal(verifier, await signJwt({ ...claims(), sub: 42 }, key))).code).toBe(ErrorCode.UNAUTHENTICATED);
    expect((await refusal(verifier, await signJwt({ ...claims(), iatms: 'soon' }, key))).code).toBe(ErrorCode.UNAUTHENTICATED);
  });

  it('refuses a token signed by a key it does not know, and one whose signature was altered', async () => {
    const stranger = signingKeyFromPem(generateSigningKeyPem());
    expect(await refusal(verifierWith(), await signJwt(claims(), stranger))).toEqual({ code: ErrorCode.UNAUTHENTICATED, reason: 'unknown signing key' });
    // The stranger's key claims our key id: the signature gives it away.
    const impostor: SigningKey = { ...stranger, kid: key.kid };
    expect(await refusal(verifierWith(), await signJwt(claims(), impostor))).toEqual({ code: ErrorCode.UNAUTHENTICATED, reason: 'bad signature' });
  });

  it('gives a revoked token the revocation code', async () => {
    const revocations = new MemoryRevocationStore(60_000);
    const token = await signJwt(claims(), key);
    await revocations.revokeSubject('subscriber-1', { since: Date.now() + 1, code: ErrorCode.ACCESS_SUSPENDED });
    expect((await refusal(verifierWith(revocations), token)).code).toBe(ErrorCode.ACCESS_SUSPENDED);
    const sessionRevoked = new MemoryRevocationStore(60_000);
    await sessionRevoked.revokeSession('session-1', { since: Date.now() + 1, code: ErrorCode.UNAUTHENTICATED });
    expect(await refusal(verifierWith(sessionRevoked), token)).toEqual({ code: ErrorCode.UNAUTHENTICATED, reason: 'token revoked' });
  });

  it('fails closed with SERVICE_UNAVAILABLE when the revocation store cannot answer (Redis down)', async () => {
    const down: RevocationStore = {
      revokeSubject: async () => undefined,
      revokeSession: async () => undefined,
      find: async () => {
        throw new Error('Reached the max retries per request limit (which is 3)');
      },
      close: async () => undefined,
    };
    expect(await refusal(verifierWith(down), await signJwt(claims(), key))).toEqual({ code: ErrorCode.SERVICE_UNAVAILABLE, reason: 'token revocations unavailable' });
  });

  it('answers SERVICE_UNAVAILABLE when the signing keys cannot be fetched', async () => {
    const verifier = new AccessTokenVerifier(
      async () => {
        throw new Error('identity is down');
      },
      new MemoryRevocationStore(60_000),
      'selfcare-identity',
    );
    expect(await refusal(verifier, await signJwt(claims(), key))).toEqual({ code: ErrorCode.SERVICE_UNAVAILABLE, reason: 'token keys unavailable' });
  });
});

/** identity's JWKS endpoint, counting its fetches; `down` makes it answer 503. */
async function jwksServer(keys: () => SigningKey[]): Promise<{ url: string; fetches: () => number; down: (isDown: boolean) => void; stop: () => Promise<void> }> {
  let fetches = 0;
  let isDown = false;
  const server = http.createServer((req, res) => {
    fetches += 1;
    if (isDown) {
      res.statusCode = 503;
      res.end('down');
      return;
    }
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ keys: keys().map((k) => k.publicJwk) }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/.well-known/jwks.json`,
    fetches: () => fetches,
    down: (value) => {
      isDown = value;
    },
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe('identity’s JWKS over HTTP (jose remote key set)', () => {
  const first = signingKeyFromPem(generateSigningKeyPem());
  const rotated = signingKeyFromPem(generateSigningKeyPem());
  let published: SigningKey[] = [first];
  let jwks: Awaited<ReturnType<typeof jwksServer>>;
  beforeAll(async () => {
    jwks = await jwksServer(() => published);
  });
  afterAll(() => jwks.stop());

  it('fetches the keys once, and again only for a key id it does not know (a rotation)', async () => {
    published = [first];
    const verifier = new AccessTokenVerifier(httpJwksSource(jwks.url, { cooldownMs: 0 }), new MemoryRevocationStore(60_000), 'selfcare-identity');
    const before = jwks.fetches();
    for (let i = 0; i < 3; i += 1) await verifier.verify(await signJwt(claims(), first));
    expect(jwks.fetches() - before).toBe(1);
    published = [rotated, first];
    await verifier.verify(await signJwt(claims(), rotated));
    await verifier.verify(await signJwt(claims(), first));
    expect(jwks.fetches() - before).toBe(2);
  });

  it('resolves a lazy URL on first use (identity’s address is known only once it listens)', async () => {
    published = [first];
    let asked = 0;
    const source = httpJwksSource(() => {
      asked += 1;
      return jwks.url;
    });
    const verifier = new AccessTokenVerifier(source, new MemoryRevocationStore(60_000), 'selfcare-identity');
    expect(asked).toBe(0);
    await verifier.verify(await signJwt(claims(), first));
    await verifier.verify(await signJwt(claims(), first));
    expect(asked).toBe(1);
  });

  it('while identity is down: known keys keep verifying; an unknown key id costs one fetch per cooldown, not one per token', async () => {
    // Only Date is faked, to move past the cooldowns; sockets and timers run for real.
    jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate', 'clearImmediate', 'setInterval', 'clearInterval', 'setTimeout', 'clearTimeout', 'queueMicrotask', 'hrtime', 'performance'] });
    try {
      const start = Date.now();
      published = [first];
      const verifier = new AccessTokenVerifier(httpJwksSource(jwks.url, { cooldownMs: 60_000 }), new MemoryRevocationStore(60_000), 'selfcare-identity');
      const token = async (key: SigningKey) => signJwt(claims({ exp: Math.floor(Date.now() / 1000) + 3600 }), key);
      await verifier.verify(await token(first));
      const before = jwks.fetches();
      jwks.down(true);
      const stranger = signingKeyFromPem(generateSigningKeyPem());
      // Within the cooldown after the last good fetch: refused from the keys at hand.
      expect(await refusal(verifier, await token(stranger))).toEqual({ code: ErrorCode.UNAUTHENTICATED, reason: 'unknown signing key' });
      expect(jwks.fetches()).toBe(before);
      // Past it: one fetch, which fails; the check cannot be made.
      jest.setSystemTime(start + 61_000);
      expect(await refusal(verifier, await token(stranger))).toEqual({ code: ErrorCode.SERVICE_UNAVAILABLE, reason: 'token keys unavailable' });
      expect(jwks.fetches()).toBe(before + 1);
      // After the failure: no fetch per token for a cooldown; known keys verify, unknown ones are refused.
      for (let i = 0; i < 5; i += 1) expect(await refusal(verifier, await token(stranger))).toEqual({ code: ErrorCode.UNAUTHENTICATED, reason: 'unknown signing key' });
      expect((await verifier.verify(await token(first))).caller).toMatchObject({ subscriberId: 'subscriber-1' });
      expect(jwks.fetches()).toBe(before + 1);
      // identity is back with the new key: the next fetch after the cooldown finds it.
      jwks.down(false);
      published = [stranger, first];
      jest.setSystemTime(start + 122_000);
      expect((await verifier.verify(await token(stranger))).caller).toMatchObject({ subscriberId: 'subscriber-1' });
      expect(jwks.fetches()).toBe(before + 2);
    } finally {
      jwks.down(false);
      jest.useRealTimers();
    }
  });

  it('with no keys yet and identity down, each token is SERVICE_UNAVAILABLE (the next one tries again)', async () => {
    jwks.down(true);
    try {
      const verifier = new AccessTokenVerifier(httpJwksSource(jwks.url), new MemoryRevocationStore(60_000), 'selfcare-identity');
      const before = jwks.fetches();
      expect(await refusal(verifier, await signJwt(claims(), first))).toEqual({ code: ErrorCode.SERVICE_UNAVAILABLE, reason: 'token keys unavailable' });
      expect(await refusal(verifier, await signJwt(claims(), first))).toEqual({ code: ErrorCode.SERVICE_UNAVAILABLE, reason: 'token keys unavailable' });
      expect(jwks.fetches() - before).toBe(2);
      jwks.down(false);
      published = [first];
      expect((await verifier.verify(await signJwt(claims(), first))).caller).toMatchObject({ subscriberId: 'subscriber-1' });
    } finally {
      jwks.down(false);
    }
  });

  it('an address nobody answers on is SERVICE_UNAVAILABLE, not a 500', async () => {
    const verifier = new AccessTokenVerifier(httpJwksSource('http://127.0.0.1:9/.well-known/jwks.json', { timeoutMs: 1000 }), new MemoryRevocationStore(60_000), 'selfcare-identity');
    expect((await refusal(verifier, await signJwt(claims(), first))).code).toBe(ErrorCode.SERVICE_UNAVAILABLE);
  });
});

/**
 * The check before each event of a live subscription (terms 3.3, 4.1, 4.4): the signature once, the expiry and the
 * revocation store every time, the grant only when the last answer is older than the recheck interval (GrantWatch
 * ends the stream at once when delegation says the grant ended).
 */
describe('liveAccessCheck', () => {
  const key = signingKeyFromPem(generateSigningKeyPem());
  const context = (token: string, subscriberId = 'subscriber-1'): GraphQLContext =>
    subscriberContext(subscriberId, { caller: { kind: 'subscriber', subscriberId, sessionId: 'session-1', channel: 'WEB' }, authorization: `Bearer ${token}` });

  it('verifies the signature once, and the expiry and revocations before every event', async () => {
    const revocations = new MemoryRevocationStore(60_000);
    const verifier = new AccessTokenVerifier(localJwksSource([key.publicJwk]), revocations, 'selfcare-identity');
    const signatures = jest.spyOn(verifier, 'verifySignature');
    let clock = Date.now();
    const token = await signJwt(claims({ exp: Math.floor(clock / 1000) + 120 }), key);
    const check = liveAccessCheck(context(token), verifier, undefined, { now: () => clock });
    await check();
    await check();
    expect(signatures).toHaveBeenCalledTimes(1);

    await revocations.revokeSession('session-1', { since: Date.now() + 1, code: ErrorCode.ACCESS_SUSPENDED });
    await expect(check()).rejects.toMatchObject({ code: ErrorCode.ACCESS_SUSPENDED });

    const fresh = liveAccessCheck(context(await signJwt(claims({ sid: 'session-2', exp: Math.floor(clock / 1000) + 120 }), key)), verifier, undefined, { now: () => clock });
    await fresh();
    clock += 121_000;
    await expect(fresh()).rejects.toMatchObject({ code: ErrorCode.UNAUTHENTICATED });
  });

  it('asks about a managed number again only after the recheck interval; the own number never', async () => {
    const verifier = new AccessTokenVerifier(localJwksSource([key.publicJwk]), new MemoryRevocationStore(60_000), 'selfcare-identity');
    const granted = new Set(['owner-1']);
    const questions: string[] = [];
    const policy = new AccessPolicy({
      managedBy: async (_managerId, ids) => {
        questions.push(...ids);
        return ids.map((id) => granted.has(id));
      },
    });
    let clock = Date.now();
    const token = await signJwt(claims(), key);
    const managed = liveAccessCheck(context(token), verifier, { policy, subscriberId: 'owner-1' }, { now: () => clock, recheckMs: 60_000 });
    const own = liveAccessCheck(context(token), verifier, { policy, subscriberId: 'subscriber-1' }, { now: () => clock, recheckMs: 60_000 });
    await managed();
    await own();
    expect(questions).toEqual([]);
    clock += 72_000;
    await managed();
    await own();
    expect(questions).toEqual(['owner-1']);
    granted.clear();
    clock += 72_000;
    await expect(managed()).rejects.toMatchObject({ code: ErrorCode.FORBIDDEN });
    expect(questions).toEqual(['owner-1', 'owner-1']);
  });

  it('goes on while delegation cannot answer the recheck, and ends once the grant has gone unconfirmed for five intervals', async () => {
    const verifier = new AccessTokenVerifier(localJwksSource([key.publicJwk]), new MemoryRevocationStore(60_000), 'selfcare-identity');
    const policy = new AccessPolicy({
      managedBy: async () => {
        throw new DomainError(ErrorCode.SERVICE_UNAVAILABLE);
      },
    });
    let clock = Date.now();
    const check = liveAccessCheck(context(await signJwt(claims(), key)), verifier, { policy, subscriberId: 'owner-1' }, { now: () => clock, recheckMs: 60_000 });
    clock += 72_000;
    await check();
    clock += 3 * 60_000;
    await check();
    clock += 60_000;
    await expect(check()).rejects.toMatchObject({ code: ErrorCode.SERVICE_UNAVAILABLE });
  });
});
