import type { ClientRequestArgs } from 'node:http';
import type { ExecutionResult, GraphQLFormattedError } from 'graphql';
import { Client, SubscribePayload, createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { INTERNAL_TOKEN_HEADER, Logger } from '@selfcare/shared';

/** What one upstream subscription reports. */
export interface UpstreamSink {
  next(result: ExecutionResult<Record<string, unknown>>): void;
  /** The subgraph refused or ended the operation with errors (formatted there, in the caller's language). */
  refused(errors: GraphQLFormattedError[]): void;
  /** The connection to the subgraph went away (restart, unreachable): the subscription may be resumed. */
  lost(reason: unknown): void;
  complete(): void;
}

export interface UpstreamOptions {
  name: string;
  /** The subgraph's GraphQL URL (http…/graphql); the websocket is on the same path. */
  url: string;
  internalToken: string;
  logger: Logger;
  retryDelayMs: number;
  maxRetryDelayMs: number;
  /** How long connecting (TCP, TLS, upgrade) and the connection_ack may take. */
  connectTimeoutMs?: number;
}

/**
 * One graphql-ws connection from this gateway process to one subgraph, carrying every client subscription the
 * subgraph serves (instead of a socket per subscription). It authenticates with the internal token; each
 * subscription carries its caller in its `extensions`. graphql-ws's own retrying is off: when the connection goes
 * away every subscription is told (`lost`) and decides for itself — resume from its cursor, or end — and the
 * resumptions of one outage go out together, after one shared back-off (`retry`), over one new connection.
 */
export class UpstreamConnection {
  private readonly client: Client;
  private readonly waiting = new Set<() => void>();
  private timer?: NodeJS.Timeout;
  private delayMs: number;
  private disposed = false;
  private lastErrorLog = 0;
  /** How many times a connection was acknowledged: a subscription resumed over a later one is healthy again. */
  connections = 0;

  constructor(private readonly options: UpstreamOptions) {
    this.delayMs = options.retryDelayMs;
    const connectTimeoutMs = options.connectTimeoutMs ?? 10_000;
    // graphql-ws constructs the socket itself: a subclass gives it a handshake timeout (a black-holed address would
    // otherwise hang until the OS gives up) and a listener for every error.
    class UpstreamSocket extends WebSocket {
      constructor(address: string, protocols?: string | string[]) {
        super(address, protocols, { handshakeTimeout: connectTimeoutMs } as ClientRequestArgs);
      }
    }
    this.client = createClient({
      url: options.url.replace(/^http/, 'ws'),
      webSocketImpl: UpstreamSocket,
      lazy: true,
      // Closed when its last subscription ends (graphql-ws keeps a pending close timer alive otherwise, and reconnects by
      // itself for a subscription that comes while it closes).
      lazyCloseTimeout: 0,
      retryAttempts: 0,
      connectionAckWaitTimeout: connectTimeoutMs,
      connectionParams: { [INTERNAL_TOKEN_HEADER]: options.internalToken },
      on: {
        connected: () => {
          this.connections += 1;
          this.delayMs = options.retryDelayMs;
          options.logger.debug({ service: options.name }, 'upstream websocket connected');
        },
        closed: (event) => {
          const { code, reason } = (event ?? {}) as { code?: number; reason?: string };
          options.logger.debug({ service: options.name, code, reason }, 'upstream websocket closed');
        },
        error: (error) => this.logError(error),
      },
    });
  }

  subscribe(payload: SubscribePayload, sink: UpstreamSink): () => void {
    let ended = false;
    const once = (fn: () => void) => {
      if (ended) return;
      ended = true;
      fn();
    };
    const unsubscribe = this.client.subscribe<Record<string, unknown>>(payload, {
      next: (result) => {
        if (!ended) sink.next(result as ExecutionResult<Record<string, unknown>>);
      },
      error: (error) => once(() => (isGraphQLErrors(error) ? sink.refused(error) : sink.lost(error))),
      complete: () => once(() => sink.complete()),
    });
    return () => {
      ended = true;
      unsubscribe();
    };
  }

  /**
   * Runs `resubscribe` after the current back-off, together with every other resumption waiting; the back-off doubles
   * until a connection is acknowledged. Returns a cancel function.
   */
  retry(resubscribe: () => void): () => void {
    this.waiting.add(resubscribe);
    if (!this.timer && !this.disposed) {
      const delay = this.delayMs * (0.75 + Math.random() / 2);
      this.delayMs = Math.min(this.delayMs * 2, this.options.maxRetryDelayMs);
      this.timer = setTimeout(() => {
        this.timer = undefined;
        const due = [...this.waiting];
        this.waiting.clear();
        for (const task of due) {
          try {
            task();
          } catch (error) {
            this.options.logger.error({ err: error, service: this.options.name }, 'resubscribing failed');
          }
        }
      }, delay);
      this.timer.unref();
    }
    return () => {
      this.waiting.delete(resubscribe);
    };
  }

  async dispose(): Promise<void> {
    this.disposed = true;
    if (this.timer) clearTimeout(this.timer);
    this.waiting.clear();
    // dispose() awaits a connection attempt in flight and rejects if that failed: nothing to close then.
    await Promise.resolve()
      .then(() => this.client.dispose())
      .catch(() => undefined);
  }

  private logError(error: unknown): void {
    const now = Date.now();
    if (now - this.lastErrorLog < 10_000) return;
    this.lastErrorLog = now;
    const err = error instanceof Error ? error : { message: (error as { message?: string })?.message ?? String(error) };
    this.options.logger.warn({ err, service: this.options.name }, 'upstream websocket error');
  }
}

/** graphql-ws hands a subgraph's `error` message over as its array of (already formatted) errors. */
function isGraphQLErrors(value: unknown): value is GraphQLFormattedError[] {
  return Array.isArray(value) && value.length > 0 && value.every((e) => typeof (e as { message?: unknown })?.message === 'string');
}
