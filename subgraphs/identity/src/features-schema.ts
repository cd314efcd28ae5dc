/** Entities and migrations of the identity features module, merged into the subgraph definition by the core. */
// eslint-disable-next-line @typescript-eslint/ban-types
export const featureEntities: Function[] = [];
// eslint-disable-next-line @typescript-eslint/ban-types
export const featureMigrations: Function[] = [];
