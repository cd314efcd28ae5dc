import { AccessTokenVerifier, ErrorCode, RevocationStore, generateSigningKeyPem, localJwksSource, signJwt, signingKeyFromPem } from '@selfcare/shared';
import { callerLabel, gatewayContext } from '../src/context';

/**
 * The gateway verifies tokens for logs and metrics only; a token it cannot check must not fail the request
 * (before, a Redis outage behind the revocation store or a token with a `null` header made every such request a 500).
 */
describe('gatewayContext', () => {
  const key = signingKeyFromPem(generateSigningKeyPem());
  const now = Date.now();
  const token = () => signJwt({ iss: 'selfcare-identity', sub: 's-1', sid: 'x-1', act: 'subscriber', iat: Math.floor(now / 1000), iatms: now, exp: Math.floor(now / 1000) + 600, typ: 'access' }, key);
  const request = (authorization: string) => ({ requestId: 'r-1', authorization, acceptLanguage: null, clientAddress: '127.0.0.1', userAgent: null });
  const storeDown: RevocationStore = {
    revokeSubject: async () => undefined,
    revokeSession: async () => undefined,
    find: async () => {
      throw new Error('connect ECONNREFUSED 127.0.0.1:6379');
    },
    close: async () => undefined,
  };

  it('records SERVICE_UNAVAILABLE instead of throwing when the revocation store is down', async () => {
    const verifier = new AccessTokenVerifier(localJwksSource([key.publicJwk]), storeDown, 'selfcare-identity');
    const signed = await token();
    const context = await gatewayContext(verifier, request(`Bearer ${signed}`));
    expect(context.caller).toBeNull();
    expect(callerLabel(context)).toBe(`refused:${ErrorCode.SERVICE_UNAVAILABLE}`);
    // The token still travels to the subgraph, which answers with the right code for the field at hand.
    expect(context.authorization).toBe(`Bearer ${signed}`);
  });

  it('records UNAUTHENTICATED for a token whose header is JSON null', async () => {
    const verifier = new AccessTokenVerifier(localJwksSource([key.publicJwk]), storeDown, 'selfcare-identity');
    const context = await gatewayContext(verifier, request('Bearer bnVsbA.e30.c2ln'));
    expect(callerLabel(context)).toBe(`refused:${ErrorCode.UNAUTHENTICATED}`);
  });
});
