import { GraphQLObjectType, GraphQLSchema, GraphQLString } from 'graphql';
import { createLogger, ServiceMetrics, startGraphQLService } from '../src';

/** A service whose one field takes 300 ms; `events` records when operations and shutdown steps happen. */
function slowService(name: string, events: string[], shutdownSteps: string[]) {
  const schema = new GraphQLSchema({
    query: new GraphQLObjectType({
      name: 'Query',
      fields: {
        slow: {
          type: GraphQLString,
          resolve: async () => {
            await new Promise((r) => setTimeout(r, 300));
            events.push('operation finished');
            return 'done';
          },
        },
      },
    }),
  });
  return startGraphQLService({
    name,
    port: 0,
    host: '127.0.0.1',
    schema,
    logger: createLogger(name, 'silent'),
    metrics: new ServiceMetrics(name),
    buildContext: async () => ({}),
    onShutdown: shutdownSteps.map((step) => async () => void events.push(step)),
  });
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
    await waitFor(() => service.inFlight() === 10);
    const stopped = service.stop();
    // While draining, a new connection is refused and health says so to the load balancer.
    await expect(fetch(`${service.url}/healthz`)).rejects.toThrow();
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
    await waitFor(() => service.inFlight() === 1);
    abort.abort();
    expect(await request).toBe('AbortError');
    await service.stop();
    expect(events).toEqual(['operation finished', 'database closed']);
  });
});

async function waitFor(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}
