import { randomUUID } from 'node:crypto';
import Redis from 'ioredis';
import type { Logger } from '../logging/logger';
import type { WakeupChannel } from './feed-wakeups';

/** A message names at most this many keys; longer key lists are cut (the safety poll catches up on the rest). */
const MAX_KEYS = 1000;
const MAX_KEY_LENGTH = 200;

/**
 * Feed wake-ups between the replicas of one service over Redis pub/sub, channel
 * `<prefix>selfcare:feeds:<service>`: each message is `{"from": <replica>, "keys": [...]}`. Pub/sub keeps nothing, so
 * a replica that was disconnected missed what was said meanwhile; it reports a gap on reconnecting and its safety
 * poll looks at the outbox at once.
 */
export class RedisWakeupChannel implements WakeupChannel {
  private readonly replica = randomUUID();
  private subscriber?: Redis;
  private lastLog = 0;

  constructor(
    private readonly options: {
      url: string;
      /** The connection used for PUBLISH (commands); the channel opens its own subscriber connection. */
      publisher: Redis;
      keyPrefix: string;
      service: string;
      logger: Logger;
    },
  ) {}

  get channel(): string {
    return `${this.options.keyPrefix}selfcare:feeds:${this.options.service}`;
  }

  async publish(keys: string[]): Promise<void> {
    if (keys.length === 0) return;
    await this.options.publisher.publish(this.channel, JSON.stringify({ from: this.replica, keys: keys.slice(0, MAX_KEYS) }));
  }

  async listen(handlers: { keys(keys: string[]): void; gap(): void }): Promise<void> {
    const subscriber = new Redis(this.options.url, { maxRetriesPerRequest: null, enableReadyCheck: true, disconnectTimeout: 300, connectionName: this.channel });
    this.subscriber = subscriber;
    let connectedBefore = false;
    subscriber.on('ready', () => {
      if (connectedBefore) handlers.gap();
      connectedBefore = true;
    });
    subscriber.on('error', (error: Error) => {
      // ioredis reconnects (and resubscribes) by itself; log at most every 10 s.
      const now = Date.now();
      if (now - this.lastLog < 10_000) return;
      this.lastLog = now;
      this.options.logger.warn({ err: error, channel: this.channel }, 'feed wake-up channel: Redis connection error');
    });
    subscriber.on('message', (_channel: string, message: string) => {
      const keys = parseMessage(message, this.replica);
      if (keys.length) handlers.keys(keys);
    });
    // Not awaited: with Redis down the command waits for the connection, and start-up should not.
    subscriber.subscribe(this.channel).catch((error: Error) => this.options.logger.warn({ err: error, channel: this.channel }, 'feed wake-up channel: subscribing failed'));
  }

  async close(): Promise<void> {
    this.subscriber?.disconnect();
    this.subscriber = undefined;
  }
}

/** The keys of another replica's message; nothing for our own, or for anything malformed (anyone on Redis may publish). */
function parseMessage(message: string, self: string): string[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(message);
  } catch {
    return [];
  }
  const { from, keys } = (parsed ?? {}) as { from?: unknown; keys?: unknown };
  if (from === self || !Array.isArray(keys)) return [];
  return keys.slice(0, MAX_KEYS).filter((key): key is string => typeof key === 'string' && key.length > 0 && key.length <= MAX_KEY_LENGTH);
}
