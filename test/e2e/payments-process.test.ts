import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import express from 'express';
import { SandboxCardProvider } from '@selfcare/gateway';
import { Database } from '@selfcare/shared';
import { demo, graphql, waitFor } from '@selfcare/shared/testing';
import { TEST_CARDS, PAY, answer3ds, cardToken } from '../support/payments';
import { ProcessGroup, ServiceProcess, freePort } from '../support/processes';

/**
 * `npm start`'s entry as a real child process, with the sandbox card provider outside it (in this test process, as a
 * real processor outlives the platform): the process is killed with SIGKILL after the provider charged and before the
 * ledger was credited; started again, the reconciliation credits the payment exactly once, and the provider's late
 * webhook changes nothing. And: no card number or CVC ever reaches a log line or a database file.
 */
const { aigerim } = demo;


describe('payments with the platform process killed, and what reaches logs and databases', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'selfcare-payments-process-'));
  // Every start of the platform (it is killed and started again): their logs together.
  const processes = new ProcessGroup();
  const secret = randomBytes(24).toString('hex');
  let child: ServiceProcess | null = null;
  let providerServer: Server;
  let provider: SandboxCardProvider;
  let providerUrl = '';
  let gatewayUrl = '';
  let env: NodeJS.ProcessEnv = {};

  async function startPlatform(): Promise<void> {
    child = processes.start('platform', 'gateway/dist/all-in-one.js', { env });
    await child.ready(gatewayUrl, { timeoutMs: 60_000 });
  }

  async function killPlatform(): Promise<void> {
    await child!.stop('SIGKILL');
    child = null;
  }

  beforeAll(async () => {
    const ports = await Promise.all(Array.from({ length: 7 }, () => freePort()));
    const [gateway, identity, catalog, billing, detailing, delegation, providerPort] = ports as [number, number, number, number, number, number, number];
    gatewayUrl = `http://127.0.0.1:${gateway}`;
    providerUrl = `http://127.0.0.1:${providerPort}`;
    provider = new SandboxCardProvider({
      secret,
      webhookUrl: () => `${gatewayUrl}/payments/webhook`,
      publicUrl: () => providerUrl,
      // The timeout card's answer never comes before the kill.
      timeoutHoldMs: 120_000,
      webhookRetryMs: [100, 200, 400, 800, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000],
    });
    const app = express();
    provider.mount(app);
    providerServer = await new Promise<Server>((resolve) => {
      const server = app.listen(providerPort, '127.0.0.1', () => resolve(server));
    });
    env = {
      PATH: process.env.PATH,
      NODE_ENV: 'test',
      // Everything logged, to prove none of it is a card number.
      LOG_LEVEL: 'trace',
      DATA_DIR: dataDir,
      GATEWAY_PORT: String(gateway),
      IDENTITY_PORT: String(identity),
      CATALOG_PORT: String(catalog),
      BILLING_PORT: String(billing),
      DETAILING_PORT: String(detailing),
      DELEGATION_PORT: String(delegation),
      IDENTITY_KDF_LOG2_N: '10',
      PAYMENT_PROVIDER_URL: providerUrl,
      PAYMENT_PROVIDER_SECRET: secret,
      // The kill comes long before the request would give up on the provider (5 s); the payment's lease ends 15 s after it began.
      PAYMENT_PROVIDER_TIMEOUT_MS: '5000',
      PAYMENT_PROVIDER_RETRIES: '0',
      PAYMENT_RECONCILE_INTERVAL_MS: '200',
    };
    await startPlatform();
  }, 90_000);

  afterAll(async () => {
    await processes.stopAll('SIGKILL');
    provider?.stop();
    providerServer?.closeAllConnections();
    await new Promise((resolve) => providerServer?.close(resolve));
    rmSync(dataDir, { recursive: true, force: true });
  });

  const gql = (query: string, variables: Record<string, unknown>, token?: string) => graphql(`${gatewayUrl}/graphql`, query, variables, token ? { token } : {});
  const login = async () => {
    const response = await gql(`mutation { login(login: "${aigerim.login}", password: "Demo-2026", channel: WEB) { accessToken } }`, {});
    return response.data!.login.accessToken as string;
  };
  const balance = async (token: string) => Math.round(Number((await gql('{ me { account { balance { amount } } } }', {}, token)).data!.me.account.balance.amount) * 100);

  /** billing's SQLite file, read while the platform is down. */
  async function billingRows<T>(sql: string, ...params: unknown[]): Promise<T[]> {
    const db = await new Database({ service: 'billing', url: `sqlite:${join(dataDir, 'billing.sqlite')}`, entities: [], migrations: [] }).open();
    try {
      return (await db.dataSource.query(sql, params)) as T[];
    } finally {
      await db.close();
    }
  }

  it('credits a payment exactly once when the process was killed between the provider’s success and the ledger credit', async () => {
    const token = await login();
    const before = await balance(token);
    provider.pauseWebhooks();
    const source = await cardToken(providerUrl, TEST_CARDS.timesOut);
    // The answer never comes: the process dies while it waits for the provider.
    const request = gql(PAY, { s: aigerim.id, a: '432.10', t: source, k: randomUUID() }, token).catch((error: unknown) => error);
    const charge = await waitFor(() => provider.charges().find((c) => c.card.last4 === '0259' && c.status === 'succeeded'), 20_000, 'the provider to charge');
    const paymentId = charge.reference;

    await killPlatform();
    await request;
    expect(await billingRows<{ status: string }>('SELECT status FROM payments WHERE id = ?', paymentId)).toEqual([{ status: 'PENDING' }]);
    expect(await billingRows('SELECT id FROM ledger_entries WHERE reference = ?', `payment:${paymentId}`)).toEqual([]);

    // Started again, with the webhooks still held back: once the dead request's lease has run out, the reconciliation
    // asks the provider and credits the payment; the webhook that comes after changes nothing.
    await startPlatform();
    const settled = await waitFor(async () => {
      const answer = await gql(`query ($id: ID!) { payment(id: $id) { status amount { amount } } }`, { id: paymentId }, token);
      return answer.data?.payment?.status === 'SUCCEEDED' ? answer.data.payment : undefined;
    }, 45_000, 'the reconciliation to credit the payment after the restart');
    expect(settled).toEqual({ status: 'SUCCEEDED', amount: { amount: '432.10' } });
    provider.resumeWebhooks();
    await waitFor(() => provider.webhookDeliveries().filter((d) => d.chargeId === charge.id).every((d) => d.deliveredAt !== null), 20_000, 'the webhook to be taken');
    const entries = await gql(`{ me { account { entries(first: 5) { edges { node { kind amount { amount } } } } } } }`, {}, token);
    expect(entries.data!.me.account.entries.edges.filter((e: any) => e.node.kind === 'PAYMENT' && e.node.amount.amount === '432.10')).toHaveLength(1);
    expect(await balance(token)).toBe(before + 43_210);
  }, 120_000);

  it('never lets a card number or CVC reach a log line or a database file', async () => {
    const token = await login();
    const cvc = '7391';
    const numbers = [TEST_CARDS.succeeds, TEST_CARDS.declined, TEST_CARDS.threeDSecure, '5555555555554444', '378282246310005'];
    for (const number of numbers) {
      const source = await cardToken(providerUrl, number, { cvc: number.startsWith('3') ? cvc : cvc.slice(0, 3) });
      const paid = await gql(PAY, { s: aigerim.id, a: '150.00', t: source, k: randomUUID(), save: true }, token);
      expect(paid.errors).toBeUndefined();
      if (paid.data!.payByCard.status === 'REQUIRES_ACTION') await answer3ds(paid.data!.payByCard.actionUrl, 'approve');
    }
    // A client that sends the card number itself is refused, and the number is not logged either.
    const misuse = await gql(PAY, { s: aigerim.id, a: '150.00', t: TEST_CARDS.succeeds, k: randomUUID() }, token);
    expect(misuse.errors![0]!.extensions!.code).toBe('BAD_USER_INPUT');
    await waitFor(async () => {
      const answer = await gql(`{ me { account { payments(first: 10) { edges { node { status } } } } } }`, {}, token);
      return answer.data?.me.account.payments.edges.every((e: any) => e.node.status !== 'REQUIRES_ACTION' && e.node.status !== 'PENDING') || undefined;
    }, 20_000, 'the payments to settle');
    await killPlatform();

    const logs = processes.all.map((p) => p.output).join('');
    // Every service logged (at trace level), billing too: the scan below reads something.
    for (const service of ['gateway', 'identity', 'billing']) expect(logs).toContain(`"service":"${service}"`);
    const files = readdirSync(dataDir).filter((f) => /\.sqlite(-wal)?$/.test(f));
    expect(files).toEqual(expect.arrayContaining(['billing.sqlite', 'identity.sqlite']));
    const stores = [{ name: 'logs', text: logs }, ...files.map((f) => ({ name: f, text: readFileSync(join(dataDir, f)).toString('latin1') }))];
    for (const { name, text } of stores) {
      for (const number of numbers) {
        expect({ name, number, found: text.includes(number) || text.includes(number.replace(/(\d{4})(?=\d)/g, '$1 ')) }).toEqual({ name, number, found: false });
      }
      expect({ name, found: /"?(cvc|cvv)"?\s*[:=]/i.test(text) || text.includes(`"${cvc}"`) || text.includes(`"${cvc.slice(0, 3)}"`) }).toEqual({ name, found: false });
    }
    // What is kept of a saved card: the provider's reusable token and display data.
    const cards = await billingRows<{ provider_token: string; last4: string }>('SELECT provider_token, last4 FROM saved_cards');
    expect(cards.map((c) => c.last4)).toEqual(expect.arrayContaining(['4242', '4444', '0005']));
    for (const saved of cards) expect(saved.provider_token).toMatch(/^(pm_|tok_demo_)/);
  }, 120_000);
});
