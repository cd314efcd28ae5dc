import { AccessTokenClaims, AccessTokenVerifier, DomainError, ErrorCode, MemoryRevocationStore, RevocationStore, generateSigningKeyPem, signJwt, signingKeyFromPem } from '../src';

/**
 * Every service verifies access tokens itself; whatever a caller puts in the Authorization header must end in a
 * contract code (UNAUTHENTICATED, or SERVICE_UNAVAILABLE when the check cannot be made), never a TypeError (a 500).
 */
describe('AccessTokenVerifier', () => {
  const key = signingKeyFromPem(generateSigningKeyPem());
  const b64 = (value: unknown) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');
  const claims = (overrides: Partial<AccessTokenClaims> = {}): AccessTokenClaims => {
    const now = Date.now();
    return { iss: 'selfcare-identity', sub: 'subscriber-1', sid: 'session-1', act: 'subscriber', ch: 'WEB', iat: Math.floor(now / 1000), iatms: now, exp: Math.floor(now / 1000) + 600, typ: 'access', ...overrides };
  };
  const verifierWith = (revocations: RevocationStore = new MemoryRevocationStore(60_000)) =>
    new AccessTokenVerifier(async () => [key.publicJwk], revocations, 'selfcare-identity');

  async function refusal(verifier: AccessTokenVerifier, token: string): Promise<{ code: ErrorCode; reason: unknown }> {
    const error = await verifier.verify(token).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(DomainError);
    return { code: (error as DomainError).code, reason: (error as DomainError).options.extensions?.reason };
  }

  it('accepts a token it signed', async () => {
    const { caller } = await verifierWith().verify(signJwt(claims(), key));
    expect(caller).toEqual({ kind: 'subscriber', subscriberId: 'subscriber-1', sessionId: 'session-1', channel: 'WEB' });
  });

  it.each([
    ['a null header', `${b64('null')}.${b64({})}.c2ln`],
    ['a numeric header', `${b64('42')}.${b64({})}.c2ln`],
    ['an array header', `${b64([])}.${b64({})}.c2ln`],
    ['a kid that is not a string', `${b64({ alg: 'EdDSA', kid: { $ne: null } })}.${b64({})}.c2ln`],
    ['alg none', `${b64({ alg: 'none', kid: key.kid })}.${b64(claims())}.`],
    ['an HMAC alg (alg confusion)', `${b64({ alg: 'HS256', kid: key.kid })}.${b64(claims())}.c2ln`],
    ['two parts', `${b64({ alg: 'EdDSA', kid: key.kid })}.${b64(claims())}`],
    ['garbage', 'not-a-token'],
  ])('refuses %s with UNAUTHENTICATED', async (_label, token) => {
    expect((await refusal(verifierWith(), token)).code).toBe(ErrorCode.UNAUTHENTICATED);
  });

  it('refuses a signed token whose payload is null, expired, or not an access token', async () => {
    const verifier = verifierWith();
    const header = b64({ alg: 'EdDSA', typ: 'JWT', kid: key.kid });
    const { sign } = await import('node:crypto');
    const nullPayload = `${header}.${b64('null')}`;
    const signedNull = `${nullPayload}.${sign(null, Buffer.from(nullPayload), key.privateKey).toString('base64url')}`;
    expect(await refusal(verifier, signedNull)).toEqual({ code: ErrorCode.UNAUTHENTICATED, reason: 'malformed token' });
    expect(await refusal(verifier, signJwt(claims({ exp: Math.floor(Date.now() / 1000) - 1 }), key))).toEqual({ code: ErrorCode.UNAUTHENTICATED, reason: 'token expired' });
    expect((await refusal(verifier, signJwt({ ...claims(), typ: 'refresh' }, key))).code).toBe(ErrorCode.UNAUTHENTICATED);
    expect((await refusal(verifier, signJwt(claims({ iss: 'someone-else' }), key))).code).toBe(ErrorCode.UNAUTHENTICATED);
  });

  it('gives a revoked token the revocation code', async () => {
    const revocations = new MemoryRevocationStore(60_000);
    const token = signJwt(claims(), key);
    await revocations.revokeSubject('subscriber-1', { since: Date.now() + 1, code: ErrorCode.ACCESS_SUSPENDED });
    expect((await refusal(verifierWith(revocations), token)).code).toBe(ErrorCode.ACCESS_SUSPENDED);
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
    expect(await refusal(verifierWith(down), signJwt(claims(), key))).toEqual({ code: ErrorCode.SERVICE_UNAVAILABLE, reason: 'token revocations unavailable' });
  });

  it('answers SERVICE_UNAVAILABLE when the signing keys cannot be fetched', async () => {
    const verifier = new AccessTokenVerifier(async () => {
      throw new Error('identity is down');
    }, new MemoryRevocationStore(60_000), 'selfcare-identity');
    expect((await refusal(verifier, signJwt(claims(), key))).code).toBe(ErrorCode.SERVICE_UNAVAILABLE);
  });
});
