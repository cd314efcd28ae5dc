import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { createDelegationSubgraph, ManagementRequestEntity, ManagementStatus } from '@selfcare/delegation';
import { DEMO_PASSWORD, HttpSmsCentreTransport, INTERNAL_TOKEN_HEADER, ManualClock, MemoryRevocationStore, PlatformServices, RevocationStore, RunningSubgraph, SmtpEmailTransport } from '@selfcare/shared';
import { createTestPlatform, drainOutbox, errorCode, graphql, GraphQLResponse, InternalRequestInit, SteerableClock, TestPlatform, waitFor } from '@selfcare/shared/testing';
import { DevMailSink, DevSmsCentre, StoredMail, StoredSms } from '@selfcare/gateway';
import { grantManagement } from '../../../delegation/test/support/grants';
import type { IdentityOptions, IdentityServices } from '../../src';
import { testIdentitySubgraph } from './identity';

export type GqlResponse<T = any> = GraphQLResponse<T>;

/** The staff accounts every harness configures (clear passwords: not production). */
export const STAFF = {
  OPERATOR: { login: 'operator', role: 'OPERATOR' as const, password: 'Operator-pass-1' },
  ADMIN: { login: 'admin', role: 'ADMIN' as const, password: 'Admin-pass-1' },
};

export interface HarnessOptions {
  identity?: Partial<IdentityOptions>;
  seed?: boolean;
  accessTokenTtlSeconds?: number;
  /** Default: real time plus an offset tests move (SteerableClock); a plain ManualClock stands still between calls. */
  clock?: ManualClock;
  /** The outbox relays' poll (they are also poked on every write); a slow one keeps statement counts free of polling. */
  relayPollMs?: number;
  /** Default: a memory store on the harness's clock. */
  revocations?: RevocationStore;
}

/** The system's edge over HTTP: the development SMS centre and a real SMTP sink. */
interface Edge {
  url: string;
  smsCentre: DevSmsCentre;
  smsSecret: string;
  mail: DevMailSink;
  mailPort: number;
  stop(): Promise<void>;
}

async function startEdge(): Promise<Edge> {
  const smsSecret = randomBytes(24).toString('hex');
  const smsCentre = new DevSmsCentre(smsSecret, () => 'http://127.0.0.1:9/unused');
  const mail = new DevMailSink();
  const mailPort = await mail.start(0);
  const app = express();
  smsCentre.mount(app);
  mail.mount(app);
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
 * in-process bus, memory revocation store), next to the real delegation subgraph, which answers identity's one
 * outside question — "may this caller manage that number?" (AccessPolicy, terms 4.3) — over its internal API. Only the
 * system's edge is a stand-in, over HTTP: the development SMS centre and a real SMTP sink.
 */
export class IdentityHarness {
  static readonly code = errorCode;

  private constructor(
    private readonly t: TestPlatform,
    readonly running: RunningSubgraph,
    /** identity's services as its composition root built them */
    readonly services: IdentityServices,
    readonly delegation: RunningSubgraph,
    readonly clock: ManualClock,
    readonly smsCentre: DevSmsCentre,
    readonly mail: DevMailSink,
  ) {}

  static async start(options: HarnessOptions = {}): Promise<IdentityHarness> {
    const clock = options.clock ?? new SteerableClock();
    const internalToken = randomBytes(24).toString('hex');
    const edge = await startEdge();
    const ttl = options.accessTokenTtlSeconds ?? 900;
    const t = await createTestPlatform({
      clock,
      internalToken,
      accessTokenTtlSeconds: ttl,
      // Revocations expire on the harness's clock, so a test can move past their lifetime.
      revocations: options.revocations ?? new MemoryRevocationStore(ttl * 1000, () => clock.now().getTime()),
      sms: new HttpSmsCentreTransport(`${edge.url}/dev/sms-centre`, edge.smsSecret),
      email: new SmtpEmailTransport(`smtp://127.0.0.1:${edge.mailPort}`, 'Beeline <no-reply@beeline.kz>'),
      directory: { gateway: edge.url },
      publicUrl: 'http://selfcare.test',
      relayPollMs: options.relayPollMs ?? 50,
    });
    t.onStop(() => edge.stop());
    try {
      const definition = testIdentitySubgraph({ staffAccounts: [STAFF.OPERATOR, STAFF.ADMIN], ...(options.identity ?? {}) });
      const running = await t.start(definition, { seedDemoData: options.seed ?? true });
      const delegation = await t.start(createDelegationSubgraph(), { seedDemoData: false });
      return new IdentityHarness(t, running, definition.services, delegation, clock, edge.smsCentre, edge.mail);
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

  get runtime() {
    return this.running.runtime;
  }

  get database() {
    return this.running.runtime.database;
  }

  stop(): Promise<void> {
    return this.t.stop();
  }

  /** A GraphQL request; an `x-client-address` header counts only with the internal token, which the gateway adds. */
  gql<T = any>(query: string, variables: Record<string, unknown> = {}, options: { token?: string | null; headers?: Record<string, string>; language?: string } = {}): Promise<GqlResponse<T>> {
    return graphql<T>(`${this.url}/graphql`, query, variables, {
      token: options.token,
      ...(options.language ? { language: options.language } : {}),
      headers: {
        ...(options.headers?.['x-client-address'] ? { [INTERNAL_TOKEN_HEADER]: this.platform.internalToken } : {}),
        ...(options.headers ?? {}),
      },
    });
  }

  async login(login: string, password: string, channel: 'WEB' | 'MOBILE_APP' = 'WEB', device?: Record<string, string>, headers?: Record<string, string>) {
    return this.gql(
      `mutation ($login: String!, $password: String!, $channel: Channel!, $device: DeviceInput) {
        login(login: $login, password: $password, channel: $channel, device: $device) {
          accessToken refreshToken accessTokenExpiresAt subscriber { id msisdn login kind registered accessStatus }
        }
      }`,
      { login, password, channel, device: device ?? null },
      { headers: headers ?? {} },
    );
  }

  async loginOk(login: string, password: string, channel: 'WEB' | 'MOBILE_APP' = 'WEB', device?: Record<string, string>, headers?: Record<string, string>) {
    const result = await this.login(login, password, channel, device, headers);
    if (!result.data?.login) throw new Error(`login failed: ${JSON.stringify(result.errors)}`);
    return result.data.login as { accessToken: string; refreshToken: string; accessTokenExpiresAt: string; subscriber: { id: string; msisdn: string | null; registered: boolean } };
  }

  /** Logs in (terms 3.1.1) and returns the access token alone. */
  async token(login: string, password = DEMO_PASSWORD, channel: 'WEB' | 'MOBILE_APP' = 'WEB'): Promise<string> {
    return (await this.loginOk(login, password, channel)).accessToken;
  }

  async staffLogin(role: 'OPERATOR' | 'ADMIN' = 'OPERATOR'): Promise<string> {
    const { login, password } = STAFF[role];
    const result = await this.gql(`mutation ($l: String!, $p: String!) { staffLogin(login: $l, password: $p) { accessToken staff { role } } }`, { l: login, p: password });
    if (!result.data?.staffLogin) throw new Error(`staff login failed: ${JSON.stringify(result.errors)}`);
    return result.data.staffLogin.accessToken;
  }

  /**
   * terms 4.3: `managerId` may manage `ownerId`'s number — an ACTIVE grant in delegation's database, as the section 5
   * procedure leaves it. `end()` revokes it (terms 4.4).
   */
  async grant(managerId: string, ownerId: string, ownerMsisdn = '+77000000000'): Promise<{ end(): Promise<void> }> {
    const row = await grantManagement(this.delegation, managerId, ownerId, ownerMsisdn);
    const database = this.delegation.runtime.database;
    return {
      end: async () => {
        await database.transaction((m) => m.update(ManagementRequestEntity, { id: row.id }, { status: ManagementStatus.REVOKED, endedAt: this.clock.now() }));
      },
    };
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

  mailTo(to: string): StoredMail[] {
    return this.mail.sentTo(to);
  }

  waitForMail(to: string, predicate: (mail: StoredMail) => boolean = () => true, timeoutMs = 10_000): Promise<StoredMail> {
    return waitFor(() => this.mail.sentTo(to).reverse().find(predicate), timeoutMs, `an e-mail to ${to}`);
  }

  /** Waits until the outbox has published everything written so far (SMS, e-mails, events). */
  drainOutbox(timeoutMs = 10_000): Promise<void> {
    return drainOutbox(this.database, timeoutMs);
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

  /** A call to identity's internal API with the platform's internal token (or `token`). */
  internal(path: string, init: InternalRequestInit = {}): Promise<Response> {
    return this.t.internal(this.url, path, init);
  }
}
