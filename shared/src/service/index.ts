export * from './clock';
export * from './directory';
export * from './internal-http';
export * from './access-policy';
export * from './grant-watch';
export * from './run-subgraph';
export * from './platform-config';
export * from './process';
