import { createHmac, randomUUID } from 'node:crypto';
import type { Client } from 'graphql-ws';
import { waitFor } from '@selfcare/shared/testing';
import type { TestSystem } from './system';

/** A code as delegation's SMS carry it (8 characters of its unambiguous alphabet). */
const CODE = /\b([ABCDEFGHJKMNPQRSTUVWXYZ23456789]{8})\b/;
/** The 5.6.3 SMS names the short number; the 5.6.5 one is the activation code's. */
const CONFIRMATION_SMS = /4259/;
const ACTIVATION_SMS = /Код активации|Activation code|Белсендіру коды/;

export interface Party {
  token: string;
  subscriberId: string;
  msisdn: string;
}

/** A subscription's events as they arrive, read one by one. */
export class Events<T = any> {
  private readonly iterator: AsyncIterableIterator<{ data?: Record<string, T>; errors?: { message: string; extensions?: Record<string, any> }[] }>;
  constructor(
    readonly client: Client,
    private readonly field: string,
    query: string,
    variables: Record<string, unknown> = {},
  ) {
    this.iterator = client.iterate({ query, variables }) as never;
  }

  /** The next event's payload; a subscription error throws with its code. */
  async next(): Promise<T> {
    const result = await this.iterator.next();
    if (result.done) throw new Error(`the ${this.field} subscription ended`);
    if (result.value.errors?.length) throw Object.assign(new Error(`${this.field}: ${result.value.errors[0]!.message}`), { code: result.value.errors[0]!.extensions?.code });
    return result.value.data![this.field]!;
  }

  /** The next raw result (errors included) and whether the stream is over. */
  raw() {
    return this.iterator.next();
  }

  async close(): Promise<void> {
    await this.iterator.return?.();
    await this.client.dispose();
  }
}

/**
 * Section 5 through the gateway as a client and the SMS centre drive it: GraphQL mutations over HTTP, the owner's SMS
 * read at /dev/sms, the owner's reply to 4259 posted HMAC-signed to the gateway's public /sms/inbound.
 */
export class Management {
  constructor(private readonly t: TestSystem) {}

  async party(login: string, password = 'Demo-2026'): Promise<Party> {
    const session = await this.t.login(login, password);
    const me = await this.t.graphql(`{ me { msisdn } }`, {}, { token: session.accessToken });
    return { token: session.accessToken, subscriberId: session.subscriberId, msisdn: me.data!.me.msisdn };
  }

  async request(requester: Party, msisdn: string, fields = 'id status') {
    return this.t.graphql(`mutation ($m: PhoneNumber!) { requestNumberManagement(msisdn: $m) { ${fields} } }`, { m: msisdn }, { token: requester.token });
  }

  async activate(requester: Party, requestId: string, code: string, fields = 'id status') {
    return this.t.graphql(`mutation ($r: ID!, $c: String!) { activateNumberManagement(requestId: $r, activationCode: $c) { ${fields} } }`, { r: requestId, c: code }, { token: requester.token });
  }

  async act(mutation: 'confirmManagementRequest' | 'rejectManagementRequest' | 'revokeNumberManagement' | 'cancelManagementRequest', caller: Party, id: string, fields = 'id status') {
    return this.t.graphql(`mutation ($id: ID!) { ${mutation}(id: $id) { ${fields} } }`, { id }, { token: caller.token });
  }

  /** How many SMS `msisdn` has had so far: give it as `after` to wait for the next one. */
  async sent(msisdn: string): Promise<number> {
    return (await this.t.sms(msisdn)).length;
  }

  /** terms 5.6.3: the confirmation code in the owner's SMS (the first such SMS after `after`). */
  async confirmationCode(msisdn: string, after: number): Promise<string> {
    return this.codeIn((await this.t.waitForSms(msisdn, CONFIRMATION_SMS, 10_000, after)).text);
  }

  /** terms 5.6.5: the activation code in the owner's SMS. */
  async activationCode(msisdn: string, after: number): Promise<string> {
    return this.codeIn((await this.t.waitForSms(msisdn, ACTIVATION_SMS, 10_000, after)).text);
  }

  codeIn(text: string): string {
    const match = CODE.exec(text);
    if (!match) throw new Error(`no code in SMS: ${text}`);
    return match[1]!;
  }

  /** terms 5.6.4: the SMS centre posts the owner's text to 4259 to the gateway, signed with its secret. */
  async inbound(message: { from: string; text: string; to?: string; id?: string }, secret = this.t.system.platform.smsCentreSecret!): Promise<Response> {
    const body = JSON.stringify({ id: message.id ?? randomUUID(), from: message.from, to: message.to ?? '4259', text: message.text });
    return fetch(`${this.t.url}/sms/inbound`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-signature': createHmac('sha256', secret).update(body).digest('hex') },
      body,
    });
  }

  /** Steps 1-7 in one: `requester` manages `owner`'s number when it returns (the owner confirms by SMS to 4259). */
  async handOver(requester: Party, owner: { msisdn: string }): Promise<string> {
    const before = await this.sent(owner.msisdn);
    const request = await this.request(requester, owner.msisdn);
    if (!request.data?.requestNumberManagement) throw new Error(`request failed: ${JSON.stringify(request.errors)}`);
    const id = request.data.requestNumberManagement.id as string;
    const code = await this.confirmationCode(owner.msisdn, before);
    const confirmed = (await (await this.inbound({ from: owner.msisdn, text: code })).json()) as { outcome: string };
    if (confirmed.outcome !== 'CONFIRMED') throw new Error(`the owner's SMS was not taken: ${JSON.stringify(confirmed)}`);
    const activation = await this.activationCode(owner.msisdn, before);
    const active = await this.activate(requester, id, activation);
    if (active.data?.activateNumberManagement?.status !== 'ACTIVE') throw new Error(`activation failed: ${JSON.stringify(active.errors)}`);
    return id;
  }

  /** A graphql-ws client of `party` following a subscription. */
  subscribe<T = any>(party: Party, field: 'managementRequestReceived' | 'managementRequestUpdated' | 'balanceChanged', query: string, variables: Record<string, unknown> = {}): Events<T> {
    return new Events<T>(this.t.wsClient(party.token), field, query, variables);
  }

  /** Feeds following on the subgraph now: a baseline for `following`. */
  feeds(subgraph: 'delegation' | 'billing'): number {
    return this.t.system.subgraphs[subgraph].runtime.feeds.followerCount;
  }

  /** Waits until `count` more feeds than `baseline` follow on the subgraph (a subscription is live there only then). */
  async following(subgraph: 'delegation' | 'billing', count: number, baseline = 0): Promise<void> {
    await waitFor(() => this.feeds(subgraph) >= baseline + count || undefined, 10_000, () => `${count} more feeds on ${subgraph} (${this.feeds(subgraph)} - ${baseline})`);
  }
}
