import { randomBytes } from 'node:crypto';
import { RawSocket } from '../support/raw-ws';
import { ServiceProcess, freePort } from '../support/processes';

/**
 * The gateway as its own process (distributed mode) with billing unreachable: clients subscribing and completing
 * at once used to end the process with an unhandled rejection. It must stay up and answer every subscription.
 */


describe('gateway process with billing unreachable', () => {
  let child: ServiceProcess;
  let url = '';

  beforeAll(async () => {
    const [port, nobody] = [await freePort(), await freePort()];
    url = `http://127.0.0.1:${port}`;
    const dead = `http://127.0.0.1:${nobody}`;
    child = new ServiceProcess('gateway', 'gateway/dist/main.js', {
      env: {
        PATH: process.env.PATH,
        NODE_ENV: 'test',
        LOG_LEVEL: 'warn',
        GATEWAY_PORT: String(port),
        REDIS_URL: 'redis://127.0.0.1:6379',
        REDIS_KEY_PREFIX: `t${process.pid}${randomBytes(3).toString('hex')}:`,
        INTERNAL_API_TOKEN: randomBytes(24).toString('hex'),
        GATEWAY_WS_RESUME_SECONDS: '1',
        ...Object.fromEntries(['IDENTITY', 'CATALOG', 'BILLING', 'DETAILING', 'DELEGATION'].map((n) => [`${n}_URL`, dead])),
      },
    });
    await child.ready(url, { path: '/healthz' });
  }, 60_000);

  afterAll(async () => {
    await child?.stop('SIGKILL');
  });

  it('survives subscribe-then-complete races and ends every subscription with SERVICE_UNAVAILABLE', async () => {
    const query = `subscription ($id: ID!, $after: String) { balanceChanged(subscriberId: $id, after: $after) { cursor } }`;
    const sockets = await Promise.all(Array.from({ length: 5 }, () => RawSocket.open(`${url}/graphql`)));
    try {
      for (const raw of sockets) {
        for (let i = 0; i < 40; i += 1) {
          // Half of them resumable (a cursor given): they retry billing within the resume window, then end.
          raw.send({ id: `race-${i}`, type: 'subscribe', payload: { query, variables: { id: 'someone', after: i % 2 ? 'cursor' : null } } });
          raw.send({ id: `race-${i}`, type: 'complete' });
        }
        for (let i = 0; i < 5; i += 1) raw.send({ id: `kept-${i}`, type: 'subscribe', payload: { query, variables: { id: 'someone', after: i % 2 ? 'cursor' : null } } });
      }
      const ends = await Promise.all(sockets.flatMap((raw) => Array.from({ length: 5 }, (_, i) => raw.until((m) => m.id === `kept-${i}` && m.type === 'next'))));
      expect(new Set(ends.map((m) => m.payload.errors[0].extensions.code))).toEqual(new Set(['SERVICE_UNAVAILABLE']));
      await Promise.all(sockets.flatMap((raw) => Array.from({ length: 5 }, (_, i) => raw.until((m) => m.id === `kept-${i}` && m.type === 'complete'))));
      expect(child.running).toBe(true);
      expect((await fetch(`${url}/healthz`)).status).toBe(200);
      expect(child.output).not.toMatch(/unhandled promise rejection|uncaught exception/);
    } finally {
      for (const raw of sockets) raw.close();
    }
  }, 60_000);
});
