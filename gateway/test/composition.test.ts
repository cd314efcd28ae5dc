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
    expect(staleSchemaFiles(output)).toEqual([]);
  }, 120_000);
});
