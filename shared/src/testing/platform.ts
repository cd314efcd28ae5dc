import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes, randomUUID } from 'node:crypto';
import { generateSigningKeyPem, SigningKey, signingKeyFromPem, signJwt } from '../auth/jwt';
import { MemoryRevocationStore, RevocationStore } from '../auth/revocation';
import { InProcessEventBus } from '../events/in-process-bus';
import { createLogger } from '../logging/logger';
import type { EmailMessage, EmailTransport, SmsMessage, SmsTransport } from '../notifications/types';
import { ManualClock } from '../service/clock';
import { ServiceDirectory, ServiceName } from '../service/directory';
import { PlatformServices, RunningSubgraph, runSubgraph, SubgraphDefinition } from '../service/run-subgraph';
import { createTestDatabase, TestDatabase } from './databases';
import { internalRequest, InternalRequestInit, registerInternalToken, unregisterInternalToken } from './http';

/** The instant a test platform's clock starts at unless told otherwise: fixed, so expectations do not drift. */
export const TEST_NOW = new Date('2026-03-15T09:00:00.000Z');

/** The issuer identity's tokens carry (TOKEN_ISSUER's default, shared/src/service/platform-config.ts). */
export const TEST_TOKEN_ISSUER = 'selfcare-identity';

export interface TestPlatformOptions {
  /** The platform's clock; default a ManualClock at `now`. */
  clock?: ManualClock;
  /** Where the default clock starts (TEST_NOW). */
  now?: Date;
  /**
   * The system's edge (SMS centre, mail server). Default: transports that keep what they were given in
   * `sentSms` / `sentEmail`; a test of the edge itself passes real transports.
   */
  sms?: SmsTransport;
  email?: EmailTransport;
  /** Addresses of services that are not run by `start` (a stand-in edge, say). */
  directory?: Partial<Record<ServiceName, string>>;
  /** Default: a random secret. */
  internalToken?: string;
  /** The SMS centre's secret, which signs inbound SMS (POST /sms/inbound); default a random one (`platform.smsCentreSecret`). */
  smsCentreSecret?: string;
  accessTokenTtlSeconds?: number;
  /** Default: in memory, entries kept for the access-token lifetime, on the system time. */
  revocations?: RevocationStore;
  publicUrl?: string;
  /**
   * Relays are poked after each committed outbox write; the default slow poll keeps statement counts free of
   * polling noise. Tests of background delivery pass a short one.
   */
  relayPollMs?: number;
  /**
   * Plays identity's part for subgraphs that only verify its tokens: an HTTP endpoint publishing the JWKS of a
   * key `tokenFor` signs with. Without it, identity is expected to run (and `tokenFor` refuses).
   */
  standInIdentity?: boolean;
}

export interface TestPlatform {
  platform: PlatformServices;
  clock: ManualClock;
  bus: InProcessEventBus;
  /** What the default transports were given (empty when the options supply real transports). */
  sentSms: SmsMessage[];
  sentEmail: EmailMessage[];
  /** Runs a subgraph for real (port 0, migrations, demo seed unless told otherwise) on a fresh test database. */
  start(definition: SubgraphDefinition, options?: { seedDemoData?: boolean }): Promise<RunningSubgraph>;
  /** An access token identity would issue to this subscriber (needs `standInIdentity`). */
  tokenFor(subscriberId: string, options?: { channel?: 'WEB' | 'MOBILE_APP'; staff?: boolean }): Promise<string>;
  /** A call to a service's internal HTTP API with this platform's internal token (`token: null` sends none). */
  internal(baseUrl: string, path: string, init?: InternalRequestInit): Promise<Response>;
  /** Publishes an event on another service's stream as its relay would: ids 1, 2, ... per stream, at the clock's time. */
  publish(stream: string, type: string, payload: Record<string, unknown>): Promise<void>;
  /** Runs on `stop`, after the subgraphs and the bus stopped and before the databases are dropped (last added, first run). */
  onStop(hook: () => Promise<void>): void;
  /** Stops the subgraphs (last started first), the bus and what `onStop` added, and drops the test databases. */
  stop(): Promise<void>;
}

/**
 * An in-process platform as the all-in-one launcher builds it — in-process event bus, memory revocation store,
 * service directory, injectable clock — for running subgraphs for real in tests.
 */
export async function createTestPlatform(options: TestPlatformOptions = {}): Promise<TestPlatform> {
  const clock = options.clock ?? new ManualClock(options.now ?? TEST_NOW);
  const bus = new InProcessEventBus({ retryBaseMs: 50 });
  const accessTokenTtlSeconds = options.accessTokenTtlSeconds ?? 900;
  const sentSms: SmsMessage[] = [];
  const sentEmail: EmailMessage[] = [];
  const stopHooks: (() => Promise<void>)[] = [];
  const directory = new ServiceDirectory(options.directory ?? {});
  let key: SigningKey | null = null;
  if (options.standInIdentity) {
    const identity = await startJwksStandIn();
    key = identity.key;
    directory.set('identity', identity.url);
    stopHooks.push(identity.stop);
  }
  const platform: PlatformServices = {
    mode: 'all-in-one',
    production: false,
    bus,
    revocations: options.revocations ?? new MemoryRevocationStore(accessTokenTtlSeconds * 1000),
    sms: options.sms ?? { send: async (message) => void sentSms.push(message) },
    email: options.email ?? { send: async (message) => void sentEmail.push(message) },
    directory,
    internalToken: options.internalToken ?? randomBytes(24).toString('hex'),
    smsCentreSecret: options.smsCentreSecret ?? randomBytes(24).toString('hex'),
    clock,
    tokenIssuer: TEST_TOKEN_ISSUER,
    accessTokenTtlSeconds,
    publicUrl: options.publicUrl ?? 'http://127.0.0.1:4000',
    relayPollMs: options.relayPollMs ?? 60_000,
  };
  const running: RunningSubgraph[] = [];
  const databases: TestDatabase[] = [];
  const lastEventId = new Map<string, number>();

  return {
    platform,
    clock,
    bus,
    sentSms,
    sentEmail,
    async start(definition, startOptions = {}) {
      const database = await createTestDatabase(definition.name);
      databases.push(database);
      const subgraph = await runSubgraph(definition, platform, {
        port: 0,
        host: '127.0.0.1',
        databaseUrl: database.url,
        migrateOnOpen: true,
        seedDemoData: startOptions.seedDemoData ?? true,
        logger: createLogger(definition.name, process.env.LOG_LEVEL ?? 'warn'),
      });
      running.push(subgraph);
      registerInternalToken(subgraph.url, platform.internalToken);
      return subgraph;
    },
    async tokenFor(subscriberId, tokenOptions = {}) {
      if (!key) throw new Error('tokenFor signs for a stand-in identity: create the platform with standInIdentity');
      return signAccessToken(key, subscriberId, tokenOptions);
    },
    internal(baseUrl, path, init = {}) {
      return internalRequest(baseUrl, path, platform.internalToken, init);
    },
    async publish(stream, type, payload) {
      const id = (lastEventId.get(stream) ?? 0) + 1;
      lastEventId.set(stream, id);
      await publishEvent(bus, stream, id, type, payload, clock.now());
    },
    onStop(hook) {
      stopHooks.push(hook);
    },
    async stop() {
      for (const subgraph of running.splice(0).reverse()) {
        await subgraph.stop();
        unregisterInternalToken(subgraph.url);
      }
      await bus.close();
      await platform.email.close?.();
      for (const hook of stopHooks.splice(0).reverse()) await hook();
      for (const database of databases.splice(0)) await database.drop();
    },
  };
}

/** An access token as identity issues it (claims of shared/src/auth/verifier.ts), valid for 15 minutes from now. */
export function signAccessToken(key: SigningKey, subscriberId: string, options: { channel?: 'WEB' | 'MOBILE_APP'; staff?: boolean } = {}): Promise<string> {
  const nowMs = Date.now();
  const iat = Math.floor(nowMs / 1000);
  return signJwt(
    {
      iss: TEST_TOKEN_ISSUER,
      sub: subscriberId,
      sid: randomUUID(),
      act: options.staff ? 'staff' : 'subscriber',
      ...(options.staff ? { role: 'OPERATOR' } : { ch: options.channel ?? 'WEB' }),
      iat,
      iatms: nowMs,
      exp: iat + 900,
      typ: 'access',
    },
    key,
  );
}

/** Identity's JWKS endpoint alone, publishing a fresh key. */
async function startJwksStandIn(): Promise<{ key: SigningKey; url: string; stop: () => Promise<void> }> {
  const key = signingKeyFromPem(generateSigningKeyPem());
  const server = http.createServer((req, res) => {
    if (req.url === '/.well-known/jwks.json') {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ keys: [key.publicJwk] }));
      return;
    }
    res.statusCode = 404;
    res.end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    key,
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** Publishes an event on a producer's stream the way its outbox relay would. */
export async function publishEvent(bus: InProcessEventBus, stream: string, id: number, type: string, payload: Record<string, unknown>, occurredAt: Date = new Date()): Promise<void> {
  await bus.publish(stream, [{ stream, id, type, payload, occurredAt: occurredAt.toISOString() }]);
}
