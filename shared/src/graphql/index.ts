export * from './scalars';
export * from './loaders';
export * from './context';
export * from './guards';
export * from './common-types';
export * from './pagination';
export * from './build-subgraph';
export * from './live-feed';
