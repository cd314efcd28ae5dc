import type { Express } from 'express';
import type { SubgraphRuntime } from '@selfcare/shared';

/** The identity features module (consents, terms, notices, activity, retention, preferences, unsubscribe). */
export interface IdentityFeatureModules {
  // eslint-disable-next-line @typescript-eslint/ban-types
  resolvers: Function[];
  // eslint-disable-next-line @typescript-eslint/ban-types
  orphanedTypes: Function[];
  routes?: (app: Express) => void;
  start?: () => Promise<void>;
  registerConsumers?: () => void;
  seed?: () => Promise<void>;
}

export function identityFeatureModules(runtime: SubgraphRuntime): IdentityFeatureModules {
  void runtime;
  return { resolvers: [], orphanedTypes: [] };
}
