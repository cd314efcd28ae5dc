import { env } from '@selfcare/shared';

/** The gateway's websocket caps and resumption, from the environment (README, Configuration). */
export const subscriptionEnvShape = {
  GATEWAY_WS_SUBSCRIPTIONS_PER_SOCKET: env.int(50, 1),
  GATEWAY_WS_SOCKETS_PER_SUBSCRIBER: env.int(10, 1),
  GATEWAY_WS_SUBSCRIPTIONS_PER_SUBSCRIBER: env.int(100, 1),
  GATEWAY_WS_ANONYMOUS_SOCKETS_PER_ADDRESS: env.int(20, 1),
  GATEWAY_WS_RESUME_SECONDS: env.int(30, 0),
};

export interface SubscriptionSettings {
  /** Largest websocket message, as the HTTP body limit. */
  maxPayloadBytes: number;
  subscriptionsPerSocket: number;
  /** Open sockets of one verified caller (a subscriber, or a staff member). */
  socketsPerCaller: number;
  subscriptionsPerCaller: number;
  /** Open sockets from one client address that carry no verified caller (yet). */
  anonymousSocketsPerAddress: number;
  /** How long a subscription is resumed after its subgraph's connection went away before it ends with SERVICE_UNAVAILABLE. */
  resumeWindowMs: number;
  /** Events held for a client that reads slower than they come; past that it ends with SERVICE_UNAVAILABLE (and resumes by cursor). */
  maxQueuedEvents: number;
  /** Completing one event (the rest of the plan, other subgraphs) may take this long; past it the subscription ends with SERVICE_UNAVAILABLE. */
  eventTimeoutMs: number;
  /** First back-off before reconnecting to a subgraph; doubles up to `maxRetryDelayMs`. */
  retryDelayMs: number;
  maxRetryDelayMs: number;
}

export const DEFAULT_SUBSCRIPTION_SETTINGS: SubscriptionSettings = {
  maxPayloadBytes: 100 * 1024,
  subscriptionsPerSocket: 50,
  socketsPerCaller: 10,
  subscriptionsPerCaller: 100,
  anonymousSocketsPerAddress: 20,
  resumeWindowMs: 30_000,
  maxQueuedEvents: 100,
  eventTimeoutMs: 15_000,
  retryDelayMs: 250,
  maxRetryDelayMs: 5_000,
};

type SubscriptionEnv = { [K in keyof typeof subscriptionEnvShape]: number };

/** The settings from an already parsed configuration that includes `subscriptionEnvShape`. */
export function subscriptionSettingsFrom(parsed: SubscriptionEnv): Partial<SubscriptionSettings> {
  return {
    subscriptionsPerSocket: parsed.GATEWAY_WS_SUBSCRIPTIONS_PER_SOCKET,
    socketsPerCaller: parsed.GATEWAY_WS_SOCKETS_PER_SUBSCRIBER,
    subscriptionsPerCaller: parsed.GATEWAY_WS_SUBSCRIPTIONS_PER_SUBSCRIBER,
    anonymousSocketsPerAddress: parsed.GATEWAY_WS_ANONYMOUS_SOCKETS_PER_ADDRESS,
    resumeWindowMs: parsed.GATEWAY_WS_RESUME_SECONDS * 1000,
  };
}
