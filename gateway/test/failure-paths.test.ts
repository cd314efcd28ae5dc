import { fieldPathsOf } from '../src/gateway-server';

/**
 * A subgraph call that fails puts SERVICE_UNAVAILABLE on each field it owed: the root fields' response names, or
 * for an entity fetch `_entities.<i>.<field>` per representation, which the gateway maps onto the entities' places
 * (`["me","account"]`). Without a path the error would name no field (found by test/e2e/faults-subgraph.test.ts).
 */
describe('the paths of a failed subgraph call', () => {
  it('names every root field by its response name', () => {
    expect(fieldPathsOf(`query { tariffs { code } mine: services { code } __typename }`, {})).toEqual([['tariffs'], ['mine']]);
  });

  it('names each entity field per representation, fragments included', () => {
    const query = `query ($representations: [_Any!]!) { _entities(representations: $representations) { ... on Subscriber { __typename account { number } bal: account { number } } } }`;
    expect(fieldPathsOf(query, { representations: [{}, {}] })).toEqual([
      ['_entities', 0, 'account'],
      ['_entities', 0, 'bal'],
      ['_entities', 1, 'account'],
      ['_entities', 1, 'bal'],
    ]);
  });

  it('stays bounded for a page of many entities, and names nothing for what it cannot read', () => {
    const query = `query ($representations: [_Any!]!) { _entities(representations: $representations) { ... on Subscriber { account { number } } } }`;
    expect(fieldPathsOf(query, { representations: Array.from({ length: 500 }, () => ({})) })).toHaveLength(50);
    expect(fieldPathsOf('not graphql {', {})).toEqual([]);
    expect(fieldPathsOf(undefined, {})).toEqual([]);
  });
});
