import type { Request } from 'express';
import { INTERNAL_TOKEN_HEADER, clientAddressOf, hintsFromExtensions } from '../src';

function request(headers: Record<string, string>, ip = '10.1.2.3'): Request {
  return { ip, header: (name: string) => headers[name.toLowerCase()] } as unknown as Request;
}

describe('client address behind the gateway', () => {
  const token = 'internal-token-0123456789abcdef';

  it('takes the forwarded address only from a caller holding the internal token (the gateway)', () => {
    expect(clientAddressOf(request({ 'x-client-address': '203.0.113.7', [INTERNAL_TOKEN_HEADER]: token }), token)).toBe('203.0.113.7');
  });

  it('ignores a forwarded address from anyone else, so rate limits cannot be dodged by naming another address', () => {
    expect(clientAddressOf(request({ 'x-client-address': '203.0.113.7' }), token)).toBe('10.1.2.3');
    expect(clientAddressOf(request({ 'x-client-address': '203.0.113.7', [INTERNAL_TOKEN_HEADER]: 'guess' }), token)).toBe('10.1.2.3');
  });
});

describe('caller of a websocket subscription', () => {
  // Only connections that presented the internal token reach this (others are closed with 4403: see
  // subgraphs/billing/test/balance-feed.test.ts), so the address the gateway forwards per subscription counts.
  it("takes the caller from the subscription's extensions, the address as forwarded", () => {
    const hints = hintsFromExtensions({ authorization: 'Bearer t', 'accept-language': 'kk', 'x-client-address': '203.0.113.7', 'x-request-id': 'req-1' }, '10.1.2.3');
    expect(hints).toMatchObject({ authorization: 'Bearer t', language: 'KK', clientAddress: '203.0.113.7', requestId: 'req-1' });
  });

  it('falls back to the socket address, a fresh request id and no caller for missing or odd extensions', () => {
    for (const extensions of [undefined, null, 'x', { authorization: 5, 'x-request-id': 'a b\nc', 'x-client-address': '' }]) {
      const hints = hintsFromExtensions(extensions, '10.1.2.3');
      expect(hints).toMatchObject({ authorization: null, clientAddress: '10.1.2.3' });
      expect(hints.requestId).toMatch(/^[0-9a-f-]{36}$/);
    }
  });
});
