import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Supergraph } from '@apollo/federation-internals';
import { GraphQLEnumType, parse } from 'graphql';
import { ErrorCode } from '@selfcare/shared';
import { composeFromSubgraphs, staleSchemaFiles } from '../src/compose';

/**
 * The checked-in schema/*.graphql must equal a fresh composition of the running subgraphs' SDL, and
 * composition must report no errors (run `npm run compose` after changing a subgraph's schema).
 */
describe('supergraph composition', () => {
  it('composes without errors and schema/ is up to date', async () => {
    const output = await composeFromSubgraphs();
    expect(output.supergraphSdl).toContain('@link(url: "https://specs.apollo.dev/join/v0.');
    for (const name of ['identity', 'catalog', 'billing', 'detailing', 'delegation']) {
      expect(output.supergraphSdl).toContain(`@join__graph(name: "${name}"`);
    }
    // Subscriber is owned by identity and extended by the others through its key.
    expect(output.subgraphs.find((s) => s.name === 'identity')!.sdl).toMatch(/type Subscriber\s+@key\(fields: "id"\)/);
    // Only the hints nobody has explained yet are reported (ErrorCode's "unused enum" is by design).
    expect(output.hints.filter((h) => h.includes('ErrorCode'))).toEqual([]);
    expect(staleSchemaFiles(output)).toEqual([]);
  }, 120_000);

  it("carries the contract's ErrorCode, every value, to the API schema front-end generators read", () => {
    const contract = parse(readFileSync(join(__dirname, '..', '..', 'schema', 'supergraph.graphql'), 'utf8'));
    const api = Supergraph.build(contract).apiSchema().toGraphQLJSSchema();
    const codes = api.getType('ErrorCode');
    expect(codes).toBeInstanceOf(GraphQLEnumType);
    expect((codes as GraphQLEnumType).getValues().map((v) => v.name)).toEqual(Object.values(ErrorCode));
  });
});
