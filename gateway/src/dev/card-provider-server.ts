import { createLogger, env, installProcessHandlers, parseEnv, startOrExit } from '@selfcare/shared';
import { startSandboxCardProvider } from './card-provider';

/**
 * The sandbox card provider as a process of its own, for the distributed mode (docker compose) and for tests that
 * kill the platform while the provider keeps what it charged: billing calls PAYMENT_PROVIDER_URL=http://<host>:4020,
 * outcomes are POSTed to WEBHOOK_URL (the gateway's /payments/webhook). In production the operator's card processor
 * takes this place.
 */
void startOrExit(async () => {
  const config = parseEnv({
    CARD_PROVIDER_PORT: env.port(4020),
    CARD_PROVIDER_HOST: env.host('127.0.0.1'),
    PAYMENT_PROVIDER_SECRET: env.secret(16),
    WEBHOOK_URL: env.url('http://127.0.0.1:4000/payments/webhook'),
    /** Base of the 3-D Secure pages' addresses, as the card holder's browser reaches them. */
    CARD_PROVIDER_PUBLIC_URL: env.url('http://127.0.0.1:4020'),
    CARD_PROVIDER_TIMEOUT_HOLD_MS: env.int(60_000, 0),
  });
  const logger = createLogger('card-provider');
  installProcessHandlers(logger);
  const sandbox = await startSandboxCardProvider({
    port: config.CARD_PROVIDER_PORT,
    host: config.CARD_PROVIDER_HOST,
    secret: config.PAYMENT_PROVIDER_SECRET,
    webhookUrl: () => config.WEBHOOK_URL,
    publicUrl: () => config.CARD_PROVIDER_PUBLIC_URL,
    timeoutHoldMs: config.CARD_PROVIDER_TIMEOUT_HOLD_MS,
  });
  logger.info({ port: sandbox.port }, 'sandbox card provider listening');
  const shutdown = () => {
    sandbox.provider.stop();
    setTimeout(() => process.exit(1), 10_000).unref();
    void sandbox.stop().then(() => process.exit(0));
  };
  process.once('SIGTERM', shutdown);
  process.once('SIGINT', shutdown);
});
