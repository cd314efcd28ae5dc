import type { Request } from 'express';
import { INTERNAL_TOKEN_HEADER, clientAddressOf, hintsFromConnectionParams } from '../src';

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

describe('client address of a websocket subscription', () => {
  const token = 'internal-token-0123456789abcdef';

  it('takes the forwarded address from connection params only with the internal token', () => {
    expect(hintsFromConnectionParams({ 'x-client-address': '203.0.113.7', [INTERNAL_TOKEN_HEADER]: token }, '10.1.2.3', 'r1', token).clientAddress).toBe('203.0.113.7');
    expect(hintsFromConnectionParams({ 'x-client-address': '203.0.113.7' }, '10.1.2.3', 'r2', token).clientAddress).toBe('10.1.2.3');
    expect(hintsFromConnectionParams({ 'x-client-address': '203.0.113.7', [INTERNAL_TOKEN_HEADER]: 'guess' }, '10.1.2.3', 'r3', token).clientAddress).toBe('10.1.2.3');
  });
});
