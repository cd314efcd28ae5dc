import { randomBytes } from 'node:crypto';
import Redis from 'ioredis';
import { DEMO_PASSWORD, RedisRevocationStore } from '@selfcare/shared';
import { AIGERIM, NURLAN } from './support/identity';
import { IdentityHarness } from './support/identity-harness';

/**
 * Revocations live in Redis, which may come back without its data (no persistence, a replaced node). A suspended
 * subscriber's token must stay refused then (terms 3.3): every service refuses tokens until identity has written its
 * recorded revocations back.
 */
describe('token revocations survive a revocation store that lost its data', () => {
  const redis = new Redis('redis://127.0.0.1:6379', { maxRetriesPerRequest: 3 });
  const prefix = `test:${randomBytes(6).toString('hex')}:revoked`;
  let h: IdentityHarness;

  beforeAll(async () => {
    h = await IdentityHarness.start({ revocations: new RedisRevocationStore(redis, 900_000, prefix) });
  });
  afterAll(async () => {
    await h?.stop();
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length) await redis.del(...keys);
    redis.disconnect();
  });

  const SET_STATUS = `mutation ($id: ID!, $s: AccessStatus!, $r: AccessReason) { setAccessStatus(subscriberId: $id, status: $s, reason: $r) { accessStatus } }`;
  const meCode = async (token: string) => IdentityHarness.code(await h.gql(`{ me { id } }`, {}, { token }));

  it('fails closed while the store is empty and refuses the suspended token again once identity restored it', async () => {
    const suspended = await h.loginOk(NURLAN.msisdn, DEMO_PASSWORD);
    const other = await h.loginOk(AIGERIM.msisdn, DEMO_PASSWORD);
    const operator = await h.staffLogin('OPERATOR');
    await h.gql(SET_STATUS, { id: NURLAN.id, s: 'SUSPENDED', r: 'BREACH' }, { token: operator });
    expect(await meCode(suspended.accessToken)).toBe('ACCESS_SUSPENDED');
    expect(await meCode(other.accessToken)).toBeUndefined();

    // The store loses everything (the watcher is paused so the test sees the gap it would otherwise close in ~1 s).
    await h.services.revocations.stop();
    await redis.del(...(await redis.keys(`${prefix}:*`)));
    expect(await meCode(suspended.accessToken)).toBe('SERVICE_UNAVAILABLE');
    expect(await meCode(other.accessToken)).toBe('SERVICE_UNAVAILABLE');

    expect(await h.services.revocations.restoreIfLost()).toBe(true);
    expect(await meCode(suspended.accessToken)).toBe('ACCESS_SUSPENDED');
    expect(await meCode(other.accessToken)).toBeUndefined();
    // Nothing lost this time: nothing to restore.
    expect(await h.services.revocations.restoreIfLost()).toBe(false);
    await h.services.revocations.start();
    await h.gql(SET_STATUS, { id: NURLAN.id, s: 'ACTIVE' }, { token: operator });
  });
});
