import type { Client } from 'graphql-ws';
import { StatementLinks, UsageRecordEntity, defaultLinkSecret } from '@selfcare/detailing';
import { demo, waitFor } from '@selfcare/shared/testing';
import { TestSystem } from '../support/system';
import { pdfText } from '../../subgraphs/detailing/test/support/pdf-text';

/**
 * Statements through the gateway (terms 2.1): ordered as a PDF with `email: true`, followed over graphql-ws and by
 * polling, e-mailed through the development SMTP server, downloaded by the signed link on the gateway's origin and
 * read back as text.
 */
describe('statements through the gateway', () => {
  let t: TestSystem;
  let aigerim: { accessToken: string; subscriberId: string };
  let nurlan: { accessToken: string; subscriberId: string };
  const clients: Client[] = [];
  const DAY_MS = 24 * 60 * 60 * 1000;
  const to = new Date();
  const from = new Date(to.getTime() - 30 * DAY_MS);

  beforeAll(async () => {
    t = await TestSystem.start();
    aigerim = await t.login('+77051234567', 'Demo-2026');
    nurlan = await t.login('+77071112233', 'Demo-2026');
  }, 120_000);
  afterAll(async () => {
    for (const client of clients) await client.dispose();
    await t?.stop();
  });

  const ORDER = `mutation ($subscriberId: ID!, $from: DateTime!, $to: DateTime!, $format: StatementFormat!, $email: Boolean) {
    orderStatement(subscriberId: $subscriberId, from: $from, to: $to, format: $format, email: $email) { id status format downloadUrl }
  }`;
  const STATEMENT = 'query ($id: ID!) { statement(id: $id) { id status downloadUrl failureCode } }';
  const order = (token: string, subscriberId: string, email = true) =>
    t.graphql<{ orderStatement: any }>(ORDER, { subscriberId, from: from.toISOString(), to: to.toISOString(), format: 'PDF', email }, { token, language: 'kk' });

  /** Every event of statementUpdated until the feed ends (or an error). */
  function follow(token: string, id: string): Promise<{ statuses: string[]; error?: unknown }> {
    const client = t.wsClient(token);
    clients.push(client);
    const statuses: string[] = [];
    return new Promise((resolve) => {
      client.subscribe<{ statementUpdated: { status: string } }>(
        { query: 'subscription ($id: ID!) { statementUpdated(id: $id) { id status } }', variables: { id } },
        {
          next: (message) => {
            if (message.data) statuses.push(message.data.statementUpdated.status);
            else resolve({ statuses, error: message.errors });
          },
          error: (error) => resolve({ statuses, error }),
          complete: () => resolve({ statuses }),
        },
      );
    });
  }

  it('orders a PDF with e-mail, follows it to SENT, reads the mail, downloads it through the gateway and finds the usage in Kazakh', async () => {
    const ordered = await order(aigerim.accessToken, aigerim.subscriberId);
    expect(ordered.errors).toBeUndefined();
    const id = ordered.data!.orderStatement.id as string;
    expect(ordered.data!.orderStatement).toMatchObject({ status: 'QUEUED', format: 'PDF', downloadUrl: null });

    // The subscription starts with the statement as it is now and ends with SENT; the states come in order.
    const followed = await follow(aigerim.accessToken, id);
    expect(followed.error).toBeUndefined();
    const order_ = ['QUEUED', 'RUNNING', 'READY', 'SENT'];
    expect(followed.statuses[followed.statuses.length - 1]).toBe('SENT');
    expect(followed.statuses.map((s) => order_.indexOf(s))).toEqual([...followed.statuses.map((s) => order_.indexOf(s))].sort());

    // Polling says the same.
    const polled = await t.graphql<{ statement: any }>(STATEMENT, { id }, { token: aigerim.accessToken });
    expect(polled.data!.statement).toMatchObject({ id, status: 'SENT', failureCode: null });

    // The e-mail (the verified address identity holds) carries a link on the gateway's public origin.
    const mail = await t.waitForMail(demo.aigerim.email!, (m) => m.subject.startsWith('Beeline:'));
    expect(mail.subject).toContain('кезеңінің есебі');
    const link = new RegExp(`(${t.url.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/statements/${id}\\?\\S+)`).exec(mail.text)?.[1];
    expect(link).toBeDefined();

    const response = await fetch(link!);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/pdf');
    const file = Buffer.from(await response.arrayBuffer());
    expect(Number(response.headers.get('content-length'))).toBe(file.length);
    // The link from the query gives the same file (asked now: reading the PDF below may outlast the keep-alive).
    const again = await fetch(polled.data!.statement.downloadUrl);
    expect(again.status).toBe(200);
    expect(Buffer.from(await again.arrayBuffer()).equals(file)).toBe(true);
    const text = (await pdfText(file)).join('\n');
    expect(text).toContain('Көрсетілген қызметтердің толық есебі');
    expect(text).toContain('+77051234567');
    for (const letter of ['ә', 'ғ', 'қ', 'ң', 'ө', 'ұ', 'ү', 'і']) expect(text.toLowerCase()).toContain(letter);
    const rows = (await t.system.subgraphs.detailing.runtime.database.manager.find(UsageRecordEntity, { where: { subscriberId: aigerim.subscriberId } })).filter(
      (r) => r.startedAt >= from && r.startedAt < to,
    );
    expect(rows.length).toBeGreaterThan(0);
    expect(text).toContain(`Жазбалар саны: ${rows.length}`);
    for (const description of new Set(rows.map((r) => r.description.KK))) expect(text).toContain(description);

    // terms 2.4: the order is on the number's activity record, in the reader's language.
    const activity = async () =>
      (await t.graphql<{ me: { activity: { edges: { node: { action: string; details: string | null } }[] } } }>('{ me { activity(first: 20) { edges { node { action details } } } } }', {}, { token: aigerim.accessToken, language: 'ru' })).data?.me.activity.edges ?? [];
    await waitFor(async () => (await activity()).some((e) => e.node.action === 'STATEMENT_ORDERED'), 10_000, 'STATEMENT_ORDERED on the activity record');
    const entry = (await activity()).find((e) => e.node.action === 'STATEMENT_ORDERED')!;
    expect(entry.node.details).toMatch(/^Заказана выписка \(PDF\): \d\d\.\d\d\.\d{4} – \d\d\.\d\d\.\d{4}$/);
  });

  it('refuses tampered and expired links with a JSON error, never the file', async () => {
    const ordered = await order(aigerim.accessToken, aigerim.subscriberId, false);
    const id = ordered.data!.orderStatement.id as string;
    const ready = await waitFor(async () => {
      const answer = await t.graphql<{ statement: any }>(STATEMENT, { id }, { token: aigerim.accessToken });
      return answer.data?.statement?.status === 'READY' ? answer.data.statement : undefined;
    }, 20_000, 'the statement to be READY');
    const url: string = ready.downloadUrl;
    for (const bad of [url.replace(/signature=[0-9a-f]{4}/, 'signature=0000'), url.replace(/expires=(\d+)/, (_, n: string) => `expires=${Number(n) + 1}`), url.split('?')[0]!]) {
      const response = await fetch(bad);
      expect(response.status).toBe(403);
      expect(response.headers.get('content-type')).toMatch(/^application\/json/);
      expect(await response.json()).toMatchObject({ error: { code: 'FORBIDDEN', reason: 'LINK_INVALID' } });
    }
    // A link signed as detailing signs them, whose time ran out.
    const expired = new StatementLinks(defaultLinkSecret(t.system.platform.internalToken), 60, t.url).urlFor(id, new Date(Date.now() - 3_600_000)).url;
    const response = await fetch(expired, { headers: { 'accept-language': 'en' } });
    expect(response.status).toBe(410);
    expect(await response.json()).toEqual({ error: { code: 'FORBIDDEN', reason: 'LINK_EXPIRED', message: 'The link has expired: ask for a new one' } });
  });

  it('refuses another subscriber’s number (FORBIDDEN) and shows nobody else’s statement', async () => {
    const refused = await order(nurlan.accessToken, aigerim.subscriberId);
    expect(refused.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const theirs = (await order(aigerim.accessToken, aigerim.subscriberId, false)).data!.orderStatement.id as string;
    const seen = await t.graphql<{ statement: any }>(STATEMENT, { id: theirs }, { token: nurlan.accessToken });
    expect(seen.errors).toBeUndefined();
    expect(seen.data!.statement).toBeNull();
    const followed = await follow(nurlan.accessToken, theirs);
    expect(followed.statuses).toEqual([]);
    expect(JSON.stringify(followed.error)).toContain('NOT_FOUND');
  });
});
