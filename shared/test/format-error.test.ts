import { GraphQLError, GraphQLScalarType, Source, buildSchema, execute, parse, subscribe } from 'graphql';
import { DomainError, ErrorCode, Language, MAX_ERROR_TEXT, argumentNameOf, boundErrorText, createErrorFormatter, createLogger } from '../src';

/** The shared error formatter, fed with what graphql-js itself produces outside Apollo's HTTP pipeline (graphql-ws). */
describe('createErrorFormatter', () => {
  const logged: unknown[] = [];
  const logger = createLogger('format-error-test', 'fatal');
  logger.error = ((...args: unknown[]) => void logged.push(args)) as typeof logger.error;
  const format = createErrorFormatter(logger);
  const Strict = new GraphQLScalarType({
    name: 'Strict',
    parseValue: (value) => {
      if (value !== 'ok') throw new GraphQLError('Strict cannot represent this value');
      return value;
    },
  });
  const schema = buildSchema(`scalar Strict  type Query { echo(value: Strict!): String, id(value: ID!): String }  type Subscription { tick(value: ID!): String }`);
  Object.assign(schema.getType('Strict')!, { parseValue: Strict.parseValue });

  beforeEach(() => logged.splice(0));

  it('gives a variable that fails a scalar (an error with an originalError) BAD_USER_INPUT and its field, not INTERNAL', async () => {
    const result = await execute({ schema, document: parse('query ($v: Strict!) { echo(value: $v) }'), variableValues: { v: 'no' } });
    const error = result.errors![0]!;
    expect(error.originalError).toBeDefined();
    expect(format(error.toJSON(), error)).toMatchObject({ extensions: { code: ErrorCode.BAD_USER_INPUT, field: 'value' } });
    expect(logged).toEqual([]);
  });

  it('does the same for a subscription (what graphql-ws hands over)', async () => {
    const result = (await subscribe({ schema, document: parse('subscription ($v: ID!) { tick(value: $v) }'), variableValues: { v: { not: 'an id' } } })) as { errors: GraphQLError[] };
    const error = result.errors[0]!;
    expect(format(error.toJSON(), error).extensions).toMatchObject({ code: ErrorCode.BAD_USER_INPUT, field: 'value' });
  });

  it('still hides a resolver failure behind INTERNAL and logs it', () => {
    const error = new GraphQLError("Cannot read properties of undefined (reading 'id') at /srv/app/dist/x.js:3", { path: ['echo'], originalError: new TypeError("Cannot read properties of undefined (reading 'id')") });
    const formatted = format(error.toJSON(), error);
    expect(formatted.extensions).toEqual({ code: ErrorCode.INTERNAL });
    expect(JSON.stringify(formatted)).not.toMatch(/Cannot read|\/srv/);
    expect(logged).toHaveLength(1);
  });

  it('answers a database or Redis that is away with SERVICE_UNAVAILABLE, never its text (test/e2e/faults-storage)', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 10.0.0.5:3306'), { code: 'ECONNREFUSED' });
    const typeorm = Object.assign(new Error('Connection lost: The server closed the connection.'), { name: 'QueryFailedError', driverError: { code: 'PROTOCOL_CONNECTION_LOST' } });
    const busy = Object.assign(new Error('database is locked'), { code: 'SQLITE_BUSY' });
    for (const cause of [refused, typeorm, busy]) {
      const error = new GraphQLError(cause.message, { path: ['echo'], originalError: cause });
      const formatted = format(error.toJSON(), error);
      expect(formatted.extensions).toEqual({ code: ErrorCode.SERVICE_UNAVAILABLE, reason: 'storage unavailable' });
      expect(JSON.stringify(formatted)).not.toMatch(/ECONNREFUSED|3306|Connection lost|locked/);
    }
    expect(logged).toEqual([]);
  });

  it("keeps a subgraph's own BAD_USER_INPUT text at the gateway, and localizes Apollo's English one", () => {
    const forwarded = new GraphQLError('Неверный курсор', { path: ['me'], extensions: { code: 'BAD_USER_INPUT', field: 'after', serviceName: 'billing' } });
    expect(format(forwarded.toJSON(), forwarded)).toMatchObject({ message: 'Неверный курсор', extensions: { code: ErrorCode.BAD_USER_INPUT, field: 'after' } });
    const apollo = new GraphQLError('Variable "$m" got invalid value 5', { extensions: { code: 'BAD_USER_INPUT' } });
    expect(format(apollo.toJSON(), apollo)).toMatchObject({ message: 'Неверное значение: m', extensions: { code: ErrorCode.BAD_USER_INPUT, field: 'm', detail: 'Variable "$m" got invalid value 5' } });
  });

  it('keeps the standard persisted-query codes and message (clients resend the full query on them)', () => {
    const notFound = new GraphQLError('PersistedQueryNotFound', { extensions: { code: 'PERSISTED_QUERY_NOT_FOUND' } });
    expect(format(notFound.toJSON(), notFound)).toEqual({ message: 'PersistedQueryNotFound', extensions: { code: 'PERSISTED_QUERY_NOT_FOUND' } });
  });

  it("gives Apollo's own refusals without a code (a 400 such as an unsupported persisted-query version) BAD_USER_INPUT, not INTERNAL", () => {
    const error = new GraphQLError('Unsupported persisted query version', { extensions: { http: { status: 400 } } });
    const formatted = format({ message: error.message, extensions: { code: 'INTERNAL_SERVER_ERROR' } }, error);
    expect(formatted.extensions).toEqual({ code: ErrorCode.BAD_USER_INPUT, detail: 'Unsupported persisted query version' });
    expect(logged).toEqual([]);
  });

  it('formats a DomainError carried by an error raised outside execution (request limits) in the caller language', () => {
    const domain = new DomainError(ErrorCode.SERVICE_UNAVAILABLE, { extensions: { serviceName: 'catalog' } });
    const error = new GraphQLError('x', { originalError: domain });
    expect(createErrorFormatter(logger, () => Language.EN)(error.toJSON(), error)).toEqual({
      message: 'Service temporarily unavailable',
      extensions: { code: ErrorCode.SERVICE_UNAVAILABLE, serviceName: 'catalog' },
    });
  });

  it('never echoes an unbounded value: a long one is shortened, a very long one not shown, every text capped', async () => {
    for (const length of [100, 70_000]) {
      const value = 'x'.repeat(length);
      const result = await execute({ schema, document: parse('query ($v: Strict!) { echo(value: $v) }'), variableValues: { v: value } });
      const formatted = format(result.errors![0]!.toJSON(), result.errors![0]);
      const text = JSON.stringify(formatted);
      expect(text).not.toContain('x'.repeat(40));
      expect(text).toContain(`${length} characters`);
      expect(text.length).toBeLessThan(MAX_ERROR_TEXT * 2);
    }
    const short = await execute({ schema, document: parse('query ($v: Strict!) { echo(value: $v) }'), variableValues: { v: 'nope' } });
    expect(JSON.stringify(format(short.errors![0]!.toJSON(), short.errors![0]))).toContain('nope');
    expect(boundErrorText(`${'y'.repeat(600)}`)).toHaveLength(MAX_ERROR_TEXT);
  });

  it('finds the argument of a bad value in linear time, even after a 1,000,000-character alias (it backtracked quadratically)', () => {
    const alias = 'a'.repeat(1_000_000);
    const literal = `{ ${alias}: echo(value: 5) }`;
    const atLiteral = new GraphQLError('Expected value of type "Strict!", found 5.', { source: new Source(literal), positions: [literal.indexOf('5)')] });
    expect(argumentNameOf(atLiteral)).toBe('value');
    const variable = `query ($v: Strict!) { ${alias}: echo(value: $v) }`;
    const atVariable = new GraphQLError('Variable "$v" got invalid value 5', { source: new Source(variable) });
    expect(argumentNameOf(atVariable)).toBe('value');
  });
  it("gives a request Apollo refused without a code (HTTP 400, e.g. a persisted query's hash) BAD_USER_INPUT, not a logged INTERNAL", () => {
    const refused = new GraphQLError('provided sha does not match query', { extensions: { http: { status: 400 } } });
    // Apollo fills in INTERNAL_SERVER_ERROR where an error has no code.
    const formatted = format({ message: refused.message, extensions: { code: 'INTERNAL_SERVER_ERROR' } }, refused);
    expect(formatted.extensions).toEqual({ code: ErrorCode.BAD_USER_INPUT, detail: 'provided sha does not match query' });
    expect(logged).toEqual([]);
  });
});
