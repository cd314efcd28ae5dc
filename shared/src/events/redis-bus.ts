import { hostname } from 'node:os';
import Redis from 'ioredis';
import type { Logger } from '../logging/logger';
import type { BusSubscription, DomainEvent, EventBatchHandler, EventBus, EventHandler } from './types';

export interface RedisStreamsEventBusOptions {
  /** Prepended to every key (tests isolate themselves with a unique prefix). */
  keyPrefix?: string;
  /** Consumer name inside a group; stable across restarts so a restarted consumer re-reads its own pending entries. */
  consumerName?: string;
  /** How long one XREADGROUP blocks waiting for new entries. */
  blockMs?: number;
  /** Entries read per XREADGROUP. */
  readCount?: number;
  /** Approximate cap of entries kept per stream (XADD MAXLEN ~); 0 keeps everything. */
  maxLength?: number;
  /** First delay after a failed handler or read; doubles up to 30 s. */
  retryBaseMs?: number;
  /** Entries another consumer of the group left pending this long are taken over (XAUTOCLAIM). */
  claimIdleMs?: number;
  logger?: Logger;
}

const ID_TOO_SMALL = /equal or smaller than the target stream top item/i;

/**
 * Distributed mode's bus on Redis Streams. Each stream is `selfcare:events:<stream>`; an event's entry id is
 * `<event id>-0`, so a republish of an id Redis already holds is rejected by Redis itself and counts as done.
 * Each consumer group reads with its own blocking connection and acknowledges an entry only after its handler
 * succeeded; unacknowledged entries are re-read on restart (at least once; the consumers' inbox makes it once).
 */
export class RedisStreamsEventBus implements EventBus {
  private readonly redis: Redis;
  private readonly prefix: string;
  private readonly consumerName: string;
  private readonly blockMs: number;
  private readonly readCount: number;
  private readonly maxLength: number;
  private readonly retryBaseMs: number;
  private readonly claimIdleMs: number;
  private readonly subscriptions = new Set<RedisSubscription>();
  readonly logger?: Logger;

  constructor(
    private readonly url: string,
    options: string | RedisStreamsEventBusOptions = {},
  ) {
    const o = typeof options === 'string' ? { keyPrefix: options } : options;
    this.prefix = o.keyPrefix ?? '';
    this.consumerName = o.consumerName ?? hostname();
    this.blockMs = o.blockMs ?? 5_000;
    this.readCount = o.readCount ?? 100;
    this.maxLength = o.maxLength ?? 100_000;
    this.retryBaseMs = o.retryBaseMs ?? 500;
    this.claimIdleMs = o.claimIdleMs ?? 60_000;
    this.logger = o.logger;
    this.redis = this.connect('commands', false);
  }

  /** The Redis key of a stream. */
  key(stream: string): string {
    return `${this.prefix}selfcare:events:${stream}`;
  }

  async publish(stream: string, events: DomainEvent[]): Promise<void> {
    if (events.length === 0) return;
    const key = this.key(stream);
    const pipeline = this.redis.pipeline();
    const sorted = [...events].sort((a, b) => a.id - b.id);
    for (const event of sorted) {
      if (!Number.isSafeInteger(event.id) || event.id <= 0) throw new Error(`event id ${event.id} is not a positive integer`);
      const trim = this.maxLength > 0 ? ['MAXLEN', '~', String(this.maxLength)] : [];
      pipeline.xadd(key, ...trim, `${event.id}-0`, 'type', event.type, 'event', JSON.stringify({ ...event, stream }));
    }
    const results = (await pipeline.exec()) ?? [];
    const republished: DomainEvent[] = [];
    results.forEach(([error], index) => {
      if (!error) return;
      // Redis keeps ids increasing: "equal or smaller" means this id (or a later one) is already there.
      if (!ID_TOO_SMALL.test(error.message)) throw error;
      republished.push(sorted[index]!);
    });
    if (republished.length > 0) await this.checkRepublished(key, republished);
  }

  /**
   * A republished id must be the same event. A different one under that id means the producer's numbering
   * restarted (its database was reset but not the stream): treating it as done would silently drop the event.
   */
  private async checkRepublished(key: string, events: DomainEvent[]): Promise<void> {
    const pipeline = this.redis.pipeline();
    for (const event of events) pipeline.xrange(key, `${event.id}-0`, `${event.id}-0`);
    const replies = (await pipeline.exec()) ?? [];
    events.forEach((event, index) => {
      const [error, entries] = replies[index] ?? [];
      if (error) throw error;
      const fields = (entries as [string, string[]][] | undefined)?.[0]?.[1];
      const raw = fields ? fieldValue(fields, 'event') : undefined;
      // Trimmed away (MAXLEN) long ago: nothing left to compare.
      if (raw === undefined) return;
      const stored = JSON.parse(raw) as DomainEvent;
      if (stored.type !== event.type || stored.occurredAt !== event.occurredAt) {
        throw new Error(
          `${key} already holds a different event under id ${event.id} (${stored.type} at ${stored.occurredAt}); ` +
            'was the service database reset without deleting its stream?',
        );
      }
    });
  }

  async subscribe(stream: string, group: string, handler: EventHandler, options: { many?: EventBatchHandler } = {}): Promise<BusSubscription> {
    const key = this.key(stream);
    try {
      // From '0': a group created after events were published still gets them (its inbox skips what it had).
      await this.redis.xgroup('CREATE', key, group, '0', 'MKSTREAM');
    } catch (error) {
      if (!/BUSYGROUP/.test((error as Error).message)) throw error;
    }
    const subscription = new RedisSubscription(this, key, group, handler, this.connect(`${group}:${key}`), options.many);
    this.subscriptions.add(subscription);
    subscription.start();
    return {
      stop: async () => {
        this.subscriptions.delete(subscription);
        await subscription.stop();
      },
    };
  }

  async ping(): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        this.redis.ping(),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error('Redis did not answer PING within 2 s')), 2_000);
        }),
      ]);
    } finally {
      if (timer) clearTimeout(timer);
    }
  }

  async close(): Promise<void> {
    await Promise.all([...this.subscriptions].map((s) => s.stop()));
    this.subscriptions.clear();
    await closeClient(this.redis);
  }

  /** Settings the subscriptions read. */
  get settings() {
    return {
      consumerName: this.consumerName,
      blockMs: this.blockMs,
      readCount: this.readCount,
      retryBaseMs: this.retryBaseMs,
      claimIdleMs: this.claimIdleMs,
    };
  }

  get commands(): Redis {
    return this.redis;
  }

  /**
   * `blocking` connections wait through outages (stop() disconnects them); the command connection fails a
   * command after a few reconnect attempts, so a relay round during an outage fails and backs off instead of hanging.
   */
  private connect(role: string, blocking = true): Redis {
    const client = new Redis(this.url, {
      // Named, so CLIENT LIST tells each consumer's blocked read apart (`selfcare:<group>:<stream key>`).
      connectionName: `selfcare:${role}`.replace(/\s/g, '_'),
      maxRetriesPerRequest: blocking ? null : 2,
      enableReadyCheck: true,
      // ioredis keeps a timer this long after disconnecting a socket that never connected; don't hold shutdown for it.
      disconnectTimeout: 300,
    });
    let lastLog = 0;
    client.on('error', (error: Error) => {
      // ioredis reconnects by itself; log at most every 10 s instead of on every retry.
      const now = Date.now();
      if (now - lastLog < 10_000) return;
      lastLog = now;
      this.logger?.warn({ err: error, role }, 'Redis connection error');
    });
    return client;
  }
}

type StreamEntry = [id: string, fields: string[] | null];

class RedisSubscription {
  private stopped = false;
  private loop?: Promise<void>;
  private wake?: () => void;
  private lastClaim = 0;
  private claimUnsupported = false;
  /**
   * Set when the blocking connection was lost. ioredis sends an unanswered XREADGROUP again after reconnecting;
   * if Redis had already delivered entries to it (recorded in the group's pending list, the reply lost with the
   * connection), the resent `>` read skips them. So after a reconnect the pending list is read again first.
   */
  private reconnected = false;

  constructor(
    private readonly bus: RedisStreamsEventBus,
    private readonly key: string,
    private readonly group: string,
    private readonly handler: EventHandler,
    /** Dedicated connection: XREADGROUP BLOCK holds it; disconnecting it ends the block at once on stop. */
    private readonly blocking: Redis,
    /** The consumer's way with several events of one read at once, if it has one. */
    private readonly many?: EventBatchHandler,
  ) {}

  start(): void {
    this.blocking.on('reconnecting', () => {
      this.reconnected = true;
    });
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    if (this.stopped) return this.loop;
    this.stopped = true;
    this.wake?.();
    this.blocking.disconnect();
    await this.loop;
  }

  private async run(): Promise<void> {
    const { consumerName, blockMs, readCount, retryBaseMs } = this.bus.settings;
    // First this consumer's own pending entries (delivered before a crash or stop, never acknowledged), then new ones.
    let cursor: '0' | '>' = '0';
    let delay = retryBaseMs;
    while (!this.stopped) {
      try {
        if (cursor === '>') await this.claimAbandoned();
        // Without BLOCK when re-reading pending entries: that read answers at once.
        const reply = (await (cursor === '>'
          ? this.blocking.xreadgroup('GROUP', this.group, consumerName, 'COUNT', readCount, 'BLOCK', blockMs, 'STREAMS', this.key, '>')
          : this.blocking.xreadgroup('GROUP', this.group, consumerName, 'COUNT', readCount, 'STREAMS', this.key, '0'))) as [string, StreamEntry[]][] | null;
        if (this.reconnected) {
          // What this read got is in the pending list too, behind what an earlier, lost reply delivered: read it in order.
          this.reconnected = false;
          cursor = '0';
          continue;
        }
        const entries = reply?.[0]?.[1] ?? [];
        if (cursor === '0' && entries.length === 0) {
          cursor = '>';
          continue;
        }
        if (this.many && entries.length > 1 && !this.stopped) {
          // The read's entries at once (one transaction for the consumer, one XACK), in order.
          await this.handleMany(entries);
          delay = retryBaseMs;
          continue;
        }
        for (const entry of entries) {
          if (this.stopped) break;
          await this.handle(entry);
          // Back-off resets on progress, not per batch: a batch with a failure in it still made progress.
          delay = retryBaseMs;
        }
      } catch (error) {
        if (this.stopped) break;
        this.bus.logger?.warn({ err: error, stream: this.key, group: this.group }, 'event delivery failed; retrying');
        // Re-read from the pending list so the failed entry comes back first (order within the group).
        cursor = '0';
        await this.sleep(delay);
        delay = Math.min(delay * 2, 30_000);
      }
    }
  }

  private async handle(entry: StreamEntry): Promise<void> {
    const event = this.eventOf(entry);
    if (event) await this.handler(event);
    await this.bus.commands.xack(this.key, this.group, entry[0]);
  }

  private async handleMany(entries: StreamEntry[]): Promise<void> {
    const events = entries.map((entry) => this.eventOf(entry)).filter((event): event is DomainEvent => event !== undefined);
    if (events.length > 0) await this.many!(events);
    await this.bus.commands.xack(this.key, this.group, ...entries.map(([entryId]) => entryId));
  }

  private eventOf([entryId, fields]: StreamEntry): DomainEvent | undefined {
    // A pending entry trimmed away by MAXLEN comes back without fields: nothing left to apply.
    const raw = fields ? fieldValue(fields, 'event') : undefined;
    try {
      if (raw !== undefined) return { ...(JSON.parse(raw) as DomainEvent), id: Number(entryId.split('-')[0]) };
    } catch (error) {
      // Not written by this bus (no relay writes invalid JSON): retrying can't help, so log it and move on.
      this.bus.logger?.error({ err: error, stream: this.key, group: this.group, entryId }, 'unreadable stream entry skipped');
    }
    return undefined;
  }

  /** Takes over entries a vanished consumer of the group left pending (at most every claimIdleMs / 2). */
  private async claimAbandoned(): Promise<void> {
    const { consumerName, claimIdleMs, readCount } = this.bus.settings;
    const now = Date.now();
    if (this.claimUnsupported || now - this.lastClaim < claimIdleMs / 2) return;
    this.lastClaim = now;
    let reply: [string, StreamEntry[], string[]?];
    try {
      reply = (await this.bus.commands.call('XAUTOCLAIM', this.key, this.group, consumerName, claimIdleMs, '0-0', 'COUNT', readCount)) as typeof reply;
    } catch (error) {
      // Redis before 6.2 has no XAUTOCLAIM: keep consuming, just without taking over other consumers' entries.
      if (/unknown command/i.test((error as Error).message)) {
        this.claimUnsupported = true;
        this.bus.logger?.warn({ stream: this.key }, 'Redis lacks XAUTOCLAIM; pending entries of vanished consumers are not taken over');
        return;
      }
      throw error;
    }
    for (const entry of reply[1] ?? []) {
      if (this.stopped) return;
      await this.handle(entry);
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }
}

function fieldValue(fields: string[], name: string): string | undefined {
  for (let i = 0; i + 1 < fields.length; i += 2) if (fields[i] === name) return fields[i + 1];
  return undefined;
}

/** QUIT when connected (flushes replies), otherwise just drop the socket: a queued QUIT would wait for a reconnect. */
async function closeClient(client: Redis): Promise<void> {
  if (client.status !== 'ready') {
    client.disconnect();
    return;
  }
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([client.quit().catch(() => undefined), new Promise((r) => (timer = setTimeout(r, 2_000)))]);
  if (timer) clearTimeout(timer);
  client.disconnect();
}
