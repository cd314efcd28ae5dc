import { createLogger, installProcessHandlers, startOrExit } from '@selfcare/shared';
import { DEMO_PASSWORD, demoSubscribers } from '@selfcare/shared';
import { startSystem } from './system';
import { subscriptionSettingsFrom } from './subscription-settings';
import { DEMO_STAFF_ACCOUNTS, identityOptionsFromEnv } from '@selfcare/identity';
import { parseEnv } from '@selfcare/shared';
import { delegationSettingsFrom } from '@selfcare/delegation';
import { allInOneEnvShape } from './all-in-one-config';
import { gatewayLimitsFrom } from './limits';
import { paymentsSettingsForAllInOne } from '@selfcare/billing';

/** `npm start`: the whole system on its embedded default. */
void startOrExit(async () => {
  const config = parseEnv(allInOneEnvShape);
  const { limits, timeouts } = gatewayLimitsFrom(config);
  const subscriptions = subscriptionSettingsFrom(config);
  installProcessHandlers(createLogger('system', config.LOG_LEVEL));
  // identity's IDENTITY_* settings and STAFF_ACCOUNTS apply here too (the signing key stays in DATA_DIR).
  const identity = identityOptionsFromEnv();
  // delegation's DELEGATION_* settings too.
  const delegation = { settings: delegationSettingsFrom(config) };
  // Payments' PAYMENT_* / TRUST_PAYMENT_* / TRANSFER_* settings too; the card provider is the sandbox unless PAYMENT_PROVIDER_URL names one.
  const payments = paymentsSettingsForAllInOne(config);
  const system = await startSystem({
    gatewayPort: config.GATEWAY_PORT,
    subgraphPorts: {
      identity: config.IDENTITY_PORT,
      catalog: config.CATALOG_PORT,
      billing: config.BILLING_PORT,
      detailing: config.DETAILING_PORT,
      delegation: config.DELEGATION_PORT,
    },
    host: config.GATEWAY_HOST,
    subgraphHosts: {
      identity: config.IDENTITY_HOST,
      catalog: config.CATALOG_HOST,
      billing: config.BILLING_HOST,
      detailing: config.DETAILING_HOST,
      delegation: config.DELEGATION_HOST,
    },
    dataDir: config.DATA_DIR,
    logLevel: config.LOG_LEVEL,
    limits,
    timeouts,
    trustProxy: config.TRUST_PROXY,
    corsOrigins: config.CORS_ORIGINS,
    ...(config.METRICS_TOKEN ? { metricsToken: config.METRICS_TOKEN } : {}),
    subscriptions,
    feedSafetyPollMs: config.FEED_SAFETY_POLL_MS,
    identity: { ...identity },
    delegation,
    payments: payments.overrides,
    ...(payments.externalProvider ? { cardProvider: payments.externalProvider } : {}),
  });
  const url = `http://localhost:${system.gateway!.port}`;
  const logins = demoSubscribers
    .map((s) => `    ${s.login.padEnd(14)} ${s.kind.padEnd(13)} ${s.partyType.padEnd(12)} ${s.password ? `password ${DEMO_PASSWORD}` : 'not registered: requestPassword, then read /dev/sms'}`)
    .join('\n');
  process.stdout.write(
    [
      '',
      `Beeline self-service API (all-in-one development system, embedded SQLite in ${config.DATA_DIR})`,
      `  GraphQL + Apollo Sandbox: ${url}/graphql${config.GATEWAY_HOST === '127.0.0.1' ? ' (this machine only: GATEWAY_HOST)' : ''}`,
      `  SMS sent:                 ${url}/dev/sms?to=+77051234567`,
      `  E-mail sent:              ${url}/dev/mail?to=aigerim@example.kz`,
      payments.externalProvider
        ? `  Card provider:            ${payments.externalProvider.url}`
        : `  Card provider (sandbox):  ${url}/v1/tokens (test cards: README, Payments)`,
      `  Demo logins:`,
      logins,
      identity.staffAccounts?.length
        ? `  Staff (staffLogin): the accounts of STAFF_ACCOUNTS`
        : `  Staff (staffLogin): ${DEMO_STAFF_ACCOUNTS.map((a) => `${a.login} / ${a.password} (${a.role})`).join(', ')}`,
      `  Metrics:                  ${url}/metrics with Authorization: Bearer <METRICS_TOKEN>${config.METRICS_TOKEN ? '' : ' (set METRICS_TOKEN to read them)'}`,
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
