import { operationLimitsFrom, readPlatformEnv } from './platform-config';
import { ServiceDirectory } from './directory';
import { systemClock } from './clock';
import { PlatformServices, RunSubgraphOptions, SubgraphDefinition, runSubgraph } from './run-subgraph';
import { env, parseEnv, startOrExit } from '../config/config';
import { RedisStreamsEventBus, RedisWakeupChannel } from '../events';
import { RedisRevocationStore } from '../auth/revocation';
import { HttpSmsCentreTransport, SmtpEmailTransport } from '../notifications';
import { Logger, createLogger } from '../logging/logger';

let handlersInstalled = false;

/**
 * Every launcher's process-level safety net. A promise rejected with nobody listening is a bug to log, not a reason
 * to drop every subscriber's connection: Node's default ends the process, so this logs it and keeps running. An
 * uncaught exception leaves the process in an unknown state: logged, then exit(1) (the supervisor restarts it).
 */
export function installProcessHandlers(logger: Logger): void {
  if (handlersInstalled) return;
  handlersInstalled = true;
  process.on('unhandledRejection', (reason) => {
    logger.error({ err: reason instanceof Error ? reason : { value: String(reason) } }, 'unhandled promise rejection (process kept running)');
  });
  process.on('uncaughtException', (error, origin) => {
    logger.fatal({ err: error, origin }, 'uncaught exception; exiting');
    process.exit(1);
  });
}

export interface ProcessOptions {
  port: number;
  databaseUrl: string;
}

/**
 * Distributed mode: one subgraph per process, its own MariaDB/MySQL database (migrated beforehand by
 * `npm run migrate`), Redis Streams as the bus, Redis for token revocations, the HTTP SMS centre and SMTP.
 * SIGTERM/SIGINT drain HTTP, finish the outbox batch and close the database before exiting.
 */
export function runSubgraphProcess(definition: SubgraphDefinition | (() => SubgraphDefinition), options: ProcessOptions | (() => ProcessOptions)): void {
  void startOrExit(async () => {
    const platformEnv = readPlatformEnv();
    const resolved = typeof options === 'function' ? options() : options;
    const subgraph = typeof definition === 'function' ? definition() : definition;
    // <NAME>_HOST: loopback unless set, so a subgraph is not reachable from other hosts by accident.
    const hostVariable = `${subgraph.name.toUpperCase()}_HOST`;
    const host = parseEnv({ [hostVariable]: env.host('127.0.0.1') })[hostVariable] as string;
    const logger = createLogger(subgraph.name);
    installProcessHandlers(logger);
    const { default: Redis } = await import('ioredis');
    const redis = new Redis(platformEnv.REDIS_URL, { maxRetriesPerRequest: 3, lazyConnect: false });
    const bus = new RedisStreamsEventBus(platformEnv.REDIS_URL, { keyPrefix: platformEnv.REDIS_KEY_PREFIX, logger });
    const platform: PlatformServices = {
      mode: 'distributed',
      production: platformEnv.NODE_ENV === 'production',
      bus,
      revocations: new RedisRevocationStore(redis, platformEnv.ACCESS_TOKEN_TTL_SECONDS * 1000, `${platformEnv.REDIS_KEY_PREFIX}selfcare:revoked`),
      sms: new HttpSmsCentreTransport(platformEnv.SMS_CENTRE_URL, platformEnv.SMS_CENTRE_SECRET),
      smsCentreSecret: platformEnv.SMS_CENTRE_SECRET,
      email: new SmtpEmailTransport(platformEnv.SMTP_URL, platformEnv.MAIL_FROM),
      directory: new ServiceDirectory({
        identity: platformEnv.IDENTITY_URL,
        catalog: platformEnv.CATALOG_URL,
        billing: platformEnv.BILLING_URL,
        detailing: platformEnv.DETAILING_URL,
        delegation: platformEnv.DELEGATION_URL,
      }),
      internalToken: platformEnv.INTERNAL_API_TOKEN,
      clock: systemClock,
      tokenIssuer: platformEnv.TOKEN_ISSUER,
      accessTokenTtlSeconds: platformEnv.ACCESS_TOKEN_TTL_SECONDS,
      publicUrl: platformEnv.PUBLIC_URL,
      relayPollMs: platformEnv.RELAY_POLL_MS,
      operationLimits: operationLimitsFrom(platformEnv),
      ...(platformEnv.METRICS_TOKEN ? { metricsToken: platformEnv.METRICS_TOKEN } : {}),
      feedSafetyPollMs: platformEnv.FEED_SAFETY_POLL_MS,
      feedWakeupChannel: (service) => new RedisWakeupChannel({ url: platformEnv.REDIS_URL, publisher: redis, keyPrefix: platformEnv.REDIS_KEY_PREFIX, service, logger }),
    };
    const runOptions: RunSubgraphOptions = {
      port: resolved.port,
      host,
      databaseUrl: resolved.databaseUrl,
      migrateOnOpen: false,
      seedDemoData: false,
      logger,
    };
    const running = await runSubgraph(subgraph, platform, runOptions);
    // The directory must keep the configured (reachable) address, not the loopback one the service saw itself on.
    platform.directory.set(subgraph.name, platformEnv[`${subgraph.name.toUpperCase()}_URL` as 'IDENTITY_URL']);
    const shutdown = async (signal: string) => {
      logger.info({ signal }, 'shutting down');
      const timer = setTimeout(() => {
        logger.error('shutdown took too long; exiting');
        process.exit(1);
      }, 25_000);
      timer.unref();
      await running.stop();
      await bus.close();
      redis.disconnect();
      process.exit(0);
    };
    process.once('SIGTERM', () => void shutdown('SIGTERM'));
    process.once('SIGINT', () => void shutdown('SIGINT'));
  });
}
