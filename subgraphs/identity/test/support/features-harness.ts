import { createDelegationSubgraph } from '@selfcare/delegation';
import { EmailMessage, ManualClock, PlatformServices, RunningSubgraph, SmsMessage } from '@selfcare/shared';
import { createTestPlatform, errorCode, graphql, GraphQLResponse, InternalRequestInit, TestPlatform, waitFor, withEnv } from '@selfcare/shared/testing';
import { DEMO_STAFF_ACCOUNTS } from '../../src/index';
import { featureServicesOf, IdentityFeatureServices } from '../../src/features';
import { DEMO_PASSWORD, testIdentitySubgraph } from './identity';

export { AIGERIM, DEMO_PASSWORD, HOME, NURLAN, STEPPE, UNREGISTERED } from './identity';

/** The first error's code. */
export const code = errorCode;

/**
 * The identity subgraph on a real database (a SQLite file, or a MariaDB database of its own with
 * TEST_DATABASE_URL), over real HTTP, with the real outbox relay and in-process bus. Only the system's edge —
 * the SMS centre and the SMTP server — is replaced by transports that keep what they were given.
 */
export class IdentityHarness {
  private constructor(
    private readonly t: TestPlatform,
    readonly running: RunningSubgraph,
    /** The real delegation subgraph, when started `withDelegation`. */
    readonly delegation: RunningSubgraph | null,
  ) {}

  /**
   * `withDelegation`: also runs the real delegation subgraph, which answers "may this caller manage that number?"
   * (AccessPolicy) — needed whenever a caller touches a number that is not their own.
   */
  static async start(options: { clock?: ManualClock; env?: Record<string, string>; withDelegation?: boolean; relayPollMs?: number } = {}): Promise<IdentityHarness> {
    const t = await createTestPlatform({
      clock: options.clock ?? new ManualClock(new Date()),
      publicUrl: 'http://selfcare.test',
      relayPollMs: options.relayPollMs ?? 20,
    });
    try {
      return await withEnv(options.env ?? {}, async () => {
        const running = await t.start(testIdentitySubgraph({ staffAccounts: DEMO_STAFF_ACCOUNTS }));
        const delegation = options.withDelegation ? await t.start(createDelegationSubgraph(), { seedDemoData: false }) : null;
        return new IdentityHarness(t, running, delegation);
      });
    } catch (error) {
      await t.stop();
      throw error;
    }
  }

  /** The SMS messages handed to the SMS centre. */
  get sms(): SmsMessage[] {
    return this.t.sentSms;
  }

  /** The e-mails handed to the mail server. */
  get mail(): EmailMessage[] {
    return this.t.sentEmail;
  }

  get platform(): PlatformServices {
    return this.t.platform;
  }

  get clock(): ManualClock {
    return this.t.clock;
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

  stop(): Promise<void> {
    return this.t.stop();
  }

  graphql<T = Record<string, any>>(query: string, variables: Record<string, unknown> = {}, token?: string | null, headers: Record<string, string> = {}): Promise<GraphQLResponse<T>> {
    return graphql<T>(this.running.graphqlUrl, query, variables, { token, headers });
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
  waitFor<T>(list: T[], predicate: (item: T) => boolean, timeoutMs = 10_000): Promise<T> {
    return waitFor(() => list.find(predicate), timeoutMs, 'the expected message') as Promise<T>;
  }

  /** A call to identity's internal API with the platform's internal token (or `token`). */
  internal(path: string, init: InternalRequestInit = {}): Promise<Response> {
    return this.t.internal(this.url, path, init);
  }
}
