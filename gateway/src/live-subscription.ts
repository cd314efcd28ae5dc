import type { GraphQLDataSource } from '@apollo/gateway';
import { ExecutionResult, GraphQLError, GraphQLFormattedError } from 'graphql';
import { DomainError, ErrorCode, Logger, languageFromHeader } from '@selfcare/shared';
import type { GatewayContext } from './context';
import { SubscriptionExecutor, SubscriptionPlan } from './subscription-executor';
import type { SubscriptionSettings } from './subscription-settings';
import type { UpstreamConnection } from './upstream';

type Item =
  | { kind: 'event'; data: Record<string, unknown>; errors: GraphQLFormattedError[] }
  | { kind: 'errors'; errors: readonly (GraphQLError | GraphQLFormattedError)[] }
  | { kind: 'end' };

const DONE: IteratorResult<ExecutionResult> = { done: true, value: undefined };

/** A contract error as a GraphQLError that keeps its DomainError, so the gateway's formatter localizes it. */
export function contractError(code: ErrorCode, language: ReturnType<typeof languageFromHeader>, options: ConstructorParameters<typeof DomainError>[1] = {}): GraphQLError {
  const domain = new DomainError(code, options);
  const gql = domain.toGraphQLError(language);
  return new GraphQLError(gql.message, { extensions: gql.extensions, originalError: domain });
}

export interface LiveSubscriptionOptions {
  upstream: UpstreamConnection;
  plan: SubscriptionPlan;
  executor: SubscriptionExecutor;
  /** The client's variables (coerced and checked against the operation). */
  variables: Record<string, unknown>;
  /** The client's operation text, for the rest of the plan. */
  query: string;
  operationName?: string;
  context: GatewayContext;
  services: Record<string, GraphQLDataSource>;
  settings: Pick<SubscriptionSettings, 'resumeWindowMs' | 'maxQueuedEvents' | 'eventTimeoutMs'>;
  logger: Logger;
}

/**
 * One client subscription at the gateway, as the async iterator graphql-ws reads: upstream events (over the
 * subgraph's shared connection) are queued, and each is completed by the rest of the plan when the client takes it.
 * When the subgraph's connection goes away it resumes from the newest cursor it received (if the operation takes
 * `after`) within the resume window, else it ends with SERVICE_UNAVAILABLE — it never waits silently. A client that
 * reads slower than events come gets SERVICE_UNAVAILABLE after `maxQueuedEvents` and resumes with its cursor; so does
 * one whose event cannot be completed in time (another subgraph hangs): the cursor it resumes from is the event's.
 * `return()` never rejects: graphql-ws calls it without waiting when a client completes while the subscription starts.
 */
export class LiveSubscription implements AsyncIterableIterator<ExecutionResult> {
  private readonly queue: Item[] = [];
  private waiter: (() => void) | null = null;
  /** Nothing more comes from upstream: the queue drains, then the iterator is done. */
  private closed = false;
  private finished = false;
  private unsubscribe: (() => void) | null = null;
  private cancelRetry: (() => void) | null = null;
  /** Newest cursor received (resumable plans). */
  private cursor: string | null = null;
  private lostSince: number | null = null;
  private connectionsAtSubscribe = 0;
  private generation = 0;
  private readonly language: ReturnType<typeof languageFromHeader>;

  constructor(private readonly options: LiveSubscriptionOptions) {
    this.language = languageFromHeader(options.context.acceptLanguage);
  }

  start(): this {
    this.open();
    return this;
  }

  /** The newest cursor received (tests, logs). */
  get lastCursor(): string | null {
    return this.cursor;
  }

  async next(): Promise<IteratorResult<ExecutionResult>> {
    for (;;) {
      if (this.finished) return DONE;
      const item = this.queue.shift();
      if (!item) {
        await new Promise<void>((resolve) => (this.waiter = resolve));
        continue;
      }
      if (item.kind === 'end') {
        this.finished = true;
        return DONE;
      }
      if (item.kind === 'errors') return { done: false, value: { errors: item.errors } as ExecutionResult };
      const completed = await this.complete(item);
      if (completed) return { done: false, value: completed };
    }
  }

  async return(): Promise<IteratorResult<ExecutionResult>> {
    this.finished = true;
    this.stopUpstream();
    this.queue.length = 0;
    this.wake();
    return DONE;
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  private open(): void {
    const generation = ++this.generation;
    // A callback of an earlier upstream subscription (before a resumption) is ignored.
    const current = () => generation === this.generation && !this.closed;
    const { plan, context } = this.options;
    this.connectionsAtSubscribe = this.options.upstream.connections;
    this.unsubscribe = this.options.upstream.subscribe(
      {
        query: plan.query,
        ...(plan.operationName ? { operationName: plan.operationName } : {}),
        variables: SubscriptionExecutor.upstreamVariables(plan, this.options.variables, this.cursor),
        // The caller travels with each subscription: the connection is shared (and authenticated by the internal token).
        extensions: {
          ...(context.authorization ? { authorization: context.authorization } : {}),
          ...(context.acceptLanguage ? { 'accept-language': context.acceptLanguage } : {}),
          'x-client-address': context.clientAddress,
          'x-request-id': context.requestId,
          ...(context.userAgent ? { 'user-agent': context.userAgent } : {}),
        },
      },
      {
        next: (result) => current() && this.received(result),
        refused: (errors) => current() && this.end(this.tagged(errors)),
        lost: (reason) => current() && this.lost(reason),
        complete: () => current() && this.end(null),
      },
    );
  }

  private received(result: ExecutionResult<Record<string, unknown>>): void {
    this.lostSince = null;
    const errors = this.tagged((result.errors ?? []) as unknown as GraphQLFormattedError[]);
    if (!result.data) {
      if (errors.length) this.push({ kind: 'errors', errors });
      return;
    }
    const { cursor, data } = SubscriptionExecutor.cursorOf(this.options.plan, result.data);
    if (cursor) this.cursor = cursor;
    if (this.queue.length >= this.options.settings.maxQueuedEvents) {
      // What is queued still goes out; the client resumes after the last cursor it got.
      this.options.logger.warn({ requestId: this.options.context.requestId, queued: this.queue.length }, 'subscriber reads too slowly; ending the subscription');
      this.end([contractError(ErrorCode.SERVICE_UNAVAILABLE, this.language, { extensions: { reason: 'client too slow; resume with your last cursor' } })]);
      return;
    }
    this.push({ kind: 'event', data, errors });
  }

  private lost(reason: unknown): void {
    this.unsubscribe = null;
    const { plan, settings, upstream, logger, context } = this.options;
    const now = Date.now();
    // Lost again after a resumption had connected: a new outage, a new window.
    if (this.lostSince === null || upstream.connections > this.connectionsAtSubscribe) this.lostSince = now;
    const after = this.cursor ?? SubscriptionExecutor.initialAfter(plan, this.options.variables);
    const resumable = plan.resume !== null && after !== null && now - this.lostSince < settings.resumeWindowMs;
    const closeCode = (reason as { code?: unknown })?.code;
    if (!resumable) {
      logger.warn({ requestId: context.requestId, service: plan.serviceName, code: closeCode }, 'upstream subscription lost; ending it');
      this.end([contractError(ErrorCode.SERVICE_UNAVAILABLE, this.language, { extensions: { service: plan.serviceName } })]);
      return;
    }
    logger.debug({ requestId: context.requestId, service: plan.serviceName, code: closeCode }, 'upstream subscription lost; resuming from its cursor');
    this.cancelRetry = upstream.retry(() => {
      this.cancelRetry = null;
      if (!this.closed) this.open();
    });
  }

  private end(errors: readonly (GraphQLError | GraphQLFormattedError)[] | null): void {
    if (this.closed) return;
    this.stopUpstream();
    if (errors?.length) this.queue.push({ kind: 'errors', errors });
    this.queue.push({ kind: 'end' });
    this.wake();
  }

  private stopUpstream(): void {
    this.closed = true;
    const unsubscribe = this.unsubscribe;
    this.unsubscribe = null;
    this.cancelRetry?.();
    this.cancelRetry = null;
    try {
      unsubscribe?.();
    } catch (error) {
      this.options.logger.warn({ err: error }, 'ending an upstream subscription failed');
    }
  }

  private push(item: Item): void {
    this.queue.push(item);
    this.wake();
  }

  private wake(): void {
    const waiter = this.waiter;
    this.waiter = null;
    waiter?.();
  }

  /** Tagged as over HTTP, so the formatter keeps the subgraph's own text (already in the caller's language). */
  private tagged(errors: GraphQLFormattedError[]): GraphQLFormattedError[] {
    return errors.map((e) => ({ ...e, extensions: { serviceName: this.options.plan.serviceName, ...e.extensions } }));
  }

  /** The client's result of an event, or null when completing it took too long (the subscription then ends). */
  private async complete(item: Extract<Item, { kind: 'event' }>): Promise<ExecutionResult | null> {
    const { plan, context, logger, settings } = this.options;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<null>((resolve) => {
      timer = setTimeout(() => resolve(null), settings.eventTimeoutMs);
    });
    try {
      const result = await Promise.race([this.execute(item), timeout]);
      if (result) return result;
      logger.warn({ requestId: context.requestId, service: plan.serviceName, timeoutMs: settings.eventTimeoutMs }, 'completing a subscription event took too long; ending the subscription');
      // What was queued behind it goes too (also an end already queued): the client resumes from the cursor before this event.
      this.stopUpstream();
      this.queue.length = 0;
      this.queue.push({ kind: 'errors', errors: [contractError(ErrorCode.SERVICE_UNAVAILABLE, this.language, { extensions: { reason: 'an event could not be completed in time; resume with your last cursor' } })] }, { kind: 'end' });
      return null;
    } finally {
      clearTimeout(timer);
    }
  }

  private async execute(item: Extract<Item, { kind: 'event' }>): Promise<ExecutionResult> {
    const { executor, plan, services, context, logger } = this.options;
    try {
      const result = await executor.execute({
        plan,
        data: item.data,
        services,
        request: { query: this.options.query, variables: this.options.variables, ...(this.options.operationName ? { operationName: this.options.operationName } : {}) },
        context: context as unknown as Record<string, unknown>,
        logger,
      });
      if (!item.errors.length) return result;
      return { ...result, errors: [...(result.errors ?? []), ...(item.errors as unknown as GraphQLError[])] };
    } catch (error) {
      logger.error({ err: error, requestId: context.requestId }, 'completing a subscription event failed');
      return { errors: [contractError(ErrorCode.INTERNAL, this.language)] };
    }
  }
}
