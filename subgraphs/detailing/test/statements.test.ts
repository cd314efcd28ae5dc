import { In } from 'typeorm';
import { demo, errorCodes, graphql, platformForSuite, waitFor } from '@selfcare/shared/testing';
import { createDelegationSubgraph } from '@selfcare/delegation';
import { StatementChunkEntity, StatementEntity, StatementStatus, UsageKind, UsageRecordEntity, createDetailingSubgraph, createStatements, defaultLinkSecret, maskCounterparty, StatementLinks } from '../src';
import { grantManagement } from '../../delegation/test/support/grants';
import { ManagementRequestEntity, ManagementStatus } from '../../delegation/src/management/entities';
import { pdfText } from './support/pdf-text';

const { aigerim, nurlan, steppe } = demo;

const NOW = new Date('2026-03-15T09:00:00.000Z');
const DAY_MS = 24 * 60 * 60 * 1000;
const FROM = new Date(NOW.getTime() - 31 * DAY_MS).toISOString();
const TO = NOW.toISOString();

const ORDER = `mutation ($subscriberId: ID!, $from: DateTime!, $to: DateTime!, $format: StatementFormat!, $email: Boolean) {
  orderStatement(subscriberId: $subscriberId, from: $from, to: $to, format: $format, email: $email) { id status format from to downloadUrl failureCode email }
}`;
const STATEMENT = 'query ($id: ID!) { statement(id: $id) { id status format downloadUrl downloadUrlExpiresAt failureCode } }';

describe('statements (terms 2.1, 4.3)', () => {
  const { t, delegation, detailing } = platformForSuite(
    { delegation: createDelegationSubgraph, detailing: createDetailingSubgraph },
    { now: NOW, standInIdentity: true },
  );

  const order = (token: string, variables: Record<string, unknown>, language = 'ru') =>
    graphql<{ orderStatement: any }>(detailing.graphqlUrl, ORDER, { from: FROM, to: TO, format: 'PDF', ...variables }, { token, language });
  const statement = (token: string, id: string) => graphql<{ statement: any }>(detailing.graphqlUrl, STATEMENT, { id }, { token });
  const settled = (token: string, id: string) =>
    waitFor(async () => {
      const answer = await statement(token, id);
      const current = answer.data?.statement;
      return current && current.status !== 'QUEUED' && current.status !== 'RUNNING' ? current : undefined;
    }, 15_000, 'the statement to be rendered');
  /** The public link points at the gateway; here detailing answers it itself. */
  const download = (url: string, init: RequestInit = {}) => fetch(url.replace(/^https?:\/\/[^/]+/, detailing.url), init);
  const rowsOf = (subscriberId: string) =>
    detailing.runtime.database.manager.find(UsageRecordEntity, { where: { subscriberId }, order: { startedAt: 'ASC', id: 'ASC' } }).then((rows) => rows.filter((r) => r.startedAt >= new Date(FROM) && r.startedAt < new Date(TO)));

  it('renders a PDF in Kazakh, with Cyrillic and Kazakh letters, every record of the period and its total', async () => {
    const token = await t.tokenFor(aigerim.id);
    const ordered = await order(token, { subscriberId: aigerim.id }, 'kk');
    expect(ordered.errors).toBeUndefined();
    expect(ordered.data!.orderStatement).toMatchObject({ status: 'QUEUED', format: 'PDF', downloadUrl: null, email: false });
    const ready = await settled(token, ordered.data!.orderStatement.id);
    expect(ready).toMatchObject({ status: 'READY', failureCode: null });
    expect(ready.downloadUrl).toMatch(/^http:\/\/127\.0\.0\.1:4000\/statements\/[0-9a-f-]{36}\?expires=\d+&signature=[0-9a-f]{64}$/);

    const response = await download(ready.downloadUrl);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/pdf');
    expect(response.headers.get('content-disposition')).toMatch(/^attachment; filename="statement-.*\.pdf"$/);
    const file = Buffer.from(await response.arrayBuffer());
    expect(file.subarray(0, 5).toString()).toBe('%PDF-');
    const text = (await pdfText(file)).join('\n');
    expect(text).toContain('Көрсетілген қызметтердің толық есебі');
    expect(text).toContain('Күні мен уақыты');
    expect(text).toContain('Ұзақтығы / көлемі');
    for (const letter of ['ә', 'ғ', 'қ', 'ң', 'ө', 'ұ', 'ү', 'і']) expect(text.toLowerCase()).toContain(letter);
    const rows = await rowsOf(aigerim.id);
    expect(rows.length).toBeGreaterThan(100);
    expect(text).toContain(`Жазбалар саны: ${rows.length}`);
    const total = rows.reduce((sum, r) => sum + r.chargeMinor, 0);
    expect(text).toContain(`Барлығы: ${(total / 100).toFixed(2)} ₸`);
    // The owner sees the other parties' numbers in full.
    const call = rows.find((r) => r.kind === UsageKind.CALL && r.counterparty)!;
    expect(text).toContain(call.counterparty!);
  });

  it('renders CSV: a header and one line per record, spreadsheet formulas neutralised, kept in 256 KiB chunks', async () => {
    const token = await t.tokenFor(nurlan.id);
    const manager = detailing.runtime.database.manager;
    const evil = Object.assign(new UsageRecordEntity(), {
      ...(await rowsOf(nurlan.id))[0]!,
      id: '00000000-0000-4000-8000-00000000e411',
      sourceRef: 'test:csv-injection',
      counterparty: '=HYPERLINK("http://evil.example","x")',
      description: { KK: '@SUM(A1)', RU: '+cmd|calc', EN: '-2+3' },
    });
    await manager.insert(UsageRecordEntity, evil);
    const ordered = await order(token, { subscriberId: nurlan.id, format: 'CSV' }, 'en');
    const ready = await settled(token, ordered.data!.orderStatement.id);
    const response = await download(ready.downloadUrl);
    expect(response.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    const csv = await response.text();
    const lines = csv.replace(/^\ufeff/, '').split('\r\n').filter(Boolean);
    expect(lines[0]).toBe('Date and time,Kind,Direction,Number / service,Duration / volume,Roaming,Description,"Amount, ₸"');
    expect(lines.length - 1).toBe((await rowsOf(nurlan.id)).length);
    const line = lines.find((l) => l.includes('HYPERLINK'))!;
    expect(line).toContain(`"'=HYPERLINK(""http://evil.example"",""x"")"`);
    expect(line).toContain("'-2+3");
    const chunks = await manager.find(StatementChunkEntity, { where: { statementId: ready.id } });
    expect(chunks.length).toBeGreaterThan(0);
    expect(chunks.every((c) => c.data.length <= 256 * 1024)).toBe(true);
    await manager.delete(UsageRecordEntity, { id: evil.id });
  });

  it('lets a manager order the managed number’s statement, counterparties masked; each sees only what they ordered', async () => {
    const managerId = steppe.id;
    const grant = await grantManagement(delegation, managerId, aigerim.id, aigerim.msisdn!);
    const managerToken = await t.tokenFor(managerId);
    const ownerToken = await t.tokenFor(aigerim.id);
    const ordered = await order(managerToken, { subscriberId: aigerim.id, format: 'CSV' }, 'en');
    expect(ordered.errors).toBeUndefined();
    const ready = await settled(managerToken, ordered.data!.orderStatement.id);
    const csv = await (await download(ready.downloadUrl)).text();
    const call = (await rowsOf(aigerim.id)).find((r) => r.kind === UsageKind.CALL && r.counterparty)!;
    expect(csv).not.toContain(call.counterparty!);
    expect(csv).toContain(maskCounterparty(call.counterparty)!);
    // The owner does not see the manager's statement, nor the manager the owner's.
    expect((await statement(ownerToken, ready.id)).data!.statement).toBeNull();
    const own = await order(ownerToken, { subscriberId: aigerim.id, format: 'CSV' });
    expect((await statement(managerToken, own.data!.orderStatement.id)).data!.statement).toBeNull();
    await settled(ownerToken, own.data!.orderStatement.id);
    // Subscriber.statements lists each caller's own.
    const list = await graphql<{ _entities: any[] }>(
      detailing.graphqlUrl,
      'query ($r: [_Any!]!) { _entities(representations: $r) { ... on Subscriber { statements(first: 10) { edges { node { id } } } } } }',
      { r: [{ __typename: 'Subscriber', id: aigerim.id }] },
      { token: managerToken },
    );
    expect(list.data!._entities[0].statements.edges.map((e: any) => e.node.id)).toEqual([ready.id]);
    // Nor through the gateway's entity lookup.
    const asEntity = await graphql<{ _entities: any[] }>(
      detailing.graphqlUrl,
      'query ($r: [_Any!]!) { _entities(representations: $r) { ... on Statement { id downloadUrl } } }',
      { r: [{ __typename: 'Statement', id: ready.id }] },
      { token: ownerToken },
    );
    expect(asEntity.data!._entities).toEqual([null]);
    // terms 4.4: once the grant ends, the manager's own statement of the number is gone from view too.
    await delegation.runtime.database.manager.update(ManagementRequestEntity, { id: grant.id }, { status: ManagementStatus.REVOKED });
    expect((await statement(managerToken, ready.id)).data!.statement).toBeNull();
    expect(errorCodes(await order(managerToken, { subscriberId: aigerim.id }))).toEqual(['FORBIDDEN']);
  });

  it('refuses another subscriber’s number, a bad period, and links that are tampered with or expired', async () => {
    const token = await t.tokenFor(nurlan.id);
    expect(errorCodes(await order(token, { subscriberId: aigerim.id }))).toEqual(['FORBIDDEN']);
    expect(errorCodes(await order(token, { subscriberId: 'x'.repeat(5000) }))).toEqual(['FORBIDDEN']);
    const tooLong = await order(token, { subscriberId: nurlan.id, from: new Date(NOW.getTime() - 93 * DAY_MS).toISOString() });
    expect(errorCodes(tooLong)).toEqual(['BAD_USER_INPUT']);
    expect(tooLong.errors![0]!.extensions!.field).toBe('from');
    expect(errorCodes(await order(token, { subscriberId: nurlan.id, from: TO, to: FROM }))).toEqual(['BAD_USER_INPUT']);
    expect(errorCodes(await order(token, { subscriberId: nurlan.id, format: 'DOCX' }))).toEqual(['BAD_USER_INPUT']);

    const ready = await settled(token, (await order(token, { subscriberId: nurlan.id, format: 'CSV' })).data!.orderStatement.id);
    const url = new URL(ready.downloadUrl);
    const tampered = [
      ready.downloadUrl.replace(/signature=(.)/, (_: string, c: string) => `signature=${c === 'a' ? 'b' : 'a'}`),
      ready.downloadUrl.replace(/expires=(\d+)/, (_: string, n: string) => `expires=${Number(n) + 3600}`),
      ready.downloadUrl.replace(url.pathname, `/statements/${'0'.repeat(8)}-0000-4000-8000-${'0'.repeat(12)}`),
      ready.downloadUrl.replace(/&signature=.*/, ''),
      `${ready.downloadUrl}x`,
    ];
    for (const link of tampered) {
      const response = await download(link);
      expect(response.status).toBe(403);
      expect(await response.json()).toMatchObject({ error: { code: 'FORBIDDEN', reason: 'LINK_INVALID' } });
    }
    t.clock.advance(24 * 60 * 60 * 1000 + 1000);
    try {
      const expired = await download(ready.downloadUrl);
      expect(expired.status).toBe(410);
      expect(await expired.json()).toMatchObject({ error: { code: 'FORBIDDEN', reason: 'LINK_EXPIRED' } });
      // A fresh read gives a fresh link.
      const again = (await statement(token, ready.id)).data!.statement;
      expect((await download(again.downloadUrl)).status).toBe(200);
    } finally {
      t.clock.set(NOW);
    }
  });

  it('e-mails nothing and keeps the file downloadable when identity has no address to give', async () => {
    // Identity is a stand-in here (it answers no internal route): the e-mail cannot be sent; after the retries the
    // statement stays READY with EMAIL_UNDELIVERABLE, and nothing was sent.
    const token = await t.tokenFor(nurlan.id);
    const ordered = await order(token, { subscriberId: nurlan.id, format: 'CSV', email: true });
    const id = ordered.data!.orderStatement.id;
    await waitFor(async () => {
      const row = await detailing.runtime.database.manager.findOneBy(StatementEntity, { id });
      if (row?.status === StatementStatus.READY && row.emailPending) {
        t.clock.advance(15 * 60 * 1000);
        return undefined;
      }
      return row?.status === StatementStatus.READY && !row.emailPending ? row : undefined;
    }, 15_000, 'the e-mail to be given up');
    t.clock.set(NOW);
    const current = (await statement(token, id)).data!.statement;
    expect(current).toMatchObject({ status: 'READY', failureCode: 'EMAIL_UNDELIVERABLE' });
    expect(t.sentEmail).toEqual([]);
    expect((await download(current.downloadUrl)).status).toBe(200);
  });
});

describe('statement jobs', () => {
  // concurrency 0: this process takes orders but renders nothing, so open jobs stay open for the test.
  const { t, detailing } = platformForSuite({ detailing: () => createDetailingSubgraph({ statements: { concurrency: 0 } }) }, { now: NOW, standInIdentity: true });
  const order = (token: string) => graphql<{ orderStatement: any }>(detailing.graphqlUrl, ORDER, { subscriberId: aigerim.id, from: FROM, to: TO, format: 'CSV' }, { token });

  it('caps open statements per subscriber exactly, concurrent orders included (RATE_LIMITED)', async () => {
    const token = await t.tokenFor(aigerim.id);
    const answers = await Promise.all(Array.from({ length: 9 }, () => order(token)));
    const ok = answers.filter((a) => !a.errors);
    expect(ok).toHaveLength(5);
    const refused = answers.filter((a) => a.errors);
    expect(refused.map((a) => errorCodes(a)[0])).toEqual(Array(4).fill('RATE_LIMITED'));
    expect(refused[0]!.errors![0]!.extensions).toMatchObject({ limit: 'openStatements', max: 5 });
    const open = await detailing.runtime.database.manager.find(StatementEntity, { where: { orderedBy: aigerim.id, status: In([StatementStatus.QUEUED]) } });
    expect(new Set(open.map((r) => r.openSlot))).toEqual(new Set([0, 1, 2, 3, 4]));
  });

  it('refuses to hand over a statement that is not rendered yet, even by a rightly signed link (409)', async () => {
    const row = (await detailing.runtime.database.manager.find(StatementEntity, { where: { orderedBy: aigerim.id, status: StatementStatus.QUEUED } }))[0]!;
    const link = new StatementLinks(defaultLinkSecret(t.platform.internalToken), 60, detailing.url).urlFor(row.id, t.clock.now()).url;
    const response = await fetch(link);
    expect(response.status).toBe(409);
    expect(await response.json()).toMatchObject({ error: { code: 'CONFLICT', reason: 'NOT_READY' } });
  });

  it('is taken up by another runner: QUEUED jobs and RUNNING ones whose lease ran out (a crash), and the slots free again', async () => {
    const manager = detailing.runtime.database.manager;
    const open = await manager.find(StatementEntity, { where: { orderedBy: aigerim.id, status: StatementStatus.QUEUED } });
    // One was being rendered by a process that died: RUNNING, its lease over, half a file left behind.
    const crashed = open[0]!;
    await manager.update(StatementEntity, { id: crashed.id }, { status: StatementStatus.RUNNING, leaseToken: 'dead', leaseUntil: new Date(NOW.getTime() - 1000), attempts: 1 });
    await manager.insert(StatementChunkEntity, { statementId: crashed.id, seq: 0, data: Buffer.from('partial') });
    const replica = createStatements(detailing.runtime, { concurrency: 2 });
    replica.jobs.start();
    try {
      await waitFor(async () => {
        const rows = await manager.find(StatementEntity, { where: { orderedBy: aigerim.id } });
        return rows.every((r) => r.status === StatementStatus.READY) ? rows : undefined;
      }, 20_000, 'every job to be rendered');
      const rows = await manager.find(StatementEntity, { where: { orderedBy: aigerim.id } });
      expect(rows.every((r) => r.openSlot === null && r.rowCount! > 100)).toBe(true);
      const chunks = await manager.find(StatementChunkEntity, { where: { statementId: crashed.id } });
      expect(chunks[0]!.data.subarray(0, 3)).toEqual(Buffer.from('\ufeff'));
      const token = await t.tokenFor(aigerim.id);
      expect(errorCodes(await order(token))).toEqual([]);
    } finally {
      await replica.jobs.stop();
    }
  });
});
