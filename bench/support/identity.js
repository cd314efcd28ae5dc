// The identity subgraph alone in this process, for bench/identity-login.js and bench/identity-broadcast.js.
'use strict';
const shared = require('@selfcare/shared');
const { createIdentitySubgraph } = require('@selfcare/identity');

/** A transport that is used anyway means the benchmark measures the wrong thing. */
const unexpected = (benchmark, what) => ({
  send: async () => {
    throw new Error(`the ${benchmark} benchmark sent ${what}`);
  },
});

/**
 * Runs identity for real on `databaseUrl` (migrated on open) with the all-in-one platform's parts: in-process bus,
 * memory revocation store, system clock; SMS and e-mail transports that refuse to send.
 * `identity`: options of createIdentitySubgraph besides the signing key (a fresh one).
 */
/** Subgraphs answer GraphQL only with the internal token, as the gateway sends it. */
const BENCH_INTERNAL_TOKEN = 'bench-internal-token-0123456789';

async function startIdentity({ benchmark, identity, databaseUrl, seedDemoData }) {
  const platform = {
    mode: 'all-in-one',
    production: false,
    bus: new shared.InProcessEventBus(),
    revocations: new shared.MemoryRevocationStore(900_000),
    sms: unexpected(benchmark, 'an SMS'),
    email: unexpected(benchmark, 'an e-mail'),
    directory: new shared.ServiceDirectory(),
    internalToken: BENCH_INTERNAL_TOKEN,
    clock: shared.systemClock,
    tokenIssuer: 'selfcare-identity',
    accessTokenTtlSeconds: 900,
    publicUrl: 'http://127.0.0.1:4000',
    relayPollMs: 500,
  };
  const definition = createIdentitySubgraph({ signingKey: shared.signingKeyFromPem(shared.generateSigningKeyPem()), ...identity });
  const running = await shared.runSubgraph(definition, platform, {
    port: 0,
    host: '127.0.0.1',
    databaseUrl,
    migrateOnOpen: true,
    seedDemoData,
    logger: shared.createLogger('identity', 'error'),
  });
  return {
    running,
    async stop() {
      await running.stop();
      await platform.bus.close();
    },
  };
}

module.exports = { BENCH_INTERNAL_TOKEN, startIdentity };
