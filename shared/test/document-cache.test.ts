import { GraphQLError, parse } from 'graphql';
import { DocumentCache } from '../src';

describe('document cache', () => {
  const valid = () => [] as GraphQLError[];

  it('parses and validates a source once, and shares the document', () => {
    const cache = new DocumentCache();
    let parses = 0;
    const counted = (source: string) => ((parses += 1), parse(source));
    const a = cache.get('subscription { a }', counted, valid);
    const b = cache.get('subscription { a }', counted, valid);
    expect(b.document).toBe(a.document);
    expect(parses).toBe(1);
  });

  it('keeps neither failures, nor long sources, and holds at most its size', () => {
    const cache = new DocumentCache(2, 50);
    let parses = 0;
    const counted = (source: string) => ((parses += 1), parse(source));
    const invalid = () => [new GraphQLError('no')];
    cache.get('{ a }', counted, invalid);
    cache.get('{ a }', counted, invalid);
    expect(() => cache.get('{ a', counted, valid)).toThrow();
    const long = `{ a(x: "${'x'.repeat(100)}") }`;
    cache.get(long, counted, valid);
    cache.get(long, counted, valid);
    expect(parses).toBe(5);
    for (const source of ['{ b }', '{ c }', '{ d }']) cache.get(source, counted, valid);
    cache.get('{ b }', counted, valid); // evicted (oldest of three in a cache of two)
    expect(parses).toBe(9);
  });
});
