/** One jest run for unit, integration and end-to-end tests of every workspace. */
const workspaces = {
  shared: 'shared',
  gateway: 'gateway',
  identity: 'subgraphs/identity',
  catalog: 'subgraphs/catalog',
  billing: 'subgraphs/billing',
  detailing: 'subgraphs/detailing',
  delegation: 'subgraphs/delegation',
};

module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/shared', '<rootDir>/gateway', '<rootDir>/subgraphs', '<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/', '/dist/'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { isolatedModules: true, tsconfig: '<rootDir>/tsconfig.test.json' }],
  },
  moduleNameMapper: Object.fromEntries(
    Object.entries(workspaces).flatMap(([name, dir]) => [
      [`^@selfcare/${name}$`, `<rootDir>/${dir}/src/index.ts`],
      [`^@selfcare/${name}/(.*)$`, `<rootDir>/${dir}/src/$1`],
    ]),
  ),
  setupFiles: ['<rootDir>/test/setup-env.js'],
  testTimeout: 60_000,
  maxWorkers: 2,
  reporters: ['default', '<rootDir>/test/support/summary-reporter.js'],
};
