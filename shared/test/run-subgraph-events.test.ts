import { IsNull } from 'typeorm';
import { z } from 'zod';
import { GraphQLObjectType, GraphQLSchema, GraphQLString } from 'graphql';
import {
  InProcessEventBus,
  Language,
  localJwksSource,
  ManualClock,
  MemoryRevocationStore,
  OutboxEventEntity,
  PlatformServices,
  RunningSubgraph,
  ServiceDirectory,
  SmsMessage,
  SubgraphDefinition,
  defineEvents,
  runSubgraph,
} from '../src';
import { createTestDatabase, TestDatabase } from '../src/testing/databases';
import { waitFor } from '../src/testing/wait';
import { TestApplied, TestChange, TestTables1764000000001, recordApplied, silentLogger } from './event-fixtures';

const schema = new GraphQLSchema({
  query: new GraphQLObjectType({ name: 'Query', fields: { ok: { type: GraphQLString, resolve: () => 'ok' } } }),
});

/** A stand-in for billing's contract: the one event this test publishes and consumes. */
const paymentEvents = defineEvents('billing', { PaymentReceived: z.object({ index: z.number().int(), label: z.string() }) });

const definition = (name: 'billing' | 'detailing', setup?: SubgraphDefinition['setup']): SubgraphDefinition => ({
  name,
  entities: [TestChange, TestApplied],
  migrations: [TestTables1764000000001],
  keySource: () => localJwksSource([]),
  grantSource: () => ({ managedBy: async (_manager, ids) => ids.map(() => false) }),
  setup: setup ?? (async () => ({ schema })),
});

/** The wiring in runSubgraph: outbox in the runtime, relay poked after commit, consumers per stream, ordered shutdown. */
describe('events and notifications wired by runSubgraph (embedded default)', () => {
  const databases: TestDatabase[] = [];
  const running: RunningSubgraph[] = [];
  afterEach(async () => {
    for (const service of running.splice(0).reverse()) await service.stop();
    for (const db of databases.splice(0)) await db.drop();
  });

  it('delivers a committed event to the consuming service and sends the queued SMS, without waiting for a poll', async () => {
    const sent: SmsMessage[] = [];
    const bus = new InProcessEventBus();
    const platform: PlatformServices = {
      mode: 'all-in-one',
      production: false,
      bus,
      revocations: new MemoryRevocationStore(900_000),
      sms: { send: async (message) => void sent.push(message) },
      email: { send: async () => undefined },
      directory: new ServiceDirectory(),
      internalToken: 'internal-test-token',
      clock: new ManualClock(new Date('2026-02-01T08:00:00Z')),
      tokenIssuer: 'selfcare-test',
      accessTokenTtlSeconds: 900,
      publicUrl: 'http://127.0.0.1',
      // Only the after-commit poke can deliver within the test's time.
      relayPollMs: 600_000,
    };
    const open = async (def: SubgraphDefinition) => {
      const db = await createTestDatabase(def.name);
      databases.push(db);
      const service = await runSubgraph(def, platform, { port: 0, host: '127.0.0.1', databaseUrl: db.url, migrateOnOpen: true, seedDemoData: false, logger: silentLogger });
      running.push(service);
      return service;
    };
    const billing = await open(definition('billing'));
    const detailing = await open(
      definition('detailing', async (runtime) => {
        runtime.consume(paymentEvents, { PaymentReceived: (_payment, manager, event) => recordApplied(event, manager) });
        return { schema };
      }),
    );

    const { database, notifications } = billing.runtime;
    const outbox = billing.runtime.outboxFor(paymentEvents);
    await database.transaction(async (manager) => {
      await manager.insert(TestChange, { id: '00000000-0000-4000-8000-000000000001', label: 'top-up' });
      await outbox.add(manager, 'PaymentReceived', { index: 0, label: 'top-up' });
      await notifications.sms(manager, { to: '+77051234567', language: Language.RU, texts: { KK: 'Толтырылды {amount}', RU: 'Пополнено {amount}', EN: 'Topped up {amount}' }, params: { amount: '1 000 ₸' } });
    });

    await waitFor(async () => (await detailing.runtime.database.manager.count(TestApplied)) === 1 && sent.length === 1, 10_000, 'delivery');
    const [applied] = await detailing.runtime.database.manager.find(TestApplied);
    expect(applied!.label).toBe('top-up');
    expect(sent[0]).toMatchObject({ from: 'Beeline', to: '+77051234567', text: 'Пополнено 1 000 ₸' });
    // The SMS row is marked right after the send; wait for that write too.
    await waitFor(async () => (await database.manager.count(OutboxEventEntity, { where: { publishedAt: IsNull() } })) === 0, 5_000, 'rows marked');
    const rows = await database.manager.find(OutboxEventEntity, { order: { id: 'ASC' } });
    expect(rows.map((r) => r.type)).toEqual(['PaymentReceived', 'notification.sms']);
    expect(rows.every((r) => r.publishedAt instanceof Date)).toBe(true);
    expect(rows.map((r) => r.occurredAt.toISOString())).toEqual(['2026-02-01T08:00:00.000Z', '2026-02-01T08:00:00.000Z']);
  });
});
