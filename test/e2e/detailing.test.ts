import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { eventually, suiteFixture } from '@selfcare/shared/testing';
import { TestSystem } from '../support/system';
import { expectLedgerConsistent, ledgerOf, loginDemo, provisionLine, staffToken } from '../support/orders';

const CLI = join(__dirname, '../../subgraphs/detailing/dist/ingest/import-cli.js');
const MB = 1024 * 1024;

/** Runs `npm run usage:import -- <file>` as the operator would: its exit code and what it printed. */
function runImport(t: TestSystem, file: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [CLI, file],
      { env: { PATH: process.env.PATH, DETAILING_URL: t.system.subgraphs.detailing.url, INTERNAL_API_TOKEN: t.system.platform.internalToken, USAGE_IMPORT_CHUNK: '3' } },
      (error, stdout, stderr) => resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

const csvCell = (value: unknown) => (value === undefined || value === null ? '' : /[",]/.test(String(value)) ? `"${String(value).replace(/"/g, '""')}"` : String(value));

/**
 * The usage pipeline end to end (terms 2.1, 2.10, 3.3): a CSV file from the network side imported by the CLI, rated
 * against the line's tariff at the time of use, its charges posted to billing's ledger and pushed by balanceChanged,
 * the usage paged, summed and broken down by Almaty day through the gateway.
 */
describe('usage pipeline through the gateway', () => {
  // A short charge window, so the test sees the window post (the default is a minute).
  const t = suiteFixture(() => TestSystem.start({ detailing: { chargeWindowMs: 1_000 } }));
  const dir = mkdtempSync(join(tmpdir(), 'usage-csv-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('imports a CSV with good and bad rows, rates it (the package ends mid-call, roaming app traffic charged, home app traffic free), posts the charges and pages through the usage', async () => {
    const aigerim = await loginDemo(t, 'aigerim');
    const token = aigerim.accessToken;
    const allowances = async () => (await t.graphql<any>(`{ me { allowances { unit included used left } } }`, {}, { token })).data.me.allowances as { unit: string; used: number; left: number }[];
    const minutes = (await allowances()).find((a) => a.unit === 'MINUTES')!;
    expect(minutes.left).toBeGreaterThan(2);

    // Newest ledger entry first, then the subscription after it: the usage's charge is the next event.
    const head = await t.graphql<any>(`{ me { account { entries(first: 1) { edges { cursor } } } } }`, {}, { token });
    const ws = t.wsClient(token);
    const events = ws.iterate<any>({
      query: `subscription ($id: ID!, $after: String) { balanceChanged(subscriberId: $id, after: $after) { delta { amount } entry { kind description } } }`,
      variables: { id: aigerim.subscriberId, after: head.data.me.account.entries.edges[0].cursor },
    });
    const firstEvent = events.next();

    // The last 20 minutes: the demo seed's usage ends two hours before the system started.
    const base = Date.now() - 20 * 60_000;
    const at = (minute: number) => new Date(base + minute * 60_000).toISOString();
    const run = randomUUID().slice(0, 8);
    const header = 'source_ref,line,kind,started_at,direction,counterparty,seconds,bytes,roaming,roaming_country,app,amount,description';
    const row = (r: Record<string, unknown>) => header.split(',').map((c) => csvCell(r[c])).join(',');
    const line = aigerim.line.msisdn;
    const lines = [
      header,
      row({ source_ref: `${run}-1`, line, kind: 'CALL', started_at: at(0), direction: 'OUTGOING', counterparty: '+77011234567', seconds: (minutes.left - 2) * 60 }),
      row({ source_ref: `${run}-2`, line, kind: 'CALL', started_at: at(1), direction: 'OUTGOING', counterparty: '+77011234567', seconds: 290 }), // 5 minutes: 2 left in the package, 3 × 25.00
      row({ source_ref: `${run}-3`, line, kind: 'DATA', started_at: at(2), counterparty: 'My Beeline', bytes: 3 * MB, roaming: 'true', roaming_country: 'TR', app: 'MY_BEELINE' }), // 3 × 490.00 (EUROPE)
      row({ source_ref: `${run}-4`, line, kind: 'DATA', started_at: at(3), counterparty: 'My Beeline', bytes: 40 * MB, app: 'MY_BEELINE' }), // free at home
      row({ source_ref: `${run}-5`, line: '+77009990011', kind: 'SMS', started_at: at(4), direction: 'OUTGOING' }),
      row({ source_ref: `${run}-6`, line, kind: 'SMS', started_at: new Date(Date.now() + 3_600_000).toISOString(), direction: 'OUTGOING' }),
      `${run}-7,${line},CALL,"${at(5)},OUTGOING`,
      row({ source_ref: `${run}-2`, line, kind: 'CALL', started_at: at(1), direction: 'OUTGOING', counterparty: '+77011234567', seconds: 290 }),
      row({ source_ref: `${run}-8`, line, kind: 'CALL', started_at: at(6), direction: 'INCOMING', counterparty: '+77019876543', seconds: 3_600 }),
    ];
    const file = join(dir, 'usage.csv');
    writeFileSync(file, lines.join('\r\n') + '\r\n');
    const imported = await runImport(t, file);
    expect(imported.stderr).toBe('');
    expect(imported.code).toBe(2);
    expect(imported.stdout.trim().split('\n')).toEqual([
      `line 6: UNKNOWN_NUMBER (line) ${run}-5`,
      `line 7: IN_FUTURE (startedAt) ${run}-6`,
      'line 8: INVALID (row)',
      '9 rows: 5 stored, 0 corrected, 1 already known, 3 refused',
    ]);

    // Rated: the package's last two minutes taken by the second call, the rest of it paid; the app free at home only.
    const usage = await t.graphql<any>(
      `query ($from: DateTime!, $to: DateTime!) { me { usage(from: $from, to: $to, first: 10) { edges { node { kind direction seconds bytes roaming zeroRated charge { amount } description } } } } }`,
      { from: at(-1), to: new Date(Date.now() + 1000).toISOString() },
      { token },
    );
    expect(usage.errors).toBeUndefined();
    expect(usage.data.me.usage.edges.map((e: any) => [e.node.kind, e.node.charge.amount, e.node.zeroRated])).toEqual([
      ['CALL', '0.00', false],
      ['DATA', '0.00', true],
      ['DATA', '1470.00', false],
      ['CALL', '75.00', false],
      ['CALL', '0.00', false],
    ]);
    expect((await allowances()).find((a) => a.unit === 'MINUTES')).toMatchObject({ used: minutes.used + minutes.left, left: 0 });

    // Within the charge window the day's charges reach the ledger as one entry (two if the 20 minutes straddle Almaty's
    // midnight), and balanceChanged pushes it.
    const usageOf = (l: Awaited<ReturnType<typeof ledgerOf>>) => l.entries.filter((e) => e.reference?.startsWith(`usage:${aigerim.subscriberId}:`));
    const charged = await eventually(() => ledgerOf(t, aigerim.subscriberId), (l) => usageOf(l).reduce((s, e) => s + e.amountMinor, 0) === -154_500);
    expectLedgerConsistent(charged);
    const usageEntries = usageOf(charged);
    expect(usageEntries.length).toBeLessThanOrEqual(2);
    expect(usageEntries.every((e) => e.kind === 'CHARGE' && /^Услуги связи за \d\d\.\d\d\.\d{4}$/.test(e.description.RU))).toBe(true);
    const pushed = (await firstEvent).value.data.balanceChanged;
    expect(pushed.entry.kind).toBe('CHARGE');
    expect(pushed.entry.description).toMatch(/^Услуги связи за /);
    expect(usageEntries.map((e) => (e.amountMinor / 100).toFixed(2))).toContain(pushed.delta.amount);
    await ws.dispose();

    // usageSummary of the period matches the ledger's usage entries of the same period to the tiyn (an entry is timed
    // at its Almaty day's latest usage).
    const from = at(-1);
    const to = new Date(Date.now() + 1000).toISOString();
    const summary = await t.graphql<any>(`query ($from: DateTime!, $to: DateTime!) { me { usageSummary(from: $from, to: $to) { total { amount } } usageByDay(from: $from, to: $to) { day count charge { amount } } } }`, { from, to }, { token });
    expect(summary.errors).toBeUndefined();
    const ledgerTotal = -usageEntries.filter((e) => e.at.getTime() >= Date.parse(from) && e.at.getTime() < Date.parse(to)).reduce((s, e) => s + e.amountMinor, 0);
    expect(summary.data.me.usageSummary.total.amount).toBe((ledgerTotal / 100).toFixed(2));
    expect(summary.data.me.usageSummary.total.amount).toBe('1545.00');
    const days = summary.data.me.usageByDay as { day: string; count: number; charge: { amount: string } }[];
    expect(days.reduce((s, d) => s + d.count, 0)).toBe(5);
    expect(days.reduce((s, d) => s + Number(d.charge.amount), 0).toFixed(2)).toBe('1545.00');

    // Paging is stable while new records arrive: a record newer than the page does not shift the next page.
    const page = (after: string | null) =>
      t.graphql<any>(`query ($from: DateTime!, $to: DateTime!, $after: String) { me { usage(from: $from, to: $to, first: 2, after: $after) { edges { node { id startedAt } } pageInfo { hasNextPage endCursor } } } }`, { from, to: new Date(Date.now() + 60_000).toISOString(), after }, { token });
    const first = (await page(null)).data.me.usage;
    const staff = await staffToken(t);
    const late = await t.graphql<any>(
      `mutation ($r: [UsageRecordInput!]!) { ingestUsage(records: $r) { accepted rejected { index reason } } }`,
      { r: [{ sourceRef: `${run}-9`, line, kind: 'SMS', startedAt: new Date().toISOString(), direction: 'OUTGOING', counterparty: '+77011234567' }] },
      { token: staff },
    );
    expect(late.data.ingestUsage).toEqual({ accepted: 1, rejected: [] });
    const seen = [...first.edges];
    let cursor: string | null = first.pageInfo.endCursor;
    for (let n = 0; n < 5 && cursor; n += 1) {
      const next = (await page(cursor)).data.me.usage;
      seen.push(...next.edges);
      cursor = next.pageInfo.hasNextPage ? next.pageInfo.endCursor : null;
    }
    expect(seen).toHaveLength(5);
    expect(new Set(seen.map((e: any) => e.node.id)).size).toBe(5);
    // A subscriber's token may not ingest.
    expect(TestSystem.code(await t.graphql(`mutation ($r: [UsageRecordInput!]!) { ingestUsage(records: $r) { accepted } }`, { r: [] }, { token }))).toBe('FORBIDDEN');
  });

  it('takes a line without money into debt by its usage (terms 3.3: billing judges debt on every posting)', async () => {
    const staff = await staffToken(t);
    const msisdn = `+7705${String(Math.floor(Math.random() * 10_000_000)).padStart(7, '0')}`;
    const subscriberId = await provisionLine(t, staff, msisdn);
    // detailing knows the new line once identity's event reached it.
    const record = (n: number) => ({ sourceRef: `debt-${subscriberId}-${n}`, line: msisdn, kind: 'CALL', startedAt: new Date().toISOString(), direction: 'OUTGOING', counterparty: '+77011234567', seconds: 3_600, roaming: true, roamingCountry: 'DE' });
    const ingested = await eventually(
      async () => (await t.graphql<any>(`mutation ($r: [UsageRecordInput!]!) { ingestUsage(records: $r) { accepted duplicates rejected { reason } } }`, { r: [record(1)] }, { token: staff })).data.ingestUsage,
      (outcome) => outcome.accepted + outcome.duplicates === 1,
    );
    expect(ingested.rejected).toEqual([]);
    const ledger = await eventually(() => ledgerOf(t, subscriberId), (l) => l.account.inDebt);
    expectLedgerConsistent(ledger);
    expect(ledger.entries.map((e) => [e.kind, e.amountMinor])).toEqual([['CHARGE', -60 * 39_000]]);
  });
});
