/**
 * A class, as TypeORM (entities, migrations) and type-graphql (resolvers, object types) take them: what they are
 * given is a constructor, never any function.
 */
export type Class<T extends object = object> = abstract new (...args: never[]) => T;
