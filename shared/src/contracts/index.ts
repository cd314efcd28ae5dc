/**
 * Typed contracts between the services: every event each one publishes and every internal HTTP route it
 * serves, as zod schemas, one module per producing service. Producers validate against them, consumers and
 * callers parse with them; no service re-declares another's shapes.
 */
export * from './event-contract';
export * from './internal-api';
export * as contractValues from './common';
export * from './activity-events';
export * from './notification-events';
export * from './identity-events';
export * from './billing-events';
export * from './catalog-events';
export * from './detailing-events';
export * from './delegation-events';
export * from './identity-api';
export * from './catalog-api';
export * from './delegation-api';
export * from './billing-api';
export * from './detailing-api';
