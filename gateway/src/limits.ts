import { DEFAULT_OPERATION_LIMITS, OperationLimitSettings, OperationLimits, createOperationLimits, env, operationLimitsEnvShape, operationLimitsFrom } from '@selfcare/shared';

export type { OperationLimits, OperationLimitSettings } from '@selfcare/shared';

/**
 * What a plain list field of the supergraph is expected to hold, for the cost budget (GRAPHQL_MAX_COST): an item
 * costs what it selects, so `managedNumbers { activity(first: 50) { … } }` costs 10 × 50 × what an entry selects.
 * Connections need no entry: they cost by their `first` (20 without one), and their `edges` by that.
 *
 * A new list field gets its cost here: add `"Type.field": <a generous typical length>`. gateway/test/limits.test.ts
 * fails for a list field of schema/supergraph.graphql that has neither an entry nor a `first` argument.
 */
export const SUPERGRAPH_LIST_SIZES: Readonly<Record<string, number>> = {
  'Query.tariffs': 20,
  'Query.services': 30,
  'Query.incomingManagementRequests': 10,
  'Query.outgoingManagementRequests': 10,
  'Mutation.setNotifyBy': 3,
  'Account.cards': 5,
  'Subscriber.services': 10,
  'Subscriber.availableServices': 30,
  'Subscriber.managedNumbers': 10,
  'Subscriber.managers': 10,
  'Subscriber.allowances': 3,
  'Subscriber.consents': 5,
  'Subscriber.consentHistory': 30,
  'Subscriber.termsAcceptances': 10,
  'Subscriber.notifyBy': 3,
  'Subscriber.sessions': 10,
  'TariffPlan.allowances': 3,
  'UsageSummary.byKind': 8,
  'NoticeBroadcast.texts': 3,
  // orders and the operator's catalog
  'Query.allTariffs': 50,
  'Query.allServices': 100,
  'TariffRates.roaming': 10,
  // usage ingestion and the per-day breakdown: a period has at most 92 Almaty days (MAX_PERIOD_DAYS)
  'Subscriber.usageByDay': 92,
  'UsageIngestResult.rejected': 50,
};

/**
 * The gateway's time budget: every subgraph call of an operation must end by `operationTimeoutMs` after the request
 * arrived, and none may take longer than `subgraphTimeoutMs`; a call that does not answers SERVICE_UNAVAILABLE.
 */
export interface GatewayTimeouts {
  operationTimeoutMs: number;
  subgraphTimeoutMs: number;
}

export const DEFAULT_GATEWAY_TIMEOUTS: GatewayTimeouts = { operationTimeoutMs: 15_000, subgraphTimeoutMs: 10_000 };

/** The gateway's limit settings, read by both launchers (all-in-one and `npm run start:gateway`). */
export const gatewayLimitsEnvShape = {
  ...operationLimitsEnvShape,
  OPERATION_TIMEOUT_MS: env.int(DEFAULT_GATEWAY_TIMEOUTS.operationTimeoutMs, 100),
  SUBGRAPH_TIMEOUT_MS: env.int(DEFAULT_GATEWAY_TIMEOUTS.subgraphTimeoutMs, 100),
};

export function gatewayLimitsFrom(values: {
  [K in keyof typeof gatewayLimitsEnvShape]: number;
}): { limits: OperationLimitSettings; timeouts: GatewayTimeouts } {
  return {
    limits: operationLimitsFrom(values),
    timeouts: { operationTimeoutMs: values.OPERATION_TIMEOUT_MS, subgraphTimeoutMs: Math.min(values.SUBGRAPH_TIMEOUT_MS, values.OPERATION_TIMEOUT_MS) },
  };
}

/** The limits the gateway applies over HTTP and to websocket subscriptions (`serveGatewaySubscriptions`'s `limits`). */
export function createGatewayLimits(settings: OperationLimitSettings = DEFAULT_OPERATION_LIMITS): OperationLimits {
  return createOperationLimits({ ...settings, listSizes: { ...SUPERGRAPH_LIST_SIZES, ...(settings.listSizes ?? {}) } });
}
