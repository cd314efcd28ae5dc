import { createHash } from 'node:crypto';
import { ErrorCode } from '@selfcare/shared';
import { suiteFixture } from '@selfcare/shared/testing';
import { TestSystem } from '../support/system';

/**
 * What the supergraph tells front-end code generators about errors, and that it holds: the contract's ErrorCode is
 * in the schema, every `extensions.code` the system answers a hostile or careless client with is one of its values,
 * and automatic persisted queries keep their standard codes (clients resend the query on them).
 */
describe('the error surface through the gateway', () => {
  const t = suiteFixture(() => TestSystem.start());

  const CONTRACT_CODES = new Set<string>(Object.values(ErrorCode));

  async function post(body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; codes: string[]; json: any }> {
    const response = await fetch(`${t.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await response.text();
    const json = JSON.parse(text);
    return { status: response.status, json, codes: (json.errors ?? []).map((e: { extensions?: { code?: string } }) => String(e.extensions?.code)) };
  }

  it('has ErrorCode, every contract value, in the API schema', async () => {
    const response = await t.graphql<{ __type: { kind: string; enumValues: { name: string }[] } }>(`{ __type(name: "ErrorCode") { kind enumValues { name } } }`);
    expect(response.errors).toBeUndefined();
    expect(response.data!.__type.kind).toBe('ENUM');
    expect(response.data!.__type.enumValues.map((v) => v.name).sort()).toEqual([...CONTRACT_CODES].sort());
  });

  it('answers every bad request with contract codes only', async () => {
    const { accessToken } = await t.login('+77051234567', 'Demo-2026');
    const auth = { authorization: `Bearer ${accessToken}` };
    const cases: [string, unknown, Record<string, string>?][] = [
      ['a parse error', { query: '{ tariffs { code ' }],
      ['an unknown field', { query: '{ tariffs { nope } }' }],
      ['an unknown argument', { query: '{ tariffs(color: RED) { code } }' }],
      ['an unknown operation name', { query: 'query A { tariffs { code } }', operationName: 'B' }],
      ['several anonymous operations', { query: '{ tariffs { code } } { services { code } }' }],
      ['a subscription over HTTP', { query: 'subscription { balanceChanged(subscriberId: "x") { cursor } }' }],
      ['a variable of the wrong type', { query: 'query ($k: SubscriberKind) { tariffs(kind: $k) { code } }', variables: { k: 42 } }],
      ['a missing required variable', { query: 'mutation ($m: PhoneNumber!) { requestPassword(msisdn: $m) }' }],
      ['no query at all', {}],
      ['a query that is not a string', { query: 42 }],
      ['variables that are not an object', { query: '{ tariffs { code } }', variables: 'x' }],
      ['malformed JSON', '{"query": '],
      ['a JSON body that is an array of nothing', '[]'],
      ['a body too large', { query: `{ tariffs { code } } # ${'x'.repeat(200_000)}` }],
      ['a forged token', { query: '{ me { id } }' }, { authorization: 'Bearer a.b.c' }],
      ['another subscriber’s number', { query: '{ subscriber(msisdn: "+77071112233") { account { number } tariff { code } } }' }, auth],
      ['a cursor not made here', { query: '{ me { account { entries(after: "eyJrIjoiMSIsImlkIjoxfQ") { edges { cursor } } } } }' }, auth],
      ['a page too large', { query: '{ me { account { entries(first: 100000) { edges { cursor } } } } }' }, auth],
      ['an unknown persisted-query version', { extensions: { persistedQuery: { version: 9, sha256Hash: 'abc' } } }],
    ];
    for (const [what, body, headers] of cases) {
      const answer = await post(body, headers);
      // A client's mistake is never INTERNAL: that code is for the server's own failures.
      const known = answer.codes.every((code) => CONTRACT_CODES.has(code) && code !== ErrorCode.INTERNAL);
      expect({ what, status: answer.status < 500, codes: known, some: answer.codes.length > 0 }).toEqual({
        what,
        status: true,
        codes: true,
        some: true,
      });
    }
  });

  it('keeps the APQ protocol: an unknown hash is PERSISTED_QUERY_NOT_FOUND, then the registered query runs by hash alone', async () => {
    const query = '{ tariffs(kind: HOME_INTERNET) { code } }';
    const persistedQuery = { version: 1, sha256Hash: createHash('sha256').update(query).digest('hex') };
    const unknown = await post({ extensions: { persistedQuery } });
    expect(unknown.json.errors).toEqual([{ message: 'PersistedQueryNotFound', extensions: { code: 'PERSISTED_QUERY_NOT_FOUND' } }]);
    const registered = await post({ query, extensions: { persistedQuery } });
    expect(registered.json).toEqual({ data: { tariffs: [{ code: 'HOME_100' }] } });
    const byHash = await post({ extensions: { persistedQuery } });
    expect(byHash.json).toEqual({ data: { tariffs: [{ code: 'HOME_100' }] } });
    // A hash that does not match its query is the client's mistake, in the contract's words.
    const mismatch = await post({ query: '{ services { code } }', extensions: { persistedQuery } });
    expect(mismatch.codes).toEqual(['BAD_USER_INPUT']);
  });

  it('pages the ledger however it is aliased: each alias gets its own exact page (one statement per distinct page: shared/test/keyset-pages.test.ts)', async () => {
    const { accessToken } = await t.login('+77051234567', 'Demo-2026');
    const first = await t.graphql<{ me: { account: { entries: { edges: { cursor: string }[] } } } }>(
      '{ me { account { entries(first: 2) { edges { cursor } } } } }',
      {},
      { token: accessToken },
    );
    const [newest, second] = first.data!.me.account.entries.edges.map((e) => e.cursor);
    const aliases = Array.from({ length: 20 }, (_, i) => `p${i}: entries(first: 1${i % 2 ? `, after: "${newest}"` : ''}) { edges { cursor } pageInfo { hasNextPage } }`).join(' ');
    const paged = await t.graphql<{ me: { account: Record<string, { edges: { cursor: string }[]; pageInfo: { hasNextPage: boolean } }> } }>(
      `{ me { account { ${aliases} } } }`,
      {},
      { token: accessToken },
    );
    expect(paged.errors).toBeUndefined();
    Object.entries(paged.data!.me.account).forEach(([alias, page]) => {
      expect(page).toEqual({ edges: [{ cursor: Number(alias.slice(1)) % 2 ? second : newest }], pageInfo: { hasNextPage: true } });
    });
  });
});
