import { defineInternalRoute } from './internal-api';

/**
 * billing's internal HTTP API (other services only, internal token). Routes are added here as they are built;
 * `defineInternalRoute` keeps the caller and billing's handler on the same request and response schemas.
 */
export const billingInternalRoutes = {} satisfies Record<string, ReturnType<typeof defineInternalRoute>>;
