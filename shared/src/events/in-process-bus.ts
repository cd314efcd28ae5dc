import type { BusSubscription, DomainEvent, EventBus, EventHandler } from './types';

export interface InProcessEventBusOptions {
  /** Events held per stream for groups that subscribe late or lag behind. */
  retainPerStream?: number;
  /** First retry delay of a late subscriber's catch-up that failed (doubles up to 30 s). */
  retryBaseMs?: number;
}

interface GroupState {
  name: string;
  /** Highest event id this group has finished handling. */
  acked: number;
  handler?: EventHandler;
  /** Deliveries of one group run one at a time, so they stay in order and never overlap. */
  chain: Promise<void>;
  retryTimer?: NodeJS.Timeout;
  retryDelayMs: number;
}

interface StreamState {
  log: DomainEvent[];
  lastId: number;
  groups: Map<string, GroupState>;
}

/**
 * The embedded default's bus: all services in one process. `publish` resolves only after every subscribed
 * group has handled the events, so the relay marks an outbox row published only once the in-process
 * consumers have committed it — a crash in between just republishes (the consumers' inbox skips it).
 */
export class InProcessEventBus implements EventBus {
  private readonly streams = new Map<string, StreamState>();
  private readonly retain: number;
  private readonly retryBaseMs: number;
  private closed = false;

  constructor(options: InProcessEventBusOptions = {}) {
    this.retain = options.retainPerStream ?? 10_000;
    this.retryBaseMs = options.retryBaseMs ?? 500;
  }

  async publish(stream: string, events: DomainEvent[]): Promise<void> {
    if (this.closed) throw new Error('event bus is closed');
    const state = this.stream(stream);
    for (const event of [...events].sort((a, b) => a.id - b.id)) {
      // Ids are monotonic per stream; an id at or below the last one was published before.
      if (event.id <= state.lastId) continue;
      state.log.push({ ...event, stream });
      state.lastId = event.id;
    }
    if (state.log.length > this.retain) state.log.splice(0, state.log.length - this.retain);
    // Every subscribed group catches up (a republish also retries a group that failed before).
    const results = await Promise.allSettled([...state.groups.values()].filter((g) => g.handler).map((g) => this.deliver(state, g)));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  }

  async subscribe(stream: string, group: string, handler: EventHandler): Promise<BusSubscription> {
    if (this.closed) throw new Error('event bus is closed');
    const state = this.stream(stream);
    let groupState = state.groups.get(group);
    if (groupState?.handler) throw new Error(`group "${group}" already consumes stream "${stream}" in this process`);
    if (!groupState) {
      groupState = { name: group, acked: 0, chain: Promise.resolve(), retryDelayMs: this.retryBaseMs };
      state.groups.set(group, groupState);
    }
    const g = groupState;
    g.handler = handler;
    // Catch up on held events the group has not acknowledged (it subscribed late or was stopped).
    this.catchUp(state, g);
    return {
      stop: async () => {
        if (g.handler !== handler) return;
        g.handler = undefined;
        if (g.retryTimer) clearTimeout(g.retryTimer);
        g.retryTimer = undefined;
        // Let the delivery in flight finish; later ones see no handler and stop.
        await g.chain.catch(() => undefined);
      },
    };
  }

  async ping(): Promise<void> {
    if (this.closed) throw new Error('event bus is closed');
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const state of this.streams.values()) {
      for (const g of state.groups.values()) {
        if (g.retryTimer) clearTimeout(g.retryTimer);
        g.handler = undefined;
        await g.chain.catch(() => undefined);
      }
    }
  }

  private stream(name: string): StreamState {
    let state = this.streams.get(name);
    if (!state) {
      state = { log: [], lastId: 0, groups: new Map() };
      this.streams.set(name, state);
    }
    return state;
  }

  /** Hands the group every held event after its last ack, in order; rejects on the first handler error. */
  private deliver(state: StreamState, g: GroupState): Promise<void> {
    const run = g.chain.then(async () => {
      for (;;) {
        const handler = g.handler;
        if (!handler) return;
        const next = state.log[firstAfter(state.log, g.acked)];
        if (!next) return;
        await handler(next);
        g.acked = next.id;
        g.retryDelayMs = this.retryBaseMs;
      }
    });
    g.chain = run.catch(() => undefined);
    return run;
  }

  private catchUp(state: StreamState, g: GroupState): void {
    this.deliver(state, g).catch(() => {
      // Nobody awaits a catch-up, so retry it here (a publish would also retry it).
      if (!g.handler || this.closed || g.retryTimer) return;
      const delay = g.retryDelayMs;
      g.retryDelayMs = Math.min(delay * 2, 30_000);
      g.retryTimer = setTimeout(() => {
        g.retryTimer = undefined;
        this.catchUp(state, g);
      }, delay);
      g.retryTimer.unref();
    });
  }
}

/** Index of the first event with an id above `id` in a log sorted by id (binary search: logs hold thousands). */
function firstAfter(log: DomainEvent[], id: number): number {
  let low = 0;
  let high = log.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (log[mid]!.id <= id) low = mid + 1;
    else high = mid;
  }
  return low;
}
