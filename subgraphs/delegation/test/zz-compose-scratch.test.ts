import { composeServices } from '@apollo/composition';
import { parse } from 'graphql';
import { createCatalogSubgraph } from '@selfcare/catalog';
import { createBillingSubgraph } from '@selfcare/billing';
import { createDetailingSubgraph } from '@selfcare/detailing';
import { createDelegationSubgraph } from '../src';
import { createTestPlatform } from './support/harness';

it('composes', async () => {
  const t = await createTestPlatform();
  const identity = `extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key", "@shareable"])
    type Subscriber @key(fields: "id") { id: ID! msisdn: String }
    type Query { me: Subscriber }`;
  const subgraphs = [{ name: 'identity', url: 'http://x/graphql', typeDefs: parse(identity) }];
  for (const def of [createCatalogSubgraph(), createBillingSubgraph(), createDetailingSubgraph(), createDelegationSubgraph()]) {
    const running = await t.start(def, { seedDemoData: false });
    const r = await fetch(running.graphqlUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: '{ _service { sdl } }' }) });
    const sdl = ((await r.json()) as any).data._service.sdl;
    console.log(`===== ${def.name}\n${sdl}`);
    subgraphs.push({ name: def.name, url: 'http://x/graphql', typeDefs: parse(sdl) });
  }
  const result = composeServices(subgraphs);
  console.log(result.errors?.map((e) => e.message), (result.hints ?? []).map((h) => h.toString()));
  expect(result.errors ?? []).toEqual([]);
  await t.stop();
});
