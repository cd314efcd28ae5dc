import { env, parseEnv } from '@selfcare/shared';

/** Delegation's own settings (distributed mode); the platform-wide ones are read by the shared process runner. */
export const delegationEnvShape = {
  DELEGATION_PORT: env.port(4005),
  DELEGATION_DATABASE_URL: env.databaseUrl('sqlite:./data/delegation.sqlite'),
};

export interface DelegationConfig {
  port: number;
  databaseUrl: string;
}

export function loadDelegationConfig(source: NodeJS.ProcessEnv = process.env): DelegationConfig {
  const parsed = parseEnv(delegationEnvShape, source);
  return { port: parsed.DELEGATION_PORT, databaseUrl: parsed.DELEGATION_DATABASE_URL };
}
