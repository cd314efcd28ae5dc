import { DomainEvent, InProcessEventBus } from '../src';
import { waitFor } from '../src/testing/wait';

const event = (id: number, type = 'SubscriberProvisioned'): DomainEvent => ({
  stream: 'identity',
  id,
  type,
  payload: { n: id },
  occurredAt: new Date(0).toISOString(),
});

describe('InProcessEventBus', () => {
  let bus: InProcessEventBus;
  beforeEach(() => {
    bus = new InProcessEventBus({ retryBaseMs: 10 });
  });
  afterEach(() => bus.close());

  it('resolves publish only after every subscribed group has handled the events (so the relay marks them only then)', async () => {
    const handled: string[] = [];
    // billing's handler is held until the test lets it go: the slow group.
    let release!: () => void;
    const billingMayFinish = new Promise<void>((resolve) => (release = resolve));
    await bus.subscribe('identity', 'billing', async (e) => {
      await billingMayFinish;
      handled.push(`billing:${e.id}`);
    });
    await bus.subscribe('identity', 'delegation', async (e) => {
      handled.push(`delegation:${e.id}`);
    });
    let published = false;
    const publishing = bus.publish('identity', [event(1), event(2)]).then(() => (published = true));
    await waitFor(() => handled.includes('delegation:2'), 5_000, 'the fast group');
    expect(published).toBe(false);
    release();
    await publishing;
    expect(handled.sort()).toEqual(['billing:1', 'billing:2', 'delegation:1', 'delegation:2']);
  });

  it('treats an already-published id as a no-op, per stream', async () => {
    const seen: number[] = [];
    await bus.subscribe('identity', 'billing', async (e) => {
      seen.push(e.id);
    });
    await bus.publish('identity', [event(1), event(2)]);
    await bus.publish('identity', [event(2), event(1)]);
    await bus.publish('identity', [event(2), event(3)]);
    expect(seen).toEqual([1, 2, 3]);
    // Another stream has its own ids.
    const other: number[] = [];
    await bus.subscribe('billing', 'detailing', async (e) => {
      other.push(e.id);
    });
    await bus.publish('billing', [{ ...event(1), stream: 'billing' }]);
    expect(other).toEqual([1]);
    expect(seen).toEqual([1, 2, 3]);
  });

  it('rejects publish when a handler fails; a republish retries only the failing group, in order', async () => {
    const billing: number[] = [];
    const catalog: number[] = [];
    let failOn2 = true;
    await bus.subscribe('identity', 'billing', async (e) => {
      billing.push(e.id);
    });
    await bus.subscribe('identity', 'catalog', async (e) => {
      if (e.id === 2 && failOn2) throw new Error('catalog is down');
      catalog.push(e.id);
    });
    await expect(bus.publish('identity', [event(1), event(2), event(3)])).rejects.toThrow('catalog is down');
    expect(billing).toEqual([1, 2, 3]);
    // catalog stopped at the failure: 3 must not overtake 2.
    expect(catalog).toEqual([1]);
    failOn2 = false;
    await bus.publish('identity', [event(1), event(2), event(3)]);
    expect(catalog).toEqual([1, 2, 3]);
    expect(billing).toEqual([1, 2, 3]);
  });

  it('gives a late subscriber the held events it has not acknowledged, and a restarted one only the rest', async () => {
    await bus.publish('identity', [event(1), event(2)]);
    const seen: number[] = [];
    const first = await bus.subscribe('identity', 'billing', async (e) => {
      seen.push(e.id);
    });
    await waitFor(() => seen.length === 2, 5_000, '2 events');
    expect(seen).toEqual([1, 2]);
    await first.stop();
    await bus.publish('identity', [event(3), event(4)]);
    expect(seen).toEqual([1, 2]);
    await bus.subscribe('identity', 'billing', async (e) => {
      seen.push(e.id);
    });
    await waitFor(() => seen.length === 4, 5_000, '4 events');
    expect(seen).toEqual([1, 2, 3, 4]);
  });

  it('retries a late subscriber whose catch-up failed, without anyone publishing', async () => {
    await bus.publish('identity', [event(1)]);
    let attempts = 0;
    const seen: number[] = [];
    await bus.subscribe('identity', 'billing', async (e) => {
      attempts += 1;
      if (attempts < 3) throw new Error('not yet');
      seen.push(e.id);
    });
    await waitFor(() => seen.length === 1, 5_000, '1 events');
    expect(attempts).toBe(3);
  });

  it('holds a bounded log per stream', async () => {
    const small = new InProcessEventBus({ retainPerStream: 3 });
    await small.publish('identity', [1, 2, 3, 4, 5].map((id) => event(id)));
    const seen: number[] = [];
    await small.subscribe('identity', 'billing', async (e) => {
      seen.push(e.id);
    });
    await waitFor(() => seen.length === 3, 5_000, '3 events');
    expect(seen).toEqual([3, 4, 5]);
    await small.close();
  });

  it('refuses a second live subscription of the same group and stream in one process', async () => {
    await bus.subscribe('identity', 'billing', async () => undefined);
    await expect(bus.subscribe('identity', 'billing', async () => undefined)).rejects.toThrow(/already consumes/);
  });

  it('fails ping and publish once closed', async () => {
    await bus.ping();
    await bus.close();
    await expect(bus.ping()).rejects.toThrow(/closed/);
    await expect(bus.publish('identity', [event(1)])).rejects.toThrow(/closed/);
  });
});
