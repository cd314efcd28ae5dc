import { INTERNAL_TOKEN_HEADER, RunningSubgraph } from '@selfcare/shared';
import { GraphQLResponse, TestPlatform, graphql, waitFor } from '@selfcare/shared/testing';
import { inboundSignature } from '../../src';

/** The fields of a ManagementRequest the delegation subgraph answers itself. */
export const REQUEST = 'id status ownerMsisdn requester { id } owner { id } attemptsLeft activationExpiresAt confirmedAt activatedAt endedAt cursor';

/** A code as the SMS carry it: 8 characters of the unambiguous alphabet. */
const CODE = /\b([ABCDEFGHJKMNPQRSTUVWXYZ23456789]{8})\b/;

/**
 * Drives the delegation subgraph (next to the real identity, which it asks whose a number is and how its owner is told)
 * as the gateway and the SMS centre would: GraphQL with the internal token, signed inbound SMS, SMS read where the
 * platform's transport keeps them.
 */
export class ProcedureKit {
  constructor(
    private readonly t: TestPlatform,
    private readonly identity: RunningSubgraph,
    private readonly delegation: RunningSubgraph,
  ) {}

  gql<T = Record<string, any>>(query: string, variables: Record<string, unknown>, token: string | null, language?: string): Promise<GraphQLResponse<T>> {
    return graphql<T>(this.delegation.graphqlUrl, query, variables, { token, ...(language ? { language } : {}) });
  }

  async login(login: string, password = 'Demo-2026', channel: 'WEB' | 'MOBILE_APP' = 'WEB'): Promise<{ token: string; id: string }> {
    const result = await graphql(
      this.identity.graphqlUrl,
      `mutation ($l: String!, $p: String!, $c: Channel!) { login(login: $l, password: $p, channel: $c) { accessToken subscriber { id } } }`,
      { l: login, p: password, c: channel },
    );
    if (!result.data?.login) throw new Error(`login failed: ${JSON.stringify(result.errors)}`);
    return { token: result.data.login.accessToken, id: result.data.login.subscriber.id };
  }

  /** A new mobile line (staff provision it, terms 3.1.2 an office password), logged in. */
  async newSubscriber(msisdn: string, language: 'KK' | 'RU' | 'EN' = 'RU'): Promise<{ token: string; id: string; msisdn: string }> {
    const staff = await graphql(this.identity.graphqlUrl, `mutation { staffLogin(login: "admin", password: "Admin-2026!") { accessToken } }`);
    const staffToken = staff.data!.staffLogin.accessToken as string;
    const provisioned = await graphql(
      this.identity.graphqlUrl,
      `mutation ($m: PhoneNumber!, $l: Language!) { provisionSubscriber(input: { kind: MOBILE, partyType: INDIVIDUAL, msisdn: $m, language: $l, tariffCode: "BEELINE_S" }) { id } }`,
      { m: msisdn, l: language },
      { token: staffToken },
    );
    if (!provisioned.data?.provisionSubscriber) throw new Error(`provisioning failed: ${JSON.stringify(provisioned.errors)}`);
    const id = provisioned.data.provisionSubscriber.id as string;
    const issued = await graphql(this.identity.graphqlUrl, `mutation ($id: ID!) { issueOfficePassword(subscriberId: $id) { password } }`, { id }, { token: staffToken });
    const { token } = await this.login(msisdn, issued.data!.issueOfficePassword.password);
    // identity tells the line of the office password by SMS: let it arrive, so the next SMS to the number are the tests'.
    await waitFor(() => this.sms(msisdn).length > 0 || undefined, 10_000, `identity's SMS to ${msisdn}`);
    return { token, id, msisdn };
  }

  request(token: string, msisdn: string) {
    return this.gql(`mutation ($m: PhoneNumber!) { requestNumberManagement(msisdn: $m) { ${REQUEST} } }`, { m: msisdn }, token);
  }

  act(mutation: 'confirmManagementRequest' | 'rejectManagementRequest' | 'revokeNumberManagement' | 'cancelManagementRequest', token: string, id: string) {
    return this.gql(`mutation ($id: ID!) { ${mutation}(id: $id) { ${REQUEST} } }`, { id }, token);
  }

  activate(token: string, requestId: string, activationCode: string, language?: string) {
    return this.gql(`mutation ($r: ID!, $c: String!) { activateNumberManagement(requestId: $r, activationCode: $c) { ${REQUEST} } }`, { r: requestId, c: activationCode }, token, language);
  }

  /** SMS sent to `to` so far. */
  sms(to: string): string[] {
    return this.t.sentSms.filter((m) => m.to === to).map((m) => m.text);
  }

  /** Waits for the relay to send `to` its SMS number `index` (0-based; the outbox relay sends them asynchronously). */
  async smsAt(to: string, index: number): Promise<string> {
    return waitFor(() => this.sms(to)[index], 10_000, () => `SMS #${index + 1} to ${to}; got ${JSON.stringify(this.sms(to))}`);
  }

  /** The code in an SMS text. */
  static codeIn(text: string): string {
    const match = CODE.exec(text);
    if (!match) throw new Error(`no code in SMS: ${text}`);
    return match[1]!;
  }

  /** An inbound SMS as the SMS centre posts it through the gateway (internal token, HMAC of the body). */
  inbound(message: Record<string, unknown>, options: { secret?: string; signature?: string | null; token?: string | null; body?: string } = {}): Promise<Response> {
    const body = options.body ?? JSON.stringify(message);
    const signature = options.signature === undefined ? inboundSignature(body, options.secret ?? this.t.platform.smsCentreSecret!) : options.signature;
    const token = options.token === undefined ? this.t.platform.internalToken : options.token;
    return fetch(`${this.delegation.url}/sms/inbound`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(signature ? { 'x-signature': signature } : {}), ...(token ? { [INTERNAL_TOKEN_HEADER]: token } : {}) },
      body,
    });
  }

  /** Waits until delegation's outbox has sent and published everything written so far. */
  async drained(): Promise<void> {
    const database = this.delegation.runtime.database;
    await waitFor(async () => {
      const [row] = await database.dataSource.query('SELECT COUNT(*) AS n FROM outbox_events WHERE published_at IS NULL AND abandoned_at IS NULL');
      return Number(row.n) === 0;
    }, 10_000, "delegation's outbox to drain");
  }
}
