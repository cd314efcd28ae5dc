import 'reflect-metadata';
import { GraphQLEnumType, GraphQLResolveInfo, GraphQLSchema, parse, specifiedDirectives } from 'graphql';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { printSchemaWithDirectives } from '@graphql-tools/utils';
import { buildSchema, createResolversMap, NonEmptyArray } from 'type-graphql';
import type { GraphQLContext } from './context';
import { DateTimeScalar } from './scalars';
import { ERROR_CODE_DESCRIPTION } from './common-types';
import { ErrorCode } from '../errors/error-code';
import type { Class } from '../types';

/**
 * The contract's ErrorCode in every subgraph's SDL, so the supergraph (and front-end code generators) carry it.
 * No field returns it — it types `extensions.code` — so it composes as an enum no field uses: identical in every
 * subgraph, one definition here.
 */
export const ErrorCodeType = new GraphQLEnumType({
  name: 'ErrorCode',
  description: ERROR_CODE_DESCRIPTION,
  values: Object.fromEntries(Object.values(ErrorCode).map((code) => [code, { value: code }])),
});

export const FEDERATION_LINK =
  'extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key", "@shareable", "@external", "@requires", "@provides", "@inaccessible", "@tag", "@override", "@interfaceObject"])';

/** An entity's representation as the gateway sends it: its key fields (every entity here is keyed by `id`). */
export type EntityReference = { id: string } & Record<string, unknown>;

export type ReferenceResolvers = Record<string, { __resolveReference: (reference: EntityReference, context: GraphQLContext, info: GraphQLResolveInfo) => unknown }>;

export interface SubgraphSchemaOptions {
  resolvers: NonEmptyArray<Class>;
  /** Entity types reached only through field resolvers; without them they silently vanish from composition. */
  orphanedTypes?: Class[];
  /** `__resolveReference` per entity type name. */
  referenceResolvers?: ReferenceResolvers;
}

/**
 * type-graphql classes → printed SDL with directives → Federation 2 subgraph schema.
 * The resolvers come from type-graphql's resolver map, plus the entities' `__resolveReference`.
 */
export async function buildFederatedSchema(options: SubgraphSchemaOptions): Promise<GraphQLSchema> {
  const typeGraphQLSchema = await buildSchema({
    resolvers: options.resolvers,
    orphanedTypes: options.orphanedTypes ?? [],
    scalarsMap: [{ type: Date, scalar: DateTimeScalar }],
    directives: [...specifiedDirectives],
    validate: false,
    skipCheck: true,
    // Subscriptions here give their own `subscribe` (a feed over the service's database, see liveFeed);
    // type-graphql still wants a PubSub, which must never be reached.
    pubSub: {
      publish() {
        throw new Error('topic-based subscriptions are not used: give @Subscription a `subscribe` function');
      },
      subscribe() {
        throw new Error('topic-based subscriptions are not used: give @Subscription a `subscribe` function');
      },
    },
  });
  const config = typeGraphQLSchema.toConfig();
  const withErrorCode = typeGraphQLSchema.getType('ErrorCode') ? typeGraphQLSchema : new GraphQLSchema({ ...config, types: [...config.types, ErrorCodeType] });
  const typeDefs = parse(`${FEDERATION_LINK}\n\n${printSchemaWithDirectives(withErrorCode)}`);
  const resolverMap = createResolversMap(typeGraphQLSchema) as Record<string, Record<string, unknown>>;
  for (const [typeName, reference] of Object.entries(options.referenceResolvers ?? {})) {
    resolverMap[typeName] = { ...(resolverMap[typeName] ?? {}), __resolveReference: reference.__resolveReference };
  }
  return buildSubgraphSchema({ typeDefs, resolvers: resolverMap as never });
}
