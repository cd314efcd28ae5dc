import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { RunningSystem, SUBGRAPH_NAMES, SubgraphName, SystemOptions, startSystem, subgraphDefinitions, subgraphOptionsOf } from '@selfcare/gateway';
import { RunningSubgraph, createLogger, runSubgraph } from '@selfcare/shared';
import { GraphQLRequestOptions, GraphQLResponse, createTestDatabase, TestDatabase, graphql, waitFor, registerInternalToken, unregisterInternalToken } from '@selfcare/shared/testing';

export type { GraphQLResponse } from '@selfcare/shared/testing';

/**
 * The end-to-end kit: the all-in-one system on free ports, on SQLite files of its own, or on MariaDB
 * databases of its own when TEST_DATABASE_URL is set; driven as a client would, over real HTTP.
 */
export class TestSystem {
  /** Subgraphs started again by `restartSubgraph` (the system's own stop() knows only the first ones). */
  private readonly restarted: RunningSubgraph[] = [];

  private constructor(
    public system: RunningSystem,
    private readonly cleanup: () => Promise<void>,
    private readonly startOptions: SystemOptions,
  ) {
    TestSystem.trustSubgraphs(system);
  }

  /** Tests that call a subgraph directly do it as the gateway does, with the internal token (the kit's `graphql`). */
  private static trustSubgraphs(system: RunningSystem, trusted = true): void {
    for (const subgraph of Object.values(system.subgraphs)) {
      if (trusted) registerInternalToken(subgraph.url, system.platform.internalToken);
      else unregisterInternalToken(subgraph.url);
    }
  }

  static async start(options: Omit<SystemOptions, 'gatewayPort' | 'subgraphPorts' | 'dataDir' | 'databaseUrls'> = {}): Promise<TestSystem> {
    const dataDir = mkdtempSync(join(tmpdir(), 'selfcare-e2e-'));
    const databases: Partial<Record<SubgraphName, TestDatabase>> = {};
    if (process.env.TEST_DATABASE_URL) {
      for (const name of SUBGRAPH_NAMES) databases[name] = await createTestDatabase(name);
    }
    const cleanup = async () => {
      for (const db of Object.values(databases)) await db?.drop();
      rmSync(dataDir, { recursive: true, force: true });
    };
    try {
      const startOptions: SystemOptions = {
        gatewayPort: 0,
        subgraphPorts: Object.fromEntries(SUBGRAPH_NAMES.map((n) => [n, 0])),
        host: '127.0.0.1',
        dataDir,
        databaseUrls: Object.fromEntries(Object.entries(databases).map(([n, db]) => [n, db!.url])),
        logLevel: process.env.LOG_LEVEL ?? 'warn',
        // The periodic-fee run only when a test asks for it (POST /internal/fees/run): a run crossing Almaty's
        // midnight in the middle of another test would charge the demo lines under its feet.
        billing: { feeRunIntervalMs: 0 },
        ...options,
      };
      return new TestSystem(await startSystem(startOptions), cleanup, startOptions);
    } catch (error) {
      await cleanup();
      throw error;
    }
  }

  get url(): string {
    return this.system.gatewayUrl;
  }

  /**
   * Stops every service and starts them again on the same databases and data folder (new ports); `whileStopped`
   * runs in between (the new services may be given the old ports again).
   */
  async restart(whileStopped?: () => Promise<void>): Promise<void> {
    await this.system.stop();
    TestSystem.trustSubgraphs(this.system, false);
    await whileStopped?.();
    this.system = await startSystem(this.startOptions);
    TestSystem.trustSubgraphs(this.system);
  }

  async stop(): Promise<void> {
    await this.system.stop();
    TestSystem.trustSubgraphs(this.system, false);
    for (const subgraph of this.restarted.splice(0)) await subgraph.stop();
    await this.cleanup();
  }

  /** The database URL a subgraph of this system runs on. */
  databaseUrl(name: SubgraphName): string {
    return this.startOptions.databaseUrls?.[name] ?? `sqlite:${join(this.startOptions.dataDir!, `${name}.sqlite`)}`;
  }

  /**
   * Stops one subgraph and starts it again on the same port and database (the gateway keeps its URL), as a
   * redeploy would; `whileStopped` runs in between.
   */
  async restartSubgraph(name: SubgraphName, whileStopped?: () => Promise<void>): Promise<void> {
    const old = this.system.subgraphs[name];
    await old.stop();
    await whileStopped?.();
    const definition = subgraphDefinitions(this.startOptions.dataDir!, this.startOptions.identity, { ...subgraphOptionsOf(this.startOptions), payments: this.system.payments })[name];
    const running = await runSubgraph(definition, this.system.platform, {
      port: old.port,
      host: '127.0.0.1',
      databaseUrl: this.databaseUrl(name),
      migrateOnOpen: true,
      seedDemoData: false,
      logger: createLogger(name, this.startOptions.logLevel),
    });
    this.restarted.push(running);
    this.system.subgraphs[name] = running;
  }

  graphql<T = Record<string, any>>(query: string, variables: Record<string, unknown> = {}, options: GraphQLRequestOptions = {}): Promise<GraphQLResponse<T>> {
    return graphql<T>(`${this.url}/graphql`, query, variables, options);
  }

  /** The first error's contract code, or undefined. */
  static code(response: GraphQLResponse): string | undefined {
    return response.errors?.[0]?.extensions?.code;
  }

  async sms(to: string): Promise<{ id: string; from: string; to: string; text: string }[]> {
    const response = await fetch(`${this.url}/dev/sms?to=${encodeURIComponent(to)}`);
    return (await response.json()) as { id: string; from: string; to: string; text: string }[];
  }

  /** Waits until an SMS to `to` matching `pattern` arrives (the outbox relay delivers asynchronously). */
  async waitForSms(to: string, pattern: RegExp, timeoutMs = 10_000, after = 0): Promise<{ text: string; match: RegExpMatchArray }> {
    let seen: string[] = [];
    const found = async () => {
      const messages = (await this.sms(to)).slice(after);
      seen = messages.map((message) => message.text);
      for (const message of messages.reverse()) {
        const match = message.text.match(pattern);
        if (match) return { text: message.text, match };
      }
      return undefined;
    };
    return waitFor(found, timeoutMs, () => `an SMS to ${to} matching ${pattern}; got ${JSON.stringify(seen)}`);
  }

  async mail(to: string): Promise<{ subject: string; text: string; html: string | null; headers: Record<string, string> }[]> {
    const response = await fetch(`${this.url}/dev/mail?to=${encodeURIComponent(to)}`);
    return (await response.json()) as { subject: string; text: string; html: string | null; headers: Record<string, string> }[];
  }

  async waitForMail(to: string, predicate: (mail: { subject: string; text: string; headers: Record<string, string> }) => boolean, timeoutMs = 10_000) {
    return waitFor(async () => (await this.mail(to)).reverse().find(predicate), timeoutMs, `a matching e-mail to ${to}`);
  }

  /** Logs in through the gateway and returns the tokens. */
  async login(login: string, password: string, channel: 'WEB' | 'MOBILE_APP' = 'WEB'): Promise<{ accessToken: string; refreshToken: string; subscriberId: string }> {
    const result = await this.graphql<{ login: { accessToken: string; refreshToken: string; subscriber: { id: string } } }>(
      `mutation ($login: String!, $password: String!, $channel: Channel!) {
        login(login: $login, password: $password, channel: $channel) { accessToken refreshToken subscriber { id } }
      }`,
      { login, password, channel },
    );
    if (!result.data?.login) throw new Error(`login failed: ${JSON.stringify(result.errors)}`);
    return { accessToken: result.data.login.accessToken, refreshToken: result.data.login.refreshToken, subscriberId: result.data.login.subscriber.id };
  }

  /** A real graphql-ws client on the gateway's websocket endpoint. */
  wsClient(token?: string): Client {
    return createClient({
      url: `${this.url.replace(/^http/, 'ws')}/graphql`,
      webSocketImpl: WebSocket,
      connectionParams: token ? { authorization: `Bearer ${token}` } : {},
      retryAttempts: 0,
      lazy: true,
    });
  }
}

/** The password in identity's password SMS ("…: <password>. …" in kk, ru and en). */
export function passwordIn(text: string): string {
  const match = /:\s*([A-Za-z0-9]{6,})/.exec(text);
  if (!match) throw new Error(`no password in SMS: ${text}`);
  return match[1]!;
}
