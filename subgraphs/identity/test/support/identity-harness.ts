import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import {
  generateSigningKeyPem,
  HttpSmsCentreTransport,
  InProcessEventBus,
  ManualClock,
  MemoryRevocationStore,
  PlatformServices,
  RunningSubgraph,
  runSubgraph,
  ServiceDirectory,
  signingKeyFromPem,
  SmtpEmailTransport,
} from '@selfcare/shared';
import { createTestDatabase, TestDatabase } from '@selfcare/shared/testing/databases';
import { DevMailSink, DevSmsCentre, StoredMail, StoredSms } from '@selfcare/gateway';
import { createIdentitySubgraph, IdentityOptions } from '../../src';

/**
 * Real time plus an offset tests move by hand: lock-outs and expiries are reached by `advance`, while time still
 * passes between two requests as it does in production (a revocation and a later login never share an instant).
 */
export class SteerableClock extends ManualClock {
  private offset = 0;
  override now(): Date {
    return new Date(Date.now() + this.offset);
  }
  override set(date: Date): void {
    this.offset = date.getTime() - Date.now();
  }
  override advance(ms: number): void {
    this.offset += ms;
  }
}

export interface GqlResponse<T = any> {
  status: number;
  data?: T | null;
  errors?: { message: string; path?: (string | number)[]; extensions?: Record<string, any> }[];
}

export interface HarnessOptions {
  identity?: Partial<IdentityOptions>;
  seed?: boolean;
  accessTokenTtlSeconds?: number;
}

/** A cheap KDF for tests (the real cost is measured by bench/identity-login.js and one dedicated test). */
export const TEST_KDF = { log2N: 10, r: 8, p: 1 };

/**
 * The identity subgraph run for real (HTTP, its own SQLite file or MariaDB database, migrations, outbox relay,
 * in-process bus, memory revocation store) with the system's edges over HTTP: the development SMS centre and a
 * real SMTP sink, plus delegation's management check answered from `grants` (identity's only outside question).
 */
export class IdentityHarness {
  readonly grants = new Set<string>();

  private constructor(
    readonly running: RunningSubgraph,
    readonly platform: PlatformServices,
    readonly clock: SteerableClock,
    readonly smsCentre: DevSmsCentre,
    readonly mail: DevMailSink,
    private readonly edge: http.Server,
    private readonly testDatabase: TestDatabase,
    grants: Set<string>,
  ) {
    this.grants = grants;
  }

  static async start(options: HarnessOptions = {}): Promise<IdentityHarness> {
    const database = await createTestDatabase('identity');
    const clock = new SteerableClock();
    const smsSecret = randomBytes(24).toString('hex');
    const smsCentre = new DevSmsCentre(smsSecret, () => 'http://127.0.0.1:9/unused');
    const mail = new DevMailSink();
    const mailPort = await mail.start(0);
    const grants = new Set<string>();
    const internalToken = randomBytes(24).toString('hex');
    const app = express();
    smsCentre.mount(app);
    mail.mount(app);
    app.post('/internal/management/check', express.json(), (req, res) => {
      if (req.header('x-internal-token') !== internalToken) {
        res.status(401).json({ error: 'internal token' });
        return;
      }
      const { managerId, subscriberIds } = req.body as { managerId: string; subscriberIds: string[] };
      res.json({ managed: subscriberIds.map((id) => grants.has(`${managerId}->${id}`)) });
    });
    const edge = http.createServer(app);
    await new Promise<void>((resolve) => edge.listen(0, '127.0.0.1', () => resolve()));
    const edgeUrl = `http://127.0.0.1:${(edge.address() as AddressInfo).port}`;
    const ttl = options.accessTokenTtlSeconds ?? 900;
    const directory = new ServiceDirectory({ delegation: edgeUrl, gateway: edgeUrl });
    const platform: PlatformServices = {
      mode: 'all-in-one',
      production: false,
      bus: new InProcessEventBus(),
      revocations: new MemoryRevocationStore(ttl * 1000, () => clock.now().getTime()),
      sms: new HttpSmsCentreTransport(`${edgeUrl}/dev/sms-centre`, smsSecret),
      email: new SmtpEmailTransport(`smtp://127.0.0.1:${mailPort}`, 'Beeline <no-reply@beeline.kz>'),
      directory,
      internalToken,
      clock,
      tokenIssuer: 'selfcare-identity',
      accessTokenTtlSeconds: ttl,
      publicUrl: edgeUrl,
      relayPollMs: 50,
    };
    const definition = createIdentitySubgraph({
      signingKey: signingKeyFromPem(generateSigningKeyPem()),
      kdf: TEST_KDF,
      staffAccounts: [
        { login: 'operator', role: 'OPERATOR', password: 'Operator-pass-1' },
        { login: 'admin', role: 'ADMIN', password: 'Admin-pass-1' },
      ],
      ...(options.identity ?? {}),
    });
    try {
      const running = await runSubgraph(definition, platform, {
        port: 0,
        host: '127.0.0.1',
        databaseUrl: database.url,
        migrateOnOpen: true,
        seedDemoData: options.seed ?? true,
      });
      return new IdentityHarness(running, platform, clock, smsCentre, mail, edge, database, grants);
    } catch (error) {
      await mail.stop();
      edge.close();
      await database.drop();
      throw error;
    }
  }

  get url(): string {
    return this.running.url;
  }

  get database() {
    return this.running.runtime.database;
  }

  async stop(): Promise<void> {
    await this.running.stop();
    await this.platform.bus.close();
    await this.platform.email.close?.();
    await this.mail.stop();
    await new Promise<void>((resolve) => this.edge.close(() => resolve()));
    await this.testDatabase.drop();
  }

  async gql<T = any>(query: string, variables: Record<string, unknown> = {}, options: { token?: string | null; headers?: Record<string, string> } = {}): Promise<GqlResponse<T>> {
    const response = await fetch(`${this.url}/graphql`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
        // The harness plays the gateway: the client address it names counts only with the internal token.
        ...(options.headers?.['x-client-address'] ? { 'x-internal-token': this.platform.internalToken } : {}),
        ...(options.headers ?? {}),
      },
      body: JSON.stringify({ query, variables }),
    });
    return { ...((await response.json()) as object), status: response.status } as GqlResponse<T>;
  }

  static code(response: GqlResponse): string | undefined {
    return response.errors?.[0]?.extensions?.code;
  }

  sms(to: string): StoredSms[] {
    return this.smsCentre.sentTo(to);
  }

  /** Waits for the outbox relay to deliver an SMS to `to` matching `pattern` (after the first `after` messages). */
  /** Returns [the whole text, ...the pattern's groups]. */
  async waitForSms(to: string, pattern: RegExp, after = 0, timeoutMs = 10_000): Promise<string[]> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      for (const message of this.sms(to).slice(after).reverse()) {
        const match = message.text.match(pattern);
        if (match) return [message.text, ...match.slice(1)];
      }
      await new Promise((r) => setTimeout(r, 25));
    }
    throw new Error(`no SMS to ${to} matching ${pattern}; got ${JSON.stringify(this.sms(to).map((m) => m.text))}`);
  }

  async waitForMail(to: string, predicate: (mail: StoredMail) => boolean = () => true, timeoutMs = 10_000): Promise<StoredMail> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const found = this.mail.sentTo(to).reverse().find(predicate);
      if (found) return found;
      await new Promise((r) => setTimeout(r, 25));
    }
    throw new Error(`no e-mail to ${to}`);
  }

  /** Waits until the outbox has published everything written so far (SMS, e-mails, events). */
  async drainOutbox(timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const [row] = await this.database.dataSource.query('SELECT COUNT(*) AS n FROM outbox_events WHERE published_at IS NULL AND abandoned_at IS NULL');
      if (Number(row.n) === 0) return;
      await new Promise((r) => setTimeout(r, 25));
    }
    throw new Error('outbox not drained');
  }

  async login(login: string, password: string, channel: 'WEB' | 'MOBILE_APP' = 'WEB', device?: Record<string, string>, headers?: Record<string, string>) {
    const result = await this.gql(
      `mutation ($login: String!, $password: String!, $channel: Channel!, $device: DeviceInput) {
        login(login: $login, password: $password, channel: $channel, device: $device) {
          accessToken refreshToken accessTokenExpiresAt subscriber { id msisdn login kind registered accessStatus }
        }
      }`,
      { login, password, channel, device: device ?? null },
      { headers: headers ?? {} },
    );
    return result;
  }

  async loginOk(login: string, password: string, channel: 'WEB' | 'MOBILE_APP' = 'WEB', device?: Record<string, string>, headers?: Record<string, string>) {
    const result = await this.login(login, password, channel, device, headers);
    if (!result.data?.login) throw new Error(`login failed: ${JSON.stringify(result.errors)}`);
    return result.data.login as { accessToken: string; refreshToken: string; accessTokenExpiresAt: string; subscriber: { id: string; msisdn: string | null; registered: boolean } };
  }

  async staffLogin(login: string, password: string): Promise<string> {
    const result = await this.gql(`mutation ($l: String!, $p: String!) { staffLogin(login: $l, password: $p) { accessToken staff { role } } }`, { l: login, p: password });
    if (!result.data?.staffLogin) throw new Error(`staff login failed: ${JSON.stringify(result.errors)}`);
    return result.data.staffLogin.accessToken;
  }

  /** The subscriber's activity record (terms 2.4, 3.5), oldest first. */
  async activity(subscriberId: string): Promise<{ action: string; actor_kind: string; actor_id: string | null; details: string | null }[]> {
    return this.database.dataSource.query('SELECT action, actor_kind, actor_id, details FROM activity_entries WHERE subscriber_id = ? ORDER BY at, id', [subscriberId]);
  }

  async subscriberRow(id: string): Promise<Record<string, any>> {
    const [row] = await this.database.dataSource.query('SELECT * FROM subscribers WHERE id = ?', [id]);
    return row;
  }

  /** Events identity published on its stream (outbox rows that are not notifications). */
  async events(type: string): Promise<Record<string, any>[]> {
    const rows: { payload: string }[] = await this.database.dataSource.query('SELECT payload FROM outbox_events WHERE event_type = ? ORDER BY id', [type]);
    return rows.map((r) => JSON.parse(r.payload));
  }

  /** Publishes an event on another service's stream, as that service's relay would. */
  private nextEventId = new Map<string, number>();
  async publish(stream: string, type: string, payload: Record<string, unknown>): Promise<void> {
    const id = (this.nextEventId.get(stream) ?? 0) + 1;
    this.nextEventId.set(stream, id);
    await this.platform.bus.publish(stream, [{ stream, id, type, payload, occurredAt: this.clock.now().toISOString() }]);
  }
}
