import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { eventually } from '@selfcare/shared/testing';
import { Distributed, Line, SlowProxy } from '../support/faults';

/**
 * A subgraph down or slow, in distributed mode with real processes: the gateway answers the other subgraphs'
 * fields, the missing ones null with SERVICE_UNAVAILABLE on their path, HTTP 200; it never hangs, never answers
 * 500, and recovers when the subgraph is back, without being restarted itself.
 */
describe('faults: a subgraph killed or slow', () => {
  const system = new Distributed({ gatewayEnv: { GATEWAY_WS_RESUME_SECONDS: '1' } });
  let line: Line;

  beforeAll(async () => {
    await system.start();
    await system.loadOffers();
    line = await system.line('+77019970001');
  }, 180_000);

  afterAll(() => system.stop(), 60_000);

  const HOME = `{ me { msisdn account { balance { amount } } tariff { name } } tariffs { code } }`;

  it('billing killed during traffic: the other subgraphs answer, billing\'s field is SERVICE_UNAVAILABLE; back when billing is', async () => {
    const full = await system.gql(HOME, {}, line.token);
    expect(full.status).toBe(200);
    expect(full.errors).toBeUndefined();
    expect(full.data!.me).toMatchObject({ msisdn: line.msisdn, account: { balance: { amount: '0.00' } }, tariff: { name: expect.any(String) } });

    // Traffic keeps flowing while billing dies: every answer is a 200 with data or a contract error, never a 500.
    let stop = false;
    const statuses: number[] = [];
    const traffic = (async () => {
      while (!stop) statuses.push((await system.gql(HOME, {}, line.token)).status);
    })();
    await system.kill('billing');
    const down = await system.gql(HOME, {}, line.token);
    stop = true;
    await traffic;
    expect(statuses.length).toBeGreaterThan(0);
    expect(statuses.every((s) => s === 200)).toBe(true);
    expect(down.status).toBe(200);
    const error = down.errors!.find((e) => e.extensions?.code === 'SERVICE_UNAVAILABLE');
    expect(error).toMatchObject({ path: ['me', 'account'], extensions: { code: 'SERVICE_UNAVAILABLE', serviceName: 'billing' } });
    expect(down.errors!.map((e) => e.extensions?.code)).toEqual(['SERVICE_UNAVAILABLE']);
    // The contract's `account: Account!` is non-null, so GraphQL's null propagation takes `me` with it; the other
    // subgraphs' root fields are answered.
    expect(down.data!.me).toBeNull();
    expect((down.data!.tariffs as unknown[]).length).toBeGreaterThan(0);
    // Without billing's field, identity's and catalog's answer in full.
    const rest = await system.gql(`{ me { msisdn tariff { name } } }`, {}, line.token);
    expect(rest.errors).toBeUndefined();
    expect(rest.data!.me).toMatchObject({ msisdn: line.msisdn, tariff: { name: expect.any(String) } });
    expect((await fetch(`${system.gatewayUrl}/healthz`)).ok).toBe(true);

    await system.restart('billing');
    const back = await eventually(() => system.gql(HOME, {}, line.token), (r) => !r.errors, 30_000);
    expect(back.errors).toBeUndefined();
    expect(back.data!.me).toMatchObject({ msisdn: line.msisdn, account: { balance: { amount: '0.00' } } });
  }, 120_000);

  it('catalog killed: `tariff` (nullable) is null with SERVICE_UNAVAILABLE on ["me","tariff"], msisdn and account answered', async () => {
    await system.kill('catalog');
    const down = await system.gql(`{ me { msisdn account { balance { amount } } tariff { name } } }`, {}, line.token);
    expect(down.status).toBe(200);
    expect(down.data!.me).toEqual({ msisdn: line.msisdn, account: { balance: { amount: '0.00' } }, tariff: null });
    expect(down.errors).toMatchObject([{ path: ['me', 'tariff'], extensions: { code: 'SERVICE_UNAVAILABLE', serviceName: 'catalog' } }]);
    await system.restart('catalog');
    const back = await eventually(() => system.gql(`{ me { tariff { name } } }`, {}, line.token), (r) => !r.errors, 30_000);
    expect(back.data!.me.tariff).toEqual({ name: expect.any(String) });
  }, 120_000);

  it('a subgraph answering after 10 s: the gateway answers within its time budget with the slow part null, and stays healthy', async () => {
    const proxy = await new SlowProxy(system.url('catalog')).start();
    // A gateway of its own whose catalog is behind the proxy, with a 1 s budget per subgraph call.
    const gateway = await system.startGateway('gateway-slow', { CATALOG_URL: proxy.url, SUBGRAPH_TIMEOUT_MS: '1000', OPERATION_TIMEOUT_MS: '3000' });
    try {
      const fast = await eventually(() => system.gql(`{ me { msisdn tariff { name } } }`, {}, line.token, gateway), (r) => !r.errors, 20_000);
      expect(fast.data!.me).toMatchObject({ tariff: { name: expect.any(String) } });

      proxy.hold = true;
      const slow = await system.gql(`{ me { msisdn account { balance { amount } } tariff { name } } }`, {}, line.token, gateway);
      // The gateway answered while the proxy still held catalog's request: it did not wait the subgraph's 10 s out.
      expect(proxy.held).toBeGreaterThan(0);
      expect(slow.status).toBe(200);
      expect(slow.data!.me).toEqual({ msisdn: line.msisdn, account: { balance: { amount: '0.00' } }, tariff: null });
      expect(slow.errors).toMatchObject([{ path: ['me', 'tariff'], extensions: { code: 'SERVICE_UNAVAILABLE', serviceName: 'catalog' } }]);
      // A burst of slow requests leaves the gateway answering its probes and the other subgraphs' fields.
      const burst = await Promise.all(Array.from({ length: 10 }, () => system.gql(`{ me { msisdn tariff { name } } }`, {}, line.token, gateway)));
      expect(burst.map((r) => [r.status, r.data?.me?.msisdn, r.errors?.[0]?.extensions?.code])).toEqual(Array(10).fill([200, line.msisdn, 'SERVICE_UNAVAILABLE']));
      expect((await fetch(`${gateway}/healthz`)).ok).toBe(true);
      expect(system.alive('gateway-slow' as never)).toBe(true);

      proxy.hold = false;
      const recovered = await eventually(() => system.gql(`{ me { tariff { name } } }`, {}, line.token, gateway), (r) => !r.errors, 20_000);
      expect(recovered.data!.me.tariff).toEqual({ name: expect.any(String) });
    } finally {
      await system.kill('gateway-slow' as never);
      await proxy.stop();
    }
  }, 120_000);

  it('a subscription whose subgraph dies ends with SERVICE_UNAVAILABLE, never a silent hang', async () => {
    const client = createClient({
      url: `${system.gatewayUrl.replace(/^http/, 'ws')}/graphql`,
      webSocketImpl: WebSocket,
      connectionParams: { authorization: `Bearer ${line.token}` },
      retryAttempts: 0,
    });
    try {
      const events = client.iterate<any>({ query: `subscription ($id: ID!) { balanceChanged(subscriberId: $id) { delta { amount } } }`, variables: { id: line.id } });
      const next = events.next();
      // The subscription is open on billing once billing's websocket has it: a probe through the gateway's own connection.
      await eventually(() => system.gql(`{ me { account { number } } }`, {}, line.token), (r) => !r.errors, 10_000);
      await system.kill('billing');
      const ended = await next;
      // graphql-ws: an error event (the iterator throws) or a next with errors, then complete.
      expect(ended.done ? 'complete' : ended.value?.errors?.[0]?.extensions?.code).toMatch(/SERVICE_UNAVAILABLE|complete/);
      if (!ended.done) expect(ended.value.errors?.[0]?.extensions?.code).toBe('SERVICE_UNAVAILABLE');
      expect((await events.next()).done).toBe(true);
    } finally {
      await client.dispose();
      await system.restart('billing');
    }
  }, 120_000);
});
