import { GraphQLError, buildSchema, getIntrospectionQuery } from 'graphql';
import {
  DEFAULT_OPERATION_LIMITS,
  ErrorCode,
  Language,
  OperationLimitSettings,
  createErrorFormatter,
  createLogger,
  createOperationLimits,
  runInRequest,
  subgraphBackstop,
} from '../src';

/** The request limits of shared/src/graphql/operation-limits.ts on a small schema shaped like the supergraph's. */
const schema = buildSchema(`
  type Query { me: Subscriber  tariffs: [Tariff!]!  things: [Thing!]!  _entities(representations: [String!]!): [Subscriber]! }
  type Subscriber { id: ID!  msisdn: String  tariff: Tariff  managedNumbers: [Subscriber!]!  activity(first: Int, after: String): ActivityConnection! }
  type Tariff { code: String!  name: String! }
  type Thing { id: ID! }
  type ActivityConnection { edges: [ActivityEdge!]!  pageInfo: PageInfo! }
  type ActivityEdge { cursor: String!  node: Activity! }
  type Activity { id: ID!  action: String!  actor: Subscriber }
  type PageInfo { hasNextPage: Boolean! }
`);

const settings: OperationLimitSettings = {
  ...DEFAULT_OPERATION_LIMITS,
  maxTokens: 200,
  maxFields: 50,
  maxRepeats: 3,
  maxDepth: 5,
  maxAliases: 4,
  maxDirectives: 3,
  maxCost: 1000,
  defaultListSize: 7,
  listSizes: { 'Query.tariffs': 20, 'Subscriber.managedNumbers': 10 },
};
const limits = createOperationLimits(settings);

function refusal(run: () => unknown): GraphQLError {
  try {
    run();
  } catch (error) {
    if (error instanceof GraphQLError) return error;
    throw error;
  }
  throw new Error('expected a refusal');
}

const check = (query: string, variables: Record<string, unknown> = {}, operationName?: string) =>
  limits.validate(schema, limits.parse(query), variables, operationName).map((e) => e.extensions);
const limitsOf = (query: string, variables: Record<string, unknown> = {}, operationName?: string) => check(query, variables, operationName).map((e) => e.limit);
/** Depth alone: managedNumbers nested four deep costs 10,000, which is another limit's business. */
const depthOf = (query: string) => check(query).filter((e) => e.limit === 'depth');
const costOf = (query: string, variables: Record<string, unknown> = {}) => {
  const strict = createOperationLimits({ ...settings, maxCost: 1 });
  const [error] = strict.validate(schema, strict.parse(query), variables);
  return error ? Number(error.extensions.found) : 0;
};

describe('request limits: the document (parse)', () => {
  it('stops parsing at the token limit and names the limit', () => {
    const error = refusal(() => limits.parse(`{ ${'me { id } '.repeat(100)} }`));
    expect(error.extensions).toMatchObject({ code: ErrorCode.BAD_USER_INPUT, limit: 'tokens', max: 200 });
  });

  it('passes a syntax error on as graphql-js reports it', () => {
    const error = refusal(() => limits.parse('{ me { id }'));
    expect(error.message).toMatch(/Syntax Error/);
    expect(error.extensions.limit).toBeUndefined();
  });

  it('counts fields where fragments are spread, so a fragment spread many times counts every time', () => {
    const fragment = 'fragment F on Subscriber { id msisdn tariff { code name } }';
    expect(check(`{ me { ...F } } ${fragment}`)).toEqual([]);
    const spreads = Array.from({ length: 12 }, (_, i) => `m${i % 4}: managedNumbers { ...F }`).join(' ');
    expect(refusal(() => limits.parse(`{ me { ${spreads} } } ${fragment}`)).extensions).toMatchObject({ limit: 'fields', max: 50 });
  });

  it('refuses the same field selected more often than the limit at one place, directly or through fragments', () => {
    expect(refusal(() => limits.parse('{ me { id } me { id } me { id } me { id } }')).extensions).toMatchObject({ limit: 'repeats', max: 3 });
    const viaFragments = '{ me { id ...A ...B ...C } } fragment A on Subscriber { id } fragment B on Subscriber { id } fragment C on Subscriber { id }';
    expect(refusal(() => limits.parse(viaFragments)).extensions).toMatchObject({ limit: 'repeats' });
    // Aliases make distinct response keys: that is the alias limit's business.
    expect(() => limits.parse('{ a: me { id } b: me { id } c: me { id } d: me { id } }')).not.toThrow();
  });

  it('walks fragments no operation spreads too (validation still visits them)', () => {
    expect(refusal(() => limits.parse('{ me { id } } fragment Unused on Subscriber { id id id id }')).extensions).toMatchObject({ limit: 'repeats' });
  });

  it('bounds a fragment that doubles at every level before expanding it', () => {
    const levels = Array.from({ length: 30 }, (_, i) => `fragment F${i + 1} on Subscriber { a: managedNumbers { ...F${i} } b: managedNumbers { ...F${i} } }`).join(' ');
    const big = createOperationLimits({ ...settings, maxTokens: 10_000 });
    expect(refusal(() => big.parse(`{ me { ...F30 } } fragment F0 on Subscriber { id } ${levels}`)).extensions).toMatchObject({ limit: 'fields' });
  });

  it('leaves unknown and cyclic fragments to validation', () => {
    expect(() => limits.parse('{ me { ...Missing } }')).not.toThrow();
    expect(() => limits.parse('{ me { ...A } } fragment A on Subscriber { id ...B } fragment B on Subscriber { ...A }')).not.toThrow();
  });
});

describe('request limits: the operation (validate)', () => {
  it('measures depth through fragments without counting the fragment as a level', () => {
    expect(depthOf('{ me { managedNumbers { managedNumbers { managedNumbers { id } } } } }')).toEqual([]);
    expect(depthOf('{ me { managedNumbers { managedNumbers { managedNumbers { managedNumbers { id } } } } } }')).toEqual([
      expect.objectContaining({ limit: 'depth', max: 5, found: 6 }),
    ]);
    expect(depthOf('{ me { ...F } } fragment F on Subscriber { managedNumbers { managedNumbers { managedNumbers { managedNumbers { id } } } } }')).toEqual([
      expect.objectContaining({ limit: 'depth', found: 6 }),
    ]);
  });

  it('counts aliases except of __typename, and directives', () => {
    expect(check('{ a: me { id } b: me { id } c: me { id } d: me { id } t1: __typename t2: __typename }')).toEqual([]);
    expect(check('{ a: me { id } b: me { id } c: me { id } d: me { id } e: me { id } }')).toEqual([expect.objectContaining({ limit: 'aliases', max: 4, found: 5 })]);
    expect(check('{ me @skip(if: false) { id @include(if: true) msisdn @include(if: true) tariff @include(if: true) { code } } }')).toEqual([
      expect.objectContaining({ limit: 'directives', max: 3, found: 4 }),
    ]);
  });

  it('costs a connection by its first, from a literal or a variable, and by the default page size without one', () => {
    const page = 'edges { node { id action } }';
    // me (1) + activity: first × (1 + edges (1 + node (1 + id 1 + action 1)))
    expect(costOf(`{ me { activity(first: 10) { ${page} } } }`)).toBe(1 + 10 * (1 + 1 * (1 + 1 * (1 + 2))));
    expect(costOf(`query ($n: Int) { me { activity(first: $n) { ${page} } } }`, { n: 10 })).toBe(costOf(`{ me { activity(first: 10) { ${page} } } }`));
    expect(costOf(`{ me { activity { ${page} } } }`)).toBe(costOf(`{ me { activity(first: 20) { ${page} } } }`));
    const nested = `query ($n: Int) { me { activity(first: $n) { edges { node { actor { activity(first: $n) { ${page} } } } } } } }`;
    expect(limitsOf(nested, { n: 100 })).toContain('cost');
    expect(limitsOf(nested, { n: 1 })).not.toContain('cost');
  });

  it('costs a plain list by its table entry, else by the default list size, and _entities by its representations', () => {
    expect(costOf('{ tariffs { code } }')).toBe(20 * 2);
    expect(costOf('{ things { id } }')).toBe(7 * 2);
    expect(costOf('query ($r: [String!]!) { _entities(representations: $r) { id } }', { r: ['a', 'b', 'c'] })).toBe(3 * 2);
  });

  it('costs introspection apart: Sandbox\'s query passes, a recursive one does not (production refuses both)', () => {
    const big = createOperationLimits({ ...DEFAULT_OPERATION_LIMITS });
    expect(big.validate(schema, big.parse(getIntrospectionQuery({ descriptions: true, inputValueDeprecation: true, schemaDescription: true })))).toEqual([]);
    let recursive = 'name';
    for (let level = 0; level < 4; level += 1) recursive = `fields { type { ofType { ${recursive} } } }`;
    const [refused] = big.validate(schema, big.parse(`{ __schema { types { ${recursive} } } }`));
    expect(refused?.extensions).toMatchObject({ limit: 'cost', max: DEFAULT_OPERATION_LIMITS.maxCost * 10 });
  });

  it('leaves bad variables to coercion, which runs next and refuses them', () => {
    expect(check('query ($n: Int) { me { activity(first: $n) { edges { cursor } } } }', { n: 'many' })).toEqual([]);
  });

  it('checks the operation named, or every operation without a name', () => {
    const document = `query Cheap { me { id } } query Dear { me { activity(first: 100) { edges { cursor node { id action actor { id msisdn tariff { code name } } } } } } }`;
    expect(check(document, {}, 'Cheap')).toEqual([]);
    expect(limitsOf(document, {}, 'Dear')).toEqual(['depth', 'cost']);
    expect(limitsOf(document)).toEqual(['depth', 'cost']);
  });
});

describe('request limit errors', () => {
  const format = createErrorFormatter(createLogger('limits-test', 'fatal'), () => Language.EN);

  it('are BAD_USER_INPUT in the caller language, naming the limit and its value', () => {
    const error = runInRequest({ requestId: 'r', language: Language.KK }, () => refusal(() => limits.parse(`{ ${'me { id } '.repeat(100)} }`)));
    expect(error.message).toMatch(/лексема/);
    expect(format(error.toJSON(), error)).toEqual({
      message: 'The operation is too long: more than 200 tokens (limit: tokens)',
      extensions: { code: ErrorCode.BAD_USER_INPUT, limit: 'tokens', max: 200 },
    });
    const [depth] = limits.validate(schema, limits.parse('{ me { managedNumbers { managedNumbers { managedNumbers { managedNumbers { id } } } } } }'));
    expect(format(depth!.toJSON(), depth)).toMatchObject({ message: 'The operation is nested too deeply: depth 6, at most 5 allowed (limit: depth)', extensions: { limit: 'depth', max: 5, found: 6 } });
  });
});

describe("the subgraphs' backstop", () => {
  it('is looser than the gateway on every limit, so what the gateway let through passes', () => {
    const backstop = subgraphBackstop(DEFAULT_OPERATION_LIMITS);
    for (const key of ['maxTokens', 'maxFields', 'maxRepeats', 'maxDepth', 'maxAliases', 'maxDirectives', 'maxCost'] as const) {
      expect(backstop[key]).toBeGreaterThan(DEFAULT_OPERATION_LIMITS[key]);
    }
  });
});
