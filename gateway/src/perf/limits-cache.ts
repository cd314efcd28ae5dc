import type { DocumentNode, GraphQLError, GraphQLSchema } from 'graphql';
import type { OperationLimits } from '@selfcare/shared';

const MAX_SOURCES = 256;
/** Longer operation texts are parsed each time: a cache of attacker-chosen input stays small (256 × 4 KB of text). */
const MAX_SOURCE_LENGTH = 4096;
const MAX_VARIANTS_PER_DOCUMENT = 16;
/** Variables longer than this (as JSON) are measured each time rather than kept as a key. */
const MAX_KEY_LENGTH = 1024;

/**
 * The request limits (depth, aliases, cost…) measured once per operation text and variables instead of on every
 * request: parsing and the armor/complexity rules were ~5 % of the gateway's CPU on the home-screen query, for the
 * few operations front-ends send over and over. The answers are the same (the same document, schema and variables
 * give the same measures); a text that fails to parse and an operation refused are not kept (measured again each
 * time). Bounded: at most MAX_SOURCES short texts, the oldest going first, and MAX_VARIANTS_PER_DOCUMENT accepted
 * variable sets per text.
 */
export function cachedLimits(limits: OperationLimits): OperationLimits {
  const documents = new Map<string, DocumentNode>();
  const verdicts = new WeakMap<DocumentNode, { schema: GraphQLSchema; byKey: Map<string, readonly GraphQLError[]> }>();
  return {
    parse(source) {
      if (source.length > MAX_SOURCE_LENGTH) return limits.parse(source);
      const known = documents.get(source);
      if (known) return known;
      const document = limits.parse(source);
      if (documents.size >= MAX_SOURCES) documents.delete(documents.keys().next().value!);
      documents.set(source, document);
      return document;
    },
    validate(schema, document, variables = {}, operationName) {
      const key = `${operationName ?? ''}\u0000${JSON.stringify(variables)}`;
      if (key.length > MAX_KEY_LENGTH) return limits.validate(schema, document, variables, operationName);
      let entry = verdicts.get(document);
      if (!entry || entry.schema !== schema) {
        entry = { schema, byKey: new Map() };
        verdicts.set(document, entry);
      }
      const known = entry.byKey.get(key);
      if (known) return known;
      const errors = limits.validate(schema, document, variables, operationName);
      if (errors.length) return errors;
      if (entry.byKey.size >= MAX_VARIANTS_PER_DOCUMENT) entry.byKey.delete(entry.byKey.keys().next().value!);
      entry.byKey.set(key, errors);
      return errors;
    },
  };
}
