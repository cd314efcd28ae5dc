import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { HttpSmsCentreTransport, INTERNAL_TOKEN_HEADER, MemoryRevocationStore, PlatformServices, RunningSubgraph, SmtpEmailTransport } from '@selfcare/shared';
import { createTestPlatform, errorCode, graphql, GraphQLResponse, SteerableClock, TestPlatform, waitFor } from '@selfcare/shared/testing';
import { DevMailSink, DevSmsCentre, StoredMail, StoredSms } from '@selfcare/gateway';
import { IdentityOptions } from '../../src';
import { testIdentitySubgraph } from './identity';

export type GqlResponse<T = any> = GraphQLResponse<T>;

export interface HarnessOptions {
  identity?: Partial<IdentityOptions>;
  seed?: boolean;
  accessTokenTtlSeconds?: number;
}

/** The system's edge over HTTP: the development SMS centre, a real SMTP sink, and delegation's management check. */
interface Edge {
  url: string;
  smsCentre: DevSmsCentre;
  smsSecret: string;
  mail: DevMailSink;
  mailPort: number;
  stop(): Promise<void>;
}

async function startEdge(internalToken: string, grants: Set<string>): Promise<Edge> {
  const smsSecret = randomBytes(24).toString('hex');
  const smsCentre = new DevSmsCentre(smsSecret, () => 'http://127.0.0.1:9/unused');
  const mail = new DevMailSink();
  const mailPort = await mail.start(0);
  const app = express();
  smsCentre.mount(app);
  mail.mount(app);
  app.post('/internal/management/check', express.json(), (req, res) => {
    if (req.header(INTERNAL_TOKEN_HEADER) !== internalToken) {
      res.status(401).json({ error: 'internal token' });
      return;
    }
    const { managerId, subscriberIds } = req.body as { managerId: string; subscriberIds: string[] };
    res.json({ managed: subscriberIds.map((id) => grants.has(`${managerId}->${id}`)) });
  });
  const server = http.createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    smsCentre,
    smsSecret,
    mail,
    mailPort,
    async stop() {
      await mail.stop();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * The identity subgraph run for real (HTTP, its own SQLite file or MariaDB database, migrations, outbox relay,
 * in-process bus, memory revocation store) with the system's edges over HTTP: the development SMS centre and a
 * real SMTP sink, plus delegation's management check answered from `grants` (identity's only outside question).
 */
export class IdentityHarness {
  static readonly code = errorCode;

  private constructor(
    private readonly t: TestPlatform,
    readonly running: RunningSubgraph,
    readonly clock: SteerableClock,
    readonly smsCentre: DevSmsCentre,
    readonly mail: DevMailSink,
    /** `managerId->subscriberId` pairs delegation answers "managed" for (4.3). */
    readonly grants: Set<string>,
  ) {}

  static async start(options: HarnessOptions = {}): Promise<IdentityHarness> {
    const clock = new SteerableClock();
    const internalToken = randomBytes(24).toString('hex');
    const grants = new Set<string>();
    const edge = await startEdge(internalToken, grants);
    const ttl = options.accessTokenTtlSeconds ?? 900;
    const t = await createTestPlatform({
      clock,
      internalToken,
      accessTokenTtlSeconds: ttl,
      // Revocations expire on the harness's clock, so a test can move past their lifetime.
      revocations: new MemoryRevocationStore(ttl * 1000, () => clock.now().getTime()),
      sms: new HttpSmsCentreTransport(`${edge.url}/dev/sms-centre`, edge.smsSecret),
      email: new SmtpEmailTransport(`smtp://127.0.0.1:${edge.mailPort}`, 'Beeline <no-reply@beeline.kz>'),
      directory: { delegation: edge.url, gateway: edge.url },
      publicUrl: edge.url,
      relayPollMs: 50,
    });
    t.onStop(() => edge.stop());
    try {
      const definition = testIdentitySubgraph({
        staffAccounts: [
          { login: 'operator', role: 'OPERATOR', password: 'Operator-pass-1' },
          { login: 'admin', role: 'ADMIN', password: 'Admin-pass-1' },
        ],
        ...(options.identity ?? {}),
      });
      const running = await t.start(definition, { seedDemoData: options.seed ?? true });
      return new IdentityHarness(t, running, clock, edge.smsCentre, edge.mail, grants);
    } catch (error) {
      await t.stop();
      throw error;
    }
  }

  get url(): string {
    return this.running.url;
  }

  get platform(): PlatformServices {
    return this.t.platform;
  }

  get database() {
    return this.running.runtime.database;
  }

  stop(): Promise<void> {
    return this.t.stop();
  }

  gql<T = any>(query: string, variables: Record<string, unknown> = {}, options: { token?: string | null; headers?: Record<string, string> } = {}): Promise<GqlResponse<T>> {
    return graphql<T>(`${this.url}/graphql`, query, variables, {
      token: options.token,
      headers: {
        // The harness plays the gateway: the client address it names counts only with the internal token.
        ...(options.headers?.['x-client-address'] ? { [INTERNAL_TOKEN_HEADER]: this.platform.internalToken } : {}),
        ...(options.headers ?? {}),
      },
    });
  }

  sms(to: string): StoredSms[] {
    return this.smsCentre.sentTo(to);
  }

  /**
   * Waits for the outbox relay to deliver an SMS to `to` matching `pattern` (after the first `after` messages).
   * Returns [the whole text, ...the pattern's groups].
   */
  waitForSms(to: string, pattern: RegExp, after = 0, timeoutMs = 10_000): Promise<string[]> {
    const match = () => {
      for (const message of this.sms(to).slice(after).reverse()) {
        const found = message.text.match(pattern);
        if (found) return [message.text, ...found.slice(1)];
      }
      return undefined;
    };
    return waitFor(match, timeoutMs, () => `an SMS to ${to} matching ${pattern}; got ${JSON.stringify(this.sms(to).map((m) => m.text))}`);
  }

  waitForMail(to: string, predicate: (mail: StoredMail) => boolean = () => true, timeoutMs = 10_000): Promise<StoredMail> {
    return waitFor(() => this.mail.sentTo(to).reverse().find(predicate), timeoutMs, `an e-mail to ${to}`);
  }

  /** Waits until the outbox has published everything written so far (SMS, e-mails, events). */
  async drainOutbox(timeoutMs = 10_000): Promise<void> {
    const drained = async () => {
      const [row] = await this.database.dataSource.query('SELECT COUNT(*) AS n FROM outbox_events WHERE published_at IS NULL AND abandoned_at IS NULL');
      return Number(row.n) === 0;
    };
    await waitFor(drained, timeoutMs, 'the outbox to drain');
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
  publish(stream: string, type: string, payload: Record<string, unknown>): Promise<void> {
    return this.t.publish(stream, type, payload);
  }
}
