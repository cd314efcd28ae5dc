import { billingEvents } from '@selfcare/shared';
import { AccountEntity, LedgerEntryKind, LedgerService } from '@selfcare/billing';
import { waitFor } from '@selfcare/shared/testing';
import { TestSystem } from '../support/system';
import { RawSocket } from '../support/raw-ws';

/**
 * One subscriber opening 40 sockets × 200 subscriptions: with the default caps most are refused (and the process
 * stays up with bounded memory); with caps raised to allow all 8,000, idle subscriptions cost the billing
 * database nothing but the shared safety poll, and one posting reaches all of them. Figures are printed, not
 * asserted against the clock.
 */
const SOCKETS = 40;
const PER_SOCKET = 200;
const LEAN = `subscription ($id: ID!, $after: String) { balanceChanged(subscriberId: $id, after: $after) { balance { amount } cursor } }`;

async function charge(t: TestSystem, subscriberId: string, amountMinor: number, reference: string) {
  const runtime = t.system.subgraphs.billing.runtime;
  const ledger = new LedgerService(runtime.database, runtime.outboxFor(billingEvents), runtime.clock);
  await runtime.database.transaction(async (manager) => {
    const account = await manager.findOneOrFail(AccountEntity, { where: { subscriberId } });
    await ledger.post(manager, account.id, { amountMinor: -amountMinor, kind: LedgerEntryKind.CHARGE, description: { KK: 'Сынақ', RU: 'Тест', EN: 'Test' }, reference });
  });
}

async function newestCursor(t: TestSystem, token: string): Promise<string> {
  const ledger = await t.graphql(`{ me { account { entries(first: 1) { edges { cursor } } } } }`, {}, { token });
  return ledger.data!.me.account.entries.edges[0].cursor as string;
}

/** The first answer to each subscription id of these sockets (a next or an error), once there is one for each. */
async function firstAnswers(sockets: RawSocket[], ids: string[]): Promise<{ type: string; payload?: any }[]> {
  return Promise.all(sockets.flatMap((raw) => ids.map((id) => raw.until((m) => m.id === id))));
}

const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;

describe('40 sockets × 200 subscriptions from one subscriber', () => {
  const ids = Array.from({ length: PER_SOCKET }, (_, i) => `s${i}`);

  it('with the default caps: refuses 30 sockets and 1,900 subscriptions, serves the 100 allowed, stays up with bounded memory', async () => {
    const t = await TestSystem.start();
    const opened: RawSocket[] = [];
    try {
      const { accessToken, subscriberId } = await t.login('+77051234567', 'Demo-2026');
      const after = await newestCursor(t, accessToken);
      const rssBefore = process.memoryUsage().rss;
      const sockets = await Promise.all(Array.from({ length: SOCKETS }, () => RawSocket.open(`${t.url}/graphql`, { authorization: `Bearer ${accessToken}` })));
      opened.push(...sockets);
      const open = sockets.filter((raw) => raw.socket.readyState === raw.socket.OPEN);
      const refused = await Promise.all(sockets.filter((raw) => raw.socket.readyState !== raw.socket.OPEN).map((raw) => raw.closed));
      expect(open).toHaveLength(10);
      expect(refused).toHaveLength(30);
      expect(refused.every(({ code, reason }) => code === 4429 && reason.startsWith('RATE_LIMITED'))).toBe(true);

      for (const raw of open) for (const id of ids) raw.send({ id, type: 'subscribe', payload: { query: LEAN, variables: { id: subscriberId, after } } });
      await charge(t, subscriberId, 1_00, 'scale-defaults');
      const answers = await firstAnswers(open, ids);
      const served = answers.filter((a) => a.type === 'next');
      const limited = answers.filter((a) => a.type === 'error' && a.payload[0].extensions.code === 'RATE_LIMITED');
      expect(served).toHaveLength(100);
      expect(limited).toHaveLength(1_900);
      expect(new Set(limited.map((a) => a.payload[0].extensions.limit))).toEqual(new Set(['subscriptionsPerSocket', 'subscriptionsPerCaller']));
      // Still serving, over HTTP and on the sockets it kept.
      expect((await t.graphql('{ tariffs { code } }')).errors).toBeUndefined();
      expect(open.every((raw) => raw.socket.readyState === raw.socket.OPEN)).toBe(true);
      const grown = process.memoryUsage().rss - rssBefore;
      process.stdout.write(`default caps: 10 sockets, 100 subscriptions served, 30 sockets and 1900 subscriptions refused; RSS grew ${mb(grown)}\n`);
      expect(grown).toBeLessThan(300 * 1024 * 1024);
    } finally {
      for (const raw of opened) raw.close();
      await t.stop();
    }
  }, 120_000);

  it('with caps raised to allow all 8,000: idle subscriptions cost only the shared safety poll; one posting reaches every one', async () => {
    const SAFETY_POLL_MS = 500;
    const t = await TestSystem.start({
      subscriptions: { socketsPerCaller: SOCKETS, subscriptionsPerSocket: PER_SOCKET, subscriptionsPerCaller: SOCKETS * PER_SOCKET },
      // The relay is poked on every write: a slow poll keeps its own statements out of the count.
      relayPollMs: 600_000,
      feedSafetyPollMs: SAFETY_POLL_MS,
    });
    const sockets: RawSocket[] = [];
    try {
      const { accessToken, subscriberId } = await t.login('+77051234567', 'Demo-2026');
      const after = await newestCursor(t, accessToken);
      const billing = t.system.subgraphs.billing.runtime;
      let upgrades = 0;
      t.system.subgraphs.billing.httpServer.on('upgrade', () => void (upgrades += 1));
      const before = process.memoryUsage();
      const started = Date.now();
      sockets.push(...(await Promise.all(Array.from({ length: SOCKETS }, () => RawSocket.open(`${t.url}/graphql`, { authorization: `Bearer ${accessToken}` })))));
      expect(sockets.every((raw) => raw.socket.readyState === raw.socket.OPEN)).toBe(true);
      for (const raw of sockets) for (const id of ids) raw.send({ id, type: 'subscribe', payload: { query: LEAN, variables: { id: subscriberId, after } } });
      await waitFor(() => billing.feeds.followerCount === SOCKETS * PER_SOCKET || undefined, 100_000, () => `8000 feeds on billing (${billing.feeds.followerCount})`);
      const startMs = Date.now() - started;
      const memory = process.memoryUsage();
      // One socket from the gateway to billing for all 8,000.
      expect(upgrades).toBe(1);

      // Feeds follow before their first read: wait for a safety-poll round with no other statement (all have read).
      await waitFor(async () => {
        const [count, round] = [billing.database.counter.count, billing.feeds.pollRounds];
        await waitFor(() => billing.feeds.pollRounds > round || undefined, 30_000, 'a safety-poll round');
        return billing.database.counter.count - count <= billing.feeds.pollRounds - round || undefined;
      }, 120_000, 'the feeds to have read once');
      // Idle: over three safety-poll rounds the billing database sees those rounds' reads and nothing else.
      const rounds = billing.feeds.pollRounds;
      const statements = billing.database.counter.count;
      const idleFrom = Date.now();
      await waitFor(() => billing.feeds.pollRounds >= rounds + 3 || undefined, 30_000, 'three safety-poll rounds');
      const idleStatements = billing.database.counter.count - statements;
      const idleRounds = billing.feeds.pollRounds - rounds;
      const idleSeconds = (Date.now() - idleFrom) / 1000;
      expect(idleStatements).toBeLessThanOrEqual(idleRounds);

      const posted = Date.now();
      await charge(t, subscriberId, 2_00, 'scale-8000');
      const answers = await Promise.all(sockets.flatMap((raw) => ids.map((id) => raw.until((m) => m.id === id && m.type === 'next'))));
      const deliveredMs = Date.now() - posted;
      expect(answers).toHaveLength(8_000);
      expect(new Set(answers.map((a) => a.payload.data.balanceChanged.cursor)).size).toBe(1);
      process.stdout.write(
        [
          `8000 subscriptions (40 sockets x 200, one upstream socket): started in ${startMs} ms;`,
          `RSS +${mb(memory.rss - before.rss)} (${((memory.rss - before.rss) / 8000 / 1024).toFixed(1)} KB per subscription, gateway, billing and clients in one process),`,
          `heap +${mb(memory.heapUsed - before.heapUsed)};`,
          `idle: ${idleStatements} billing statements in ${idleSeconds.toFixed(1)} s (${idleRounds} safety-poll rounds);`,
          `one posting delivered to all 8000 in ${deliveredMs} ms\n`,
        ].join(' '),
      );
    } finally {
      for (const raw of sockets) raw.close();
      await t.stop();
    }
  }, 300_000);
});
