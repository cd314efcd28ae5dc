import { GraphQLInterfaceType, GraphQLObjectType, GraphQLSchema, getNamedType, parse, validate, getNullableType, isInterfaceType, isListType, isObjectType } from 'graphql';
import { Supergraph } from '@apollo/federation-internals';
import { ConfigError, DEFAULT_OPERATION_LIMITS, env, parseEnv } from '@selfcare/shared';
import { SUPERGRAPH_LIST_SIZES, createGatewayLimits, gatewayLimitsEnvShape, gatewayLimitsFrom, readSupergraph } from '@selfcare/gateway';

/** The gateway's request limits against the real supergraph (schema/supergraph.graphql), as clients see it. */
const schema: GraphQLSchema = Supergraph.build(readSupergraph()).apiSchema().toGraphQLJSSchema();
const limits = createGatewayLimits();
const refusedBy = (query: string, variables: Record<string, unknown> = {}): string[] => {
  try {
    return limits.validate(schema, limits.parse(query), variables).map((e) => String(e.extensions.limit));
  } catch (error) {
    return [String((error as { extensions?: { limit?: unknown } }).extensions?.limit)];
  }
};

describe('the cost of every list field of the supergraph', () => {
  const fields = Object.values(schema.getTypeMap())
    .filter((type): type is GraphQLObjectType | GraphQLInterfaceType => !type.name.startsWith('__') && (isObjectType(type) || isInterfaceType(type)))
    .flatMap((type) => Object.values(type.getFields()).map((field) => ({ type: type.name, field })));

  it('is known: a connection costs by its first, any other list has an entry in SUPERGRAPH_LIST_SIZES (add one for a new list)', () => {
    const unpriced = fields
      .filter(({ field }) => isListType(getNullableType(field.type)))
      .filter(({ type, field }) => !(field.name === 'edges' && type.endsWith('Connection')))
      .map(({ type, field }) => `${type}.${field.name}`)
      .filter((key) => SUPERGRAPH_LIST_SIZES[key] === undefined);
    expect(unpriced).toEqual([]);
    const connections = fields.filter(({ field }) => field.args.some((a) => a.name === 'first'));
    for (const { field } of connections) expect(getNamedType(field.type).name).toMatch(/Connection$/);
  });

  it('names no field the supergraph does not have', () => {
    const known = new Set(fields.map(({ type, field }) => `${type}.${field.name}`));
    expect(Object.keys(SUPERGRAPH_LIST_SIZES).filter((key) => !known.has(key))).toEqual([]);
  });
});

describe('gateway limits on real operations', () => {
  it("let the cabinet's own pages through", () => {
    const pages = [
      '{ me { id msisdn login kind tariff { code name monthlyFee { amount currency } allowances { unit amount } } account { number balance { amount currency } } allowances { unit included used left } } }',
      '{ me { account { entries(first: 100) { edges { cursor node { id at kind amount { amount currency } balanceAfter { amount currency } description } } pageInfo { hasNextPage endCursor } } } } }',
      '{ me { activity(first: 50) { edges { node { id at action channel details viaManagement actorKind actor { id msisdn } } } pageInfo { hasNextPage endCursor } } } }',
      '{ me { managedNumbers { id msisdn tariff { name } account { balance { amount } } } managers { id status requester { msisdn } } } }',
      '{ tariffs { code kind name monthlyFee { amount currency } switchFee { amount } allowances { unit amount } termsVersion termsUrl } services { code category } }',
    ];
    for (const page of pages) expect({ page, invalid: validate(schema, parse(page)).map((e) => e.message), refused: refusedBy(page) }).toEqual({ page, invalid: [], refused: [] });
  });

  it('refuse what the hostile-client review sent', () => {
    let nested = 'id';
    for (let level = 0; level < 15; level += 1) nested = `actor { id activity(first: 50) { edges { node { ${nested} } } } }`;
    expect(refusedBy(`{ me { activity(first: 50) { edges { node { ${nested} } } } } }`)).toEqual(['depth', 'cost']);
    expect(refusedBy(`{ ${'currentTerms { version } '.repeat(4000)} }`)).toEqual(['tokens']);
    expect(refusedBy(`{ ${'currentTerms { version } '.repeat(11)} }`)).toEqual(['repeats']);
    expect(refusedBy(`{ ${Array.from({ length: 500 }, (_, i) => `a${i}: me { tariff { name } }`).join(' ')} }`)).toEqual(['tokens']);
    expect(refusedBy(`{ ${Array.from({ length: 31 }, (_, i) => `a${i}: tariffs { code }`).join(' ')} }`)).toEqual(['aliases']);
    expect(refusedBy('query ($n: Int) { me { activity(first: $n) { edges { node { actor { activity(first: $n) { edges { node { id } } } } } } } } }', { n: 100 })).toEqual(['cost']);
  });
});

describe('gateway limit settings', () => {
  it('default to the kit values and read every GRAPHQL_* variable and the time budget', () => {
    expect(gatewayLimitsFrom(parseEnv(gatewayLimitsEnvShape, {}))).toEqual({
      limits: DEFAULT_OPERATION_LIMITS,
      timeouts: { operationTimeoutMs: 15_000, subgraphTimeoutMs: 10_000 },
    });
    const read = gatewayLimitsFrom(parseEnv(gatewayLimitsEnvShape, { GRAPHQL_MAX_DEPTH: '12', GRAPHQL_MAX_COST: '50000', OPERATION_TIMEOUT_MS: '3000', SUBGRAPH_TIMEOUT_MS: '9000' }));
    expect(read.limits).toMatchObject({ maxDepth: 12, maxCost: 50_000 });
    // No subgraph call may outlast the operation.
    expect(read.timeouts).toEqual({ operationTimeoutMs: 3000, subgraphTimeoutMs: 3000 });
    expect(() => parseEnv(gatewayLimitsEnvShape, { GRAPHQL_MAX_DEPTH: '1' })).toThrow(new ConfigError('GRAPHQL_MAX_DEPTH', 'must be at least 2'));
  });

  it('read TRUST_PROXY, CORS_ORIGINS and listen addresses strictly', () => {
    const shape = { TRUST_PROXY: env.trustProxy(), CORS_ORIGINS: env.origins(), GATEWAY_HOST: env.host('127.0.0.1') };
    expect(parseEnv(shape, {})).toEqual({ TRUST_PROXY: false, CORS_ORIGINS: [], GATEWAY_HOST: '127.0.0.1' });
    expect(parseEnv(shape, { TRUST_PROXY: '1', CORS_ORIGINS: 'https://cabinet.beeline.kz, http://localhost:3000/', GATEWAY_HOST: '0.0.0.0' })).toEqual({
      TRUST_PROXY: 1,
      CORS_ORIGINS: ['https://cabinet.beeline.kz', 'http://localhost:3000'],
      GATEWAY_HOST: '0.0.0.0',
    });
    expect(parseEnv(shape, { TRUST_PROXY: '10.0.0.0/8, loopback, fd00::1' }).TRUST_PROXY).toEqual(['10.0.0.0/8', 'loopback', 'fd00::1']);
    expect(() => parseEnv(shape, { TRUST_PROXY: 'true' })).toThrow(/TRUST_PROXY: must be false, a number of proxy hops/);
    expect(() => parseEnv(shape, { TRUST_PROXY: '10.0.0.0/33' })).toThrow(/TRUST_PROXY/);
    expect(() => parseEnv(shape, { CORS_ORIGINS: '*' })).toThrow(/CORS_ORIGINS: must list origins/);
    expect(() => parseEnv(shape, { CORS_ORIGINS: 'https://a.kz/path' })).toThrow(/CORS_ORIGINS/);
    expect(() => parseEnv(shape, { GATEWAY_HOST: 'not a host!' })).toThrow(/GATEWAY_HOST: must be an IP address or a host name/);
  });
});
