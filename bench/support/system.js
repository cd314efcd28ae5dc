/**
 * The all-in-one system for a benchmark: on MariaDB with BENCH_DATABASE_URL (databases of its own, dropped afterwards),
 * else on SQLite files in a temporary folder. `options` go to startSystem (billing, relayPollMs, subscriptions…).
 */
const { mkdtempSync, rmSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');
const { startSystem, SUBGRAPH_NAMES } = require('../../gateway/dist/system');
const { createTestDatabase } = require('../../shared/dist/testing/databases');

async function startBenchSystem(label, options = {}) {
  const dataDir = mkdtempSync(join(tmpdir(), `bench-${label}-`));
  const databases = [];
  const databaseUrls = {};
  if (process.env.BENCH_DATABASE_URL) {
    process.env.TEST_DATABASE_URL = process.env.BENCH_DATABASE_URL;
    for (const name of SUBGRAPH_NAMES) {
      const db = await createTestDatabase(name);
      databases.push(db);
      databaseUrls[name] = db.url;
    }
  }
  const system = await startSystem({
    gatewayPort: 0,
    subgraphPorts: Object.fromEntries(SUBGRAPH_NAMES.map((name) => [name, 0])),
    host: '127.0.0.1',
    dataDir,
    databaseUrls,
    logLevel: 'error',
    ...options,
  });
  return {
    system,
    dataDir,
    async stop() {
      await system.stop();
      for (const db of databases) await db.drop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

module.exports = { startBenchSystem };
