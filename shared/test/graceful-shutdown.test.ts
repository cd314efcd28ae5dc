import { GraphQLObjectType, GraphQLSchema, GraphQLString } from 'graphql';
import { createLogger, ServiceMetrics, startGraphQLService } from '../src';
import { waitFor } from '../src/testing/wait';

/**
 * A service whose one field answers only once `finish` is called (an operation in flight for as long as the test
 * wants); `events` records when operations and shutdown steps happen.
 */
async function slowService(name: string, events: string[], shutdownSteps: string[]) {
  let finish!: () => void;
  const mayFinish = new Promise<void>((resolve) => (finish = resolve));
  const schema = new GraphQLSchema({
    query: new GraphQLObjectType({
      name: 'Query',
      fields: {
        slow: {
          type: GraphQLString,
          resolve: async () => {
            await mayFinish;
            events.push('operation finished');
            return 'done';
          },
        },
      },
    }),
  });
  const service = await startGraphQLService({
    name,
    port: 0,
    host: '127.0.0.1',
    schema,
    logger: createLogger(name, 'silent'),
    metrics: new ServiceMetrics(name),
    buildContext: async () => ({}),
    onShutdown: shutdownSteps.map((step) => async () => void events.push(step)),
  });
  return Object.assign(service, { finish });
}

/**
 * Every service stops the same way: it stops taking requests, answers the ones it already has, and only then
 * runs its shutdown steps (consumers, relay batch, database) in order.
 */
describe('graceful shutdown of a service', () => {
  it('answers the requests in flight before running the shutdown steps', async () => {
    const events: string[] = [];
    const service = await slowService('shutdown-test', events, ['relay stopped', 'database closed']);
    const requests = Array.from({ length: 10 }, () =>
      fetch(service.graphqlUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: '{ slow }' }) }).then(
        async (r) => ({ status: r.status, body: (await r.json()) as { data: { slow: string } } }),
      ),
    );
    await waitFor(() => service.inFlight() === 10, 5_000, 'ten requests in flight');
    let stoppedYet = false;
    const stopped = service.stop().then(() => (stoppedYet = true));
    // While draining, a new connection is refused and health says so to the load balancer.
    await expect(fetch(`${service.url}/healthz`)).rejects.toThrow();
    expect([stoppedYet, events]).toEqual([false, []]);
    service.finish();
    const answers = await Promise.all(requests);
    await stopped;
    expect(answers.every((a) => a.status === 200 && a.body.data.slow === 'done')).toBe(true);
    expect(events).toEqual([...Array(10).fill('operation finished'), 'relay stopped', 'database closed']);
    expect(service.inFlight()).toBe(0);
  });
});

describe('graceful shutdown when a client hung up', () => {
  it('lets the abandoned operation finish before closing what it uses', async () => {
    const events: string[] = [];
    const service = await slowService('shutdown-abandoned', events, ['database closed']);
    const abort = new AbortController();
    const request = fetch(service.graphqlUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ slow }' }),
      signal: abort.signal,
    }).catch((error: Error) => error.name);
    await waitFor(() => service.inFlight() === 1, 5_000, 'the request in flight');
    abort.abort();
    expect(await request).toBe('AbortError');
    const stopped = service.stop();
    // Draining (new connections refused), and no shutdown step has run while the operation is still going.
    await expect(fetch(`${service.url}/healthz`)).rejects.toThrow();
    expect(events).toEqual([]);
    service.finish();
    await stopped;
    expect(events).toEqual(['operation finished', 'database closed']);
  });
});
