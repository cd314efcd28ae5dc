import { Database, DEMO_PASSWORD, EventTablesMigration, InboxEventEntity, OutboxEventEntity, runSubgraph, createLogger } from '@selfcare/shared';
import { createTestDatabase, createTestPlatform, graphql, registerInternalToken, unregisterInternalToken } from '@selfcare/shared/testing';
import { IdentityCore1764100000000 } from '../src/migrations/1764100000000-identity-core';
import { IdentityFeatures1764200000000 } from '../src/migrations/1764200000000-identity-features';
import { AIGERIM, testIdentitySubgraph } from './support/identity';

/**
 * A database of the release before this one (the core and features migrations) upgrades in place: the migrations keep
 * their class names and `name`s (TypeORM matches them in `schema_migrations`), only the new ones run, and rows written
 * before keep reading — their single text for every reader.
 */
test('an existing database migrates: only the new migrations run, and rows written before still read', async () => {
  const database = await createTestDatabase('identity');
  const t = await createTestPlatform({ now: new Date() });
  try {
    const before = new Database({
      service: 'identity',
      url: database.url,
      entities: [OutboxEventEntity, InboxEventEntity],
      migrations: [EventTablesMigration, IdentityCore1764100000000, IdentityFeatures1764200000000],
      migrateOnOpen: true,
      logger: createLogger('identity', 'warn'),
    });
    await before.open();
    const at = '2026-01-10 10:00:00.000';
    await before.dataSource.query(
      `INSERT INTO activity_entries (id, subscriber_id, actor_id, actor_kind, via_management, channel, action, details, at, source_stream, source_event_id)
       VALUES ('00000000-0000-7000-8000-000000000001', ?, ?, 'SUBSCRIBER', 0, 'WEB', 'CONSENT_WITHDRAWN', 'MARKETING_SMS', '${at}', 'identity', NULL)`,
      [AIGERIM.id, AIGERIM.id],
    );
    await before.dataSource.query(
      `INSERT INTO cabinet_notifications (id, subscriber_id, dedupe_key, title, body, created_at, read_at)
       VALUES ('00000000-0000-7000-8000-000000000002', ?, 'old-notice', 'Старое уведомление', 'Текст', '${at}', NULL)`,
      [AIGERIM.id],
    );
    await before.close();

    const running = await runSubgraph(testIdentitySubgraph(), t.platform, {
      port: 0,
      host: '127.0.0.1',
      databaseUrl: database.url,
      migrateOnOpen: true,
      seedDemoData: true,
      logger: createLogger('identity', 'warn'),
    });
    registerInternalToken(running.url, t.platform.internalToken);
    try {
      expect(running.runtime.database.appliedOnOpen).toEqual(['IdentityKnownAddresses1764300000000', 'IdentityLocalizedTexts1764300000001', 'IdentityTokenRevocations1764400000000']);
      const login = await graphql<{ login: { accessToken: string } }>(running.graphqlUrl, 'mutation ($l: String!, $p: String!) { login(login: $l, password: $p, channel: WEB) { accessToken } }', {
        l: AIGERIM.msisdn,
        p: DEMO_PASSWORD,
      });
      const token = login.data!.login.accessToken;
      for (const language of ['kk', 'en']) {
        const read = await graphql<any>(running.graphqlUrl, '{ me { activity(first: 10) { edges { node { action details } } } notifications(first: 10) { edges { node { title } } } } }', {}, { token, language });
        expect(read.errors).toBeUndefined();
        expect(read.data.me.activity.edges.map((e: { node: unknown }) => e.node)).toContainEqual({ action: 'CONSENT_WITHDRAWN', details: 'MARKETING_SMS' });
        expect(read.data.me.notifications.edges.map((e: { node: { title: string } }) => e.node.title)).toContain('Старое уведомление');
      }
    } finally {
      unregisterInternalToken(running.url);
      await running.stop();
    }
  } finally {
    await t.stop();
    await database.drop();
  }
});
