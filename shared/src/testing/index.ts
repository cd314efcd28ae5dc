/**
 * The testing kit (`@selfcare/shared/testing`): subgraphs run for real on an in-process platform, each on a test
 * database of its own (SQLite, or MariaDB with TEST_DATABASE_URL), driven over real HTTP. Test code only; no
 * product code imports it.
 */
export * from './databases';
export * from './platform';
export * from './http';
export * from './wait';
export * from './outbox';
export * from './clock';
export * from './demo';
export * from './suite';
export * from './context';
