/**
 * Test harness for the subgraphs catalog, billing, detailing and delegation: a real platform (in-process
 * event bus, memory revocation store, service directory), each subgraph run for real on a free port with its
 * own database (SQLite, or MariaDB with TEST_DATABASE_URL), and identity's part played by a tiny HTTP server
 * that publishes the JWKS of a key the tests sign access tokens with.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes, randomUUID } from 'node:crypto';
import {
  EmailMessage,
  InProcessEventBus,
  ManualClock,
  MemoryRevocationStore,
  PlatformServices,
  RunningSubgraph,
  ServiceDirectory,
  SigningKey,
  SmsMessage,
  SubgraphDefinition,
  generateSigningKeyPem,
  runSubgraph,
  signJwt,
  signingKeyFromPem,
} from '@selfcare/shared';
import { createTestDatabase, TestDatabase } from '@selfcare/shared/testing/databases';
import { ManagementRequestEntity, ManagementStatus, openKey } from '../../src/management/entities';

export const TOKEN_ISSUER = 'selfcare-identity';

export interface GraphQLResponse<T = Record<string, any>> {
  data?: T | null;
  errors?: { message: string; path?: (string | number)[]; extensions?: Record<string, any> }[];
}

export interface TestPlatform {
  platform: PlatformServices;
  clock: ManualClock;
  bus: InProcessEventBus;
  key: SigningKey;
  sentSms: SmsMessage[];
  sentEmail: EmailMessage[];
  /** Runs a subgraph for real (port 0, migrations, demo seed) on a fresh test database. */
  start(definition: SubgraphDefinition, options?: { seedDemoData?: boolean }): Promise<RunningSubgraph>;
  /** An access token identity would issue to this subscriber. */
  tokenFor(subscriberId: string, options?: { channel?: 'WEB' | 'MOBILE_APP'; staff?: boolean }): string;
  stop(): Promise<void>;
}

export async function createTestPlatform(options: { now?: Date } = {}): Promise<TestPlatform> {
  const key = signingKeyFromPem(generateSigningKeyPem());
  const jwks = http.createServer((req, res) => {
    if (req.url === '/.well-known/jwks.json') {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ keys: [key.publicJwk] }));
      return;
    }
    res.statusCode = 404;
    res.end();
  });
  await new Promise<void>((resolve) => jwks.listen(0, '127.0.0.1', resolve));
  const directory = new ServiceDirectory({ identity: `http://127.0.0.1:${(jwks.address() as AddressInfo).port}` });
  const clock = new ManualClock(options.now ?? new Date('2026-03-15T09:00:00.000Z'));
  const bus = new InProcessEventBus({ retryBaseMs: 50 });
  const sentSms: SmsMessage[] = [];
  const sentEmail: EmailMessage[] = [];
  const platform: PlatformServices = {
    mode: 'all-in-one',
    production: false,
    bus,
    revocations: new MemoryRevocationStore(900_000),
    // The SMS centre and the mail server are the system's edge; these tests send nothing through them.
    sms: { send: async (message) => void sentSms.push(message) },
    email: { send: async (message) => void sentEmail.push(message) },
    directory,
    internalToken: randomBytes(24).toString('hex'),
    clock,
    tokenIssuer: TOKEN_ISSUER,
    accessTokenTtlSeconds: 900,
    publicUrl: 'http://127.0.0.1:4000',
    // Relays are poked after each committed outbox write; a slow poll keeps statement counts free of polling noise.
    relayPollMs: 60_000,
  };
  const running: RunningSubgraph[] = [];
  const databases: TestDatabase[] = [];

  return {
    platform,
    clock,
    bus,
    key,
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
      });
      running.push(subgraph);
      return subgraph;
    },
    tokenFor(subscriberId, tokenOptions = {}) {
      const nowMs = Date.now();
      const iat = Math.floor(nowMs / 1000);
      return signJwt(
        {
          iss: TOKEN_ISSUER,
          sub: subscriberId,
          sid: randomUUID(),
          act: tokenOptions.staff ? 'staff' : 'subscriber',
          ...(tokenOptions.staff ? { role: 'OPERATOR' } : { ch: tokenOptions.channel ?? 'WEB' }),
          iat,
          iatms: nowMs,
          exp: iat + 900,
          typ: 'access',
        },
        key,
      );
    },
    async stop() {
      for (const subgraph of running.reverse()) await subgraph.stop();
      await bus.close();
      await new Promise<void>((resolve) => jwks.close(() => resolve()));
      for (const database of databases) await database.drop();
    },
  };
}

/** A GraphQL request over real HTTP. */
export async function graphql<T = Record<string, any>>(
  url: string,
  query: string,
  variables: Record<string, unknown> = {},
  options: { token?: string; language?: string } = {},
): Promise<GraphQLResponse<T>> {
  const response = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
      ...(options.language ? { 'accept-language': options.language } : {}),
    },
    body: JSON.stringify({ query, variables }),
  });
  return (await response.json()) as GraphQLResponse<T>;
}

/** What the gateway sends a subgraph for an entity's fields: `_entities` with representations. */
export function entitiesQuery(typeName: string, selection: string): string {
  return `query ($representations: [_Any!]!) { _entities(representations: $representations) { ... on ${typeName} { ${selection} } } }`;
}

export function subscriberRepresentations(ids: string[]): { __typename: string; id: string }[] {
  return ids.map((id) => ({ __typename: 'Subscriber', id }));
}

/** Errors' codes, for assertions. */
export function errorCodes(response: GraphQLResponse): string[] {
  return (response.errors ?? []).map((e) => String(e.extensions?.code));
}

/**
 * Puts an ACTIVE grant in delegation's database: the state the section 5 procedure ends in (5.6.7).
 * The procedure's mutations come in a later issue; until then tests grant directly.
 */
export async function grantManagement(delegation: RunningSubgraph, requesterId: string, ownerId: string, ownerMsisdn = '+77000000000'): Promise<ManagementRequestEntity> {
  const now = delegation.runtime.clock.now();
  const row = delegation.runtime.database.manager.create(ManagementRequestEntity, {
    id: randomUUID(),
    status: ManagementStatus.ACTIVE,
    requesterId,
    requesterMsisdn: null,
    ownerMsisdn,
    ownerId,
    channel: 'WEB',
    openKey: openKey(requesterId, ownerMsisdn),
    confirmationCodeHash: null,
    confirmationExpiresAt: null,
    confirmationFailures: 0,
    confirmedAt: now,
    confirmedVia: 'CABINET',
    activationCodeHash: null,
    activationExpiresAt: null,
    activationAttemptsLeft: null,
    activatedAt: now,
    endedAt: null,
    endedBy: null,
    createdAt: now,
    updatedAt: now,
  });
  await delegation.runtime.database.manager.insert(ManagementRequestEntity, row);
  return row;
}

/** Publishes an event on a producer's stream the way its outbox relay would. */
export async function publishEvent(bus: InProcessEventBus, stream: string, id: number, type: string, payload: Record<string, unknown>): Promise<void> {
  await bus.publish(stream, [{ stream, id, type, payload, occurredAt: new Date().toISOString() }]);
}

/** Polls until `check` returns a value (not undefined/false) or the time is up. */
export async function waitFor<T>(check: () => T | Promise<T>, timeoutMs = 5000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
