import type { DocumentNode, GraphQLError } from 'graphql';

/**
 * Parsed and validated documents by their source text. Subscriptions hold their document for as long as they live,
 * and a parsed document keeps every token of its source: thousands of clients sending the same subscription would
 * each hold a copy (~10 KB) — shared here instead, and parsed and validated once. Failures are not kept, nor are
 * long sources (a client sending many distinct large documents must not fill memory through the cache).
 */
export class DocumentCache {
  private readonly entries = new Map<string, { document: DocumentNode; errors: readonly GraphQLError[] }>();

  constructor(
    private readonly size = 1000,
    private readonly maxSourceLength = 8 * 1024,
  ) {}

  /**
   * The document of `source` and its validation errors; `parse` may throw (a syntax error), which is not cached,
   * nor is a document that fails validation.
   */
  get(source: string, parse: (source: string) => DocumentNode, validate: (document: DocumentNode) => readonly GraphQLError[]): { document: DocumentNode; errors: readonly GraphQLError[] } {
    const cached = this.entries.get(source);
    if (cached) {
      // Map order is insertion order: re-inserting keeps the most used documents out of eviction.
      this.entries.delete(source);
      this.entries.set(source, cached);
      return cached;
    }
    const document = parse(source);
    const errors = validate(document);
    if (errors.length > 0 || source.length > this.maxSourceLength) return { document, errors };
    const entry = { document, errors };
    this.entries.set(source, entry);
    if (this.entries.size > this.size) this.entries.delete(this.entries.keys().next().value!);
    return entry;
  }
}
