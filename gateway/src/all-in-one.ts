import { startOrExit } from '@selfcare/shared';
import { DEMO_PASSWORD, demoSubscribers } from '@selfcare/shared';
import { startSystem } from './system';
import { DEMO_STAFF_ACCOUNTS, identityOptionsFromEnv } from '@selfcare/identity';
import { z } from 'zod';
import { env, parseEnv } from '@selfcare/shared';

/** `npm start`: the whole system on its embedded default. */
void startOrExit(async () => {
  const config = parseEnv({
    GATEWAY_PORT: env.port(4000),
    IDENTITY_PORT: env.port(4001),
    CATALOG_PORT: env.port(4002),
    BILLING_PORT: env.port(4003),
    DETAILING_PORT: env.port(4004),
    DELEGATION_PORT: env.port(4005),
    HOST: z.string().default('0.0.0.0'),
    DATA_DIR: env.string('./data'),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace']).default('info'),
  });
  // identity's IDENTITY_* settings and STAFF_ACCOUNTS apply here too (the signing key stays in DATA_DIR).
  const identity = identityOptionsFromEnv();
  const system = await startSystem({
    gatewayPort: config.GATEWAY_PORT,
    subgraphPorts: {
      identity: config.IDENTITY_PORT,
      catalog: config.CATALOG_PORT,
      billing: config.BILLING_PORT,
      detailing: config.DETAILING_PORT,
      delegation: config.DELEGATION_PORT,
    },
    host: config.HOST,
    dataDir: config.DATA_DIR,
    logLevel: config.LOG_LEVEL,
    identity: { ...identity },
  });
  const url = `http://localhost:${system.gateway!.port}`;
  const logins = demoSubscribers
    .map((s) => `    ${s.login.padEnd(14)} ${s.kind.padEnd(13)} ${s.partyType.padEnd(12)} ${s.password ? `password ${DEMO_PASSWORD}` : 'not registered: requestPassword, then read /dev/sms'}`)
    .join('\n');
  process.stdout.write(
    [
      '',
      `Beeline self-service API (all-in-one, embedded SQLite in ${config.DATA_DIR})`,
      `  GraphQL + Apollo Sandbox: ${url}/graphql`,
      `  SMS sent:                 ${url}/dev/sms?to=+77051234567`,
      `  E-mail sent:              ${url}/dev/mail?to=aigerim@example.kz`,
      `  Demo logins:`,
      logins,
      identity.staffAccounts?.length
        ? `  Staff (staffLogin): the accounts of STAFF_ACCOUNTS`
        : `  Staff (staffLogin): ${DEMO_STAFF_ACCOUNTS.map((a) => `${a.login} / ${a.password} (${a.role})`).join(', ')}`,
      '',
    ].join('\n') + '\n',
  );
  const shutdown = async () => {
    const timer = setTimeout(() => process.exit(1), 25_000);
    timer.unref();
    await system.stop();
    process.exit(0);
  };
  process.once('SIGINT', () => void shutdown());
  process.once('SIGTERM', () => void shutdown());
});
