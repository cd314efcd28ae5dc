import { randomBytes } from 'node:crypto';
import {
  EmailMessage,
  InProcessEventBus,
  ManualClock,
  MemoryRevocationStore,
  PlatformServices,
  RunningSubgraph,
  ServiceDirectory,
  SmsMessage,
  createLogger,
  generateSigningKeyPem,
  runSubgraph,
  signingKeyFromPem,
} from '@selfcare/shared';
import { createTestDatabase, TestDatabase } from '@selfcare/shared/testing/databases';
import { createDelegationSubgraph } from '@selfcare/delegation';
import { DEMO_STAFF_ACCOUNTS, createIdentitySubgraph } from '../src/index';
import { featureServicesOf, IdentityFeatureServices } from '../src/features';

export interface GraphQLResult<T = Record<string, any>> {
  status: number;
  data?: T | null;
  errors?: { message: string; path?: (string | number)[]; extensions?: Record<string, any> }[];
}

/** The demo subscribers the core seeds (shared/src/domain/demo.ts). */
export const AIGERIM = { id: '5f1c2a8e-0001-4a6b-9c1d-000000000001', msisdn: '+77051234567', email: 'aigerim@example.kz' };
export const NURLAN = { id: '5f1c2a8e-0002-4a6b-9c1d-000000000002', msisdn: '+77071112233' };
export const STEPPE = { id: '5f1c2a8e-0003-4a6b-9c1d-000000000003', msisdn: '+77772223344', email: 'it@steppe-logistics.kz' };
export const UNREGISTERED = { id: '5f1c2a8e-0004-4a6b-9c1d-000000000004', msisdn: '+77475556677' };
export const HOME = { id: '5f1c2a8e-0005-4a6b-9c1d-000000000005', login: '1000245678', email: 'home@example.kz' };
export const DEMO_PASSWORD = 'Demo-2026';

/**
 * The identity subgraph on a real database (a SQLite file, or a MariaDB database of its own with
 * TEST_DATABASE_URL), over real HTTP, with the real outbox relay and in-process bus. Only the system's edge —
 * the SMS centre and the SMTP server — is replaced by transports that keep what they were given.
 */
export class IdentityHarness {
  private constructor(
    readonly sms: SmsMessage[],
    readonly mail: EmailMessage[],
    readonly running: RunningSubgraph,
    readonly platform: PlatformServices,
    readonly clock: ManualClock,
    private readonly database: TestDatabase,
    readonly delegation: { running: RunningSubgraph; database: TestDatabase } | null,
  ) {}

  /**
   * `withDelegation`: also runs the real delegation subgraph, which answers "may this caller manage that number?"
   * (AccessPolicy) — needed whenever a caller touches a number that is not their own.
   */
  static async start(options: { clock?: ManualClock; env?: Record<string, string>; withDelegation?: boolean; relayPollMs?: number } = {}): Promise<IdentityHarness> {
    const clock = options.clock ?? new ManualClock(new Date());
    const database = await createTestDatabase('identity');
    const sms: SmsMessage[] = [];
    const mail: EmailMessage[] = [];
    const platform: PlatformServices = {
      mode: 'all-in-one',
      production: false,
      bus: new InProcessEventBus(),
      revocations: new MemoryRevocationStore(3600_000),
      sms: { send: async (message) => void sms.push(message) },
      email: { send: async (message) => void mail.push(message) },
      directory: new ServiceDirectory(),
      internalToken: randomBytes(24).toString('hex'),
      clock,
      tokenIssuer: 'selfcare-identity',
      accessTokenTtlSeconds: 900,
      publicUrl: 'http://selfcare.test',
      relayPollMs: options.relayPollMs ?? 20,
    };
    const saved: Record<string, string | undefined> = {};
    for (const [name, value] of Object.entries(options.env ?? {})) {
      saved[name] = process.env[name];
      process.env[name] = value;
    }
    try {
      const definition = createIdentitySubgraph({
        signingKey: signingKeyFromPem(generateSigningKeyPem()),
        staffAccounts: DEMO_STAFF_ACCOUNTS,
        kdf: { log2N: 10, r: 8, p: 1 },
      });
      const running = await runSubgraph(definition, platform, {
        port: 0,
        host: '127.0.0.1',
        databaseUrl: database.url,
        migrateOnOpen: true,
        seedDemoData: true,
        logger: createLogger('identity', process.env.LOG_LEVEL ?? 'warn'),
      });
      let delegation: { running: RunningSubgraph; database: TestDatabase } | null = null;
      if (options.withDelegation) {
        const delegationDatabase = await createTestDatabase('delegation');
        const delegationRunning = await runSubgraph(createDelegationSubgraph(), platform, {
          port: 0,
          host: '127.0.0.1',
          databaseUrl: delegationDatabase.url,
          migrateOnOpen: true,
          seedDemoData: false,
          logger: createLogger('delegation', process.env.LOG_LEVEL ?? 'warn'),
        });
        delegation = { running: delegationRunning, database: delegationDatabase };
      }
      return new IdentityHarness(sms, mail, running, platform, clock, database, delegation);
    } catch (error) {
      await database.drop();
      throw error;
    } finally {
      for (const [name, value] of Object.entries(saved)) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
    }
  }

  get runtime() {
    return this.running.runtime;
  }

  get features(): IdentityFeatureServices {
    return featureServicesOf(this.running.runtime);
  }

  get url(): string {
    return this.running.url;
  }

  async stop(): Promise<void> {
    if (this.delegation) {
      await this.delegation.running.stop();
      await this.delegation.database.drop();
    }
    await this.running.stop();
    await this.platform.bus.close();
    await this.database.drop();
  }

  async graphql<T = Record<string, any>>(query: string, variables: Record<string, unknown> = {}, token?: string | null, headers: Record<string, string> = {}): Promise<GraphQLResult<T>> {
    const response = await fetch(this.running.graphqlUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers },
      body: JSON.stringify({ query, variables }),
    });
    return { ...((await response.json()) as GraphQLResult<T>), status: response.status };
  }

  /** Logs in with login + password (3.1.1) and returns the access token. */
  async login(login: string, password = DEMO_PASSWORD, channel: 'WEB' | 'MOBILE_APP' = 'WEB'): Promise<string> {
    const result = await this.graphql<{ login: { accessToken: string } }>(
      'mutation ($l: String!, $p: String!, $c: Channel!) { login(login: $l, password: $p, channel: $c) { accessToken } }',
      { l: login, p: password, c: channel },
    );
    if (!result.data?.login) throw new Error(`login of ${login} failed: ${JSON.stringify(result.errors)}`);
    return result.data.login.accessToken;
  }

  async staffLogin(role: 'OPERATOR' | 'ADMIN' = 'OPERATOR'): Promise<string> {
    const account = DEMO_STAFF_ACCOUNTS.find((a) => a.role === role)!;
    const result = await this.graphql<{ staffLogin: { accessToken: string } }>(
      'mutation ($l: String!, $p: String!) { staffLogin(login: $l, password: $p) { accessToken } }',
      { l: account.login, p: account.password },
    );
    if (!result.data?.staffLogin) throw new Error(`staff login failed: ${JSON.stringify(result.errors)}`);
    return result.data.staffLogin.accessToken;
  }

  /** Waits for the outbox relay to hand over a message matching `predicate`. */
  async waitFor<T>(list: T[], predicate: (item: T) => boolean, timeoutMs = 10_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const found = list.find(predicate);
      if (found) return found;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    throw new Error('the expected message did not arrive');
  }

  internal(path: string, init: { method?: string; body?: unknown; token?: string } = {}): Promise<Response> {
    return fetch(`${this.url}${path}`, {
      method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
      headers: { 'content-type': 'application/json', 'x-internal-token': init.token ?? this.platform.internalToken },
      ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
    });
  }
}

export function code(result: GraphQLResult): string | undefined {
  return result.errors?.[0]?.extensions?.code;
}
