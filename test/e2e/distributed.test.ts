import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Redis from 'ioredis';
import { DevMailSink } from '@selfcare/gateway';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { AccountEntity, LedgerEntryKind, LedgerService, billingEntities } from '@selfcare/billing';
import { ContractOutbox, Database, InboxEventEntity, OutboxEventEntity, TransactionalOutbox, billingEvents, generateSigningKeyPem, systemClock } from '@selfcare/shared';
import { catalogEntities, catalogMigrations, loadDemoOffers } from '@selfcare/catalog';
import { TestDatabase, createTestDatabase, errorCode, eventually, graphql, waitFor } from '@selfcare/shared/testing';
import { passwordIn } from '../support/system';
import { ProcessGroup, REPOSITORY_ROOT as root, freePort } from '../support/processes';

/**
 * The distributed mode for real: `npm run migrate`'s CLI, then the gateway, the five subgraphs and the SMS
 * centre each as its own Node process on the built output, with Redis Streams as the bus and the revocation
 * store, SMTP for e-mail, one database per subgraph (MariaDB with TEST_DATABASE_URL, else SQLite files).
 * The catalog starts empty (no demo offers outside the embedded default) until the operator's offer list is loaded.
 * A staff member provisions a line; its tariff and account arrive through the bus; the subscriber gets a
 * password by SMS, logs in and reads `me` across three subgraphs, verifies an e-mail over SMTP and logs in with it; a suspension in identity cuts the token off
 * in another process at once; SIGTERM stops every process cleanly.
 */
const SUBGRAPHS = ['identity', 'catalog', 'billing', 'detailing', 'delegation'] as const;


describe('distributed mode: one process per service, Redis Streams, migrations', () => {
  const processes = new ProcessGroup();
  const databases: TestDatabase[] = [];
  const dataDir = mkdtempSync(join(tmpdir(), 'selfcare-distributed-'));
  const keyPrefix = `t${process.pid}${randomBytes(3).toString('hex')}:`;
  const mail = new DevMailSink();
  let gatewayUrl = '';
  let smsCentreUrl = '';
  let cardProviderUrl = '';
  let env: NodeJS.ProcessEnv = {};
  const databaseUrls: Record<string, string> = {};

  const start = (name: string, script: string, extra: NodeJS.ProcessEnv) => processes.start(name, script, { env: { ...env, ...extra } });
  const ready = (url: string, name: string) => processes.get(name).ready(url);

  beforeAll(async () => {
    for (const name of SUBGRAPHS) {
      if (process.env.TEST_DATABASE_URL) {
        const db = await createTestDatabase(name);
        databases.push(db);
        databaseUrls[name] = db.url;
      } else {
        databaseUrls[name] = `sqlite:${join(dataDir, `${name}.sqlite`)}`;
      }
    }
    const mailPort = await mail.start(0); // before picking the other ports, so it cannot take one of them
    const ports = Object.fromEntries(await Promise.all([...SUBGRAPHS, 'gateway', 'sms', 'cards'].map(async (n) => [n, await freePort()] as const)));
    gatewayUrl = `http://127.0.0.1:${ports.gateway}`;
    smsCentreUrl = `http://127.0.0.1:${ports.sms}`;
    cardProviderUrl = `http://127.0.0.1:${ports.cards}`;
    const smsSecret = randomBytes(16).toString('hex');
    const cardSecret = randomBytes(16).toString('hex');
    env = {
      PATH: process.env.PATH,
      NODE_ENV: 'test',
      LOG_LEVEL: 'warn',
      REDIS_URL: 'redis://127.0.0.1:6379',
      REDIS_KEY_PREFIX: keyPrefix,
      SMS_CENTRE_URL: `${smsCentreUrl}/dev/sms-centre`,
      SMS_CENTRE_SECRET: smsSecret,
      SMTP_URL: `smtp://127.0.0.1:${mailPort}`,
      INTERNAL_API_TOKEN: randomBytes(24).toString('hex'),
      PUBLIC_URL: gatewayUrl,
      RELAY_POLL_MS: '100',
      ...Object.fromEntries(SUBGRAPHS.map((n) => [`${n.toUpperCase()}_URL`, `http://127.0.0.1:${ports[n]}`])),
    };

    // npm run migrate: every subgraph's own database, before any service starts.
    const migrate = spawnSync(process.execPath, [join(root, 'gateway/dist/migrate-cli.js')], {
      env: { ...env, ...Object.fromEntries(SUBGRAPHS.map((n) => [`${n.toUpperCase()}_DATABASE_URL`, databaseUrls[n]])) },
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(migrate.status).toBe(0);
    for (const name of SUBGRAPHS) expect(migrate.stdout).toContain(`${name}: database up to date (applied`);

    start('sms-centre', 'gateway/dist/dev/sms-centre-server.js', { SMS_CENTRE_PORT: String(ports.sms), INBOUND_WEBHOOK_URL: `${gatewayUrl}/sms/inbound` });
    start('identity', 'subgraphs/identity/dist/main.js', {
      IDENTITY_PORT: String(ports.identity),
      IDENTITY_DATABASE_URL: databaseUrls.identity,
      IDENTITY_JWT_PRIVATE_KEY: generateSigningKeyPem(),
      IDENTITY_KDF_LOG2_N: '12',
      STAFF_ACCOUNTS: JSON.stringify([{ login: 'ops', role: 'ADMIN', password: 'Ops-Test-2026!' }]),
    });
    // The sandbox card provider as its own process: billing calls it, its webhooks come back through the gateway.
    start('card-provider', 'gateway/dist/dev/card-provider-server.js', {
      CARD_PROVIDER_PORT: String(ports.cards),
      PAYMENT_PROVIDER_SECRET: cardSecret,
      WEBHOOK_URL: `${gatewayUrl}/payments/webhook`,
      CARD_PROVIDER_PUBLIC_URL: cardProviderUrl,
    });
    const payments = { PAYMENT_PROVIDER_URL: cardProviderUrl, PAYMENT_PROVIDER_SECRET: cardSecret };
    for (const name of SUBGRAPHS.filter((n) => n !== 'identity')) {
      start(name, `subgraphs/${name}/dist/main.js`, {
        [`${name.toUpperCase()}_PORT`]: String(ports[name]),
        [`${name.toUpperCase()}_DATABASE_URL`]: databaseUrls[name],
        ...(name === 'billing' ? payments : {}),
      });
    }
    start('gateway', 'gateway/dist/main.js', { GATEWAY_PORT: String(ports.gateway) });
    for (const name of SUBGRAPHS) await ready(env[`${name.toUpperCase()}_URL`]!, name);
    await ready(gatewayUrl, 'gateway');
  }, 120_000);

  afterAll(async () => {
    await processes.stopAll('SIGKILL');
    await mail.stop();
    for (const db of databases) await db.drop();
    rmSync(dataDir, { recursive: true, force: true });
    const redis = new Redis('redis://127.0.0.1:6379');
    const keys = await redis.keys(`${keyPrefix}*`);
    if (keys.length) await redis.del(...keys);
    redis.disconnect();
  });

  const gql = (query: string, variables: Record<string, unknown> = {}, token?: string) => graphql(`${gatewayUrl}/graphql`, query, variables, { token: token ?? null });

  it('starts with an empty catalog: no demo offers outside the embedded default', async () => {
    const offers = await gql(`{ tariffs { code } services { code } }`);
    expect(offers.errors).toBeUndefined();
    expect(offers.data).toEqual({ tariffs: [], services: [] });
    // The operator publishes its offer list (terms 2.6); its tooling writes into catalog's own database, as here.
    const catalogDb = new Database({ service: 'catalog', url: databaseUrls.catalog!, entities: catalogEntities, migrations: catalogMigrations });
    await catalogDb.open();
    try {
      await loadDemoOffers(catalogDb, systemClock);
    } finally {
      await catalogDb.close();
    }
    expect(((await gql(`{ tariffs { code } }`)).data!.tariffs as { code: string }[]).map((x) => x.code)).toContain('BEELINE_L');
  });

  it('provisions a line, delivers its password by SMS, logs in, reads three subgraphs, and cuts a suspended token off everywhere', async () => {
    const staff = await gql(`mutation { staffLogin(login: "ops", password: "Ops-Test-2026!") { accessToken } }`);
    expect(staff.errors).toBeUndefined();
    const staffToken = staff.data!.staffLogin.accessToken as string;

    const msisdn = '+77019990011';
    const provisioned = await gql(
      `mutation ($input: ProvisionSubscriberInput!) { provisionSubscriber(input: $input) { id msisdn kind } }`,
      { input: { kind: 'MOBILE', partyType: 'INDIVIDUAL', msisdn: '8 701 999 00 11', language: 'EN', tariffCode: 'BEELINE_L' } },
      staffToken,
    );
    expect(provisioned.errors).toBeUndefined();
    expect(provisioned.data!.provisionSubscriber).toMatchObject({ msisdn, kind: 'MOBILE' });

    // terms 3.1.1: the password by SMS, through the outbox, the relay and the HTTP SMS centre.
    expect((await gql(`mutation { requestPassword(msisdn: "${msisdn}") }`)).data).toEqual({ requestPassword: true });
    const sms = await waitFor(
      async () => ((await (await fetch(`${smsCentreUrl}/dev/sms?to=${encodeURIComponent(msisdn)}`)).json()) as { text: string }[]).find((m) => /password/i.test(m.text)),
      15_000,
      'the password SMS',
    );
    const login = await gql(`mutation ($p: String!) { login(login: "${msisdn}", password: $p, channel: MOBILE_APP) { accessToken } }`, { p: passwordIn(sms.text) });
    expect(login.errors).toBeUndefined();
    const token = login.data!.login.accessToken as string;

    // SubscriberProvisioned reached catalog and billing over Redis Streams.
    const me = await eventually(
      () => gql(`{ me { msisdn tariff { code } account { number balance { amount currency } } } }`, {}, token),
      (r) => !r.errors && !!r.data?.me?.tariff && !!r.data?.me?.account,
      20_000,
    );
    expect(me.errors).toBeUndefined();
    expect(me.data!.me).toMatchObject({ msisdn, tariff: { code: 'BEELINE_L' }, account: { balance: { amount: '0.00', currency: 'KZT' } } });

    // Login by e-mail (terms 3.1.1): the verification link travels over SMTP and is opened on the public URL (the gateway).
    const email = 'dist.test@example.kz';
    expect((await gql(`mutation ($e: EmailAddress) { setEmail(email: $e) { email } }`, { e: email }, token)).errors).toBeUndefined();
    const verification = await waitFor(() => mail.sentTo(email)[0], 15_000, 'the verification e-mail');
    const link = /(https?:\/\/\S+\/links\/email\/verify\?token=[^\s"<>]+)/.exec(verification.text)?.[1];
    expect(link?.startsWith(`${gatewayUrl}/links/email/verify`)).toBe(true);
    expect((await fetch(link!)).status).toBe(200);
    const byEmail = await gql(`mutation ($p: String!) { login(login: "${email}", password: $p, channel: WEB) { subscriber { msisdn } } }`, { p: passwordIn(sms.text) });
    expect(byEmail.data).toEqual({ login: { subscriber: { msisdn } } });

    // terms 3.3: a suspension in identity's process refuses the token in catalog's and billing's at once (Redis).
    const suspended = await gql(
      `mutation ($id: ID!) { setAccessStatus(subscriberId: $id, status: SUSPENDED, reason: BREACH) { accessStatus } }`,
      { id: provisioned.data!.provisionSubscriber.id },
      staffToken,
    );
    expect(suspended.data).toEqual({ setAccessStatus: { accessStatus: 'SUSPENDED' } });
    const after = await gql(`{ me { tariff { code } account { number } } }`, {}, token);
    expect(errorCode(after)).toBe('ACCESS_SUSPENDED');
    const direct = await graphql(`${env.CATALOG_URL}/graphql`, `query ($r: [_Any!]!) { _entities(representations: $r) { ... on Subscriber { tariff { code } } } }`, {
      r: [{ __typename: 'Subscriber', id: provisioned.data!.provisionSubscriber.id }],
    }, { token, internalToken: env.INTERNAL_API_TOKEN! });
    expect(errorCode(direct)).toBe('ACCESS_SUSPENDED');
  }, 90_000);

  it('section 5 across processes: the SMS centre signs the owner\'s reply to 4259, management reaches billing, revocation cuts its live subscription (terms 4.4)', async () => {
    const staff = await gql(`mutation { staffLogin(login: "ops", password: "Ops-Test-2026!") { accessToken } }`);
    const staffToken = staff.data!.staffLogin.accessToken as string;
    const smsTo = async (msisdn: string) => (await (await fetch(`${smsCentreUrl}/dev/sms?to=${encodeURIComponent(msisdn)}`)).json()) as { text: string }[];
    const line = async (msisdn: string) => {
      const provisioned = await gql(
        `mutation ($input: ProvisionSubscriberInput!) { provisionSubscriber(input: $input) { id } }`,
        { input: { kind: 'MOBILE', partyType: 'INDIVIDUAL', msisdn, language: 'RU', tariffCode: 'BEELINE_L' } },
        staffToken,
      );
      expect(provisioned.errors).toBeUndefined();
      await gql(`mutation { requestPassword(msisdn: "${msisdn}") }`);
      const sms = await waitFor(async () => (await smsTo(msisdn)).find((m) => /пароль/i.test(m.text)), 15_000, `the password SMS to ${msisdn}`);
      const login = await gql(`mutation ($p: String!) { login(login: "${msisdn}", password: $p, channel: WEB) { accessToken } }`, { p: passwordIn(sms.text) });
      return { id: provisioned.data!.provisionSubscriber.id as string, msisdn, token: login.data!.login.accessToken as string };
    };
    const owner = await line('+77019990021');
    const requester = await line('+77019990022');
    const codeIn = (text: string) => /\b([ABCDEFGHJKMNPQRSTUVWXYZ23456789]{8})\b/.exec(text)![1]!;

    const request = await gql(`mutation ($m: PhoneNumber!) { requestNumberManagement(msisdn: $m) { id status } }`, { m: owner.msisdn }, requester.token);
    expect(request.data!.requestNumberManagement.status).toBe('AWAITING_CONFIRMATION');
    const confirmation = codeIn((await waitFor(async () => (await smsTo(owner.msisdn)).find((m) => m.text.includes('4259')), 15_000, 'the confirmation code')).text);
    // The owner's reply, as the SMS centre process delivers it: signed with SMS_CENTRE_SECRET, to the gateway, on to delegation.
    const reply = await fetch(`${smsCentreUrl}/dev/sms/inbound`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ from: owner.msisdn, to: '4259', text: confirmation }) });
    expect(await reply.json()).toMatchObject({ outcome: 'CONFIRMED' });
    const activation = codeIn((await waitFor(async () => (await smsTo(owner.msisdn)).find((m) => /Код активации/.test(m.text)), 15_000, 'the activation code')).text);
    const id = request.data!.requestNumberManagement.id as string;
    expect((await gql(`mutation ($r: ID!, $c: String!) { activateNumberManagement(requestId: $r, activationCode: $c) { status } }`, { r: id, c: activation }, requester.token)).data).toEqual({
      activateNumberManagement: { status: 'ACTIVE' },
    });
    // Billing's process asks delegation's over HTTP: the manager reads the owner's account.
    const account = await eventually(
      () => gql(`query ($m: PhoneNumber!) { subscriber(msisdn: $m) { account { balance { currency } } } }`, { m: owner.msisdn }, requester.token),
      (r) => !r.errors,
      20_000,
    );
    expect(account.data).toEqual({ subscriber: { account: { balance: { currency: 'KZT' } } } });

    // The manager follows the owner's balance; a posting (written as another billing replica would) shows it is live.
    const billingDb = new Database({ service: 'billing', url: databaseUrls.billing!, entities: [OutboxEventEntity, InboxEventEntity, ...billingEntities], migrations: [] });
    await billingDb.open();
    const ledger = new LedgerService(billingDb, new ContractOutbox(billingEvents, new TransactionalOutbox('billing', systemClock)), systemClock);
    const credit = (reference: string) =>
      billingDb.transaction(async (manager) => {
        const row = await manager.findOneOrFail(AccountEntity, { where: { subscriberId: owner.id } });
        // A credit, not a charge: a debt would suspend the owner's access (terms 3.3), revocation included.
        await ledger.post(manager, row.id, { amountMinor: 1_00, kind: LedgerEntryKind.ADJUSTMENT, description: { KK: 'Сынақ', RU: 'Тест', EN: 'Test' }, reference });
      });
    // The manager subscribes after the newest entry it can read, so a posting made before billing's feed is live still arrives.
    await credit('dist-mgmt-0');
    const entries = await gql(`query ($m: PhoneNumber!) { subscriber(msisdn: $m) { account { entries(first: 1) { edges { cursor } } } } }`, { m: owner.msisdn }, requester.token);
    const after = entries.data!.subscriber.account.entries.edges[0].cursor as string;
    const client = createClient({ url: `${gatewayUrl.replace(/^http/, 'ws')}/graphql`, webSocketImpl: WebSocket, connectionParams: { authorization: `Bearer ${requester.token}` }, retryAttempts: 0 });
    try {
      const events = client.iterate<any>({ query: `subscription ($id: ID!, $after: String) { balanceChanged(subscriberId: $id, after: $after) { delta { amount } } }`, variables: { id: owner.id, after } });
      const first = events.next();
      try {
        await credit('dist-mgmt-1');
      } finally {
        await billingDb.close();
      }
      expect((await first).value.data.balanceChanged.delta.amount).toBe('1.00');
      const cut = (async () => {
        for (;;) {
          const next = await events.next();
          if (next.done || next.value.errors) return next;
        }
      })();
      // terms 4.4: the owner revokes in delegation's process; billing's process ends the live subscription (Redis Streams).
      const revoked = await gql(`mutation ($id: ID!) { revokeNumberManagement(id: $id) { status } }`, { id }, owner.token);
      expect(revoked).toMatchObject({ data: { revokeNumberManagement: { status: 'REVOKED' } } });
      const ended = await cut;
      expect((ended.value as any)?.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
      expect(errorCode(await gql(`query ($m: PhoneNumber!) { subscriber(msisdn: $m) { account { number } } }`, { m: owner.msisdn }, requester.token))).toBe('FORBIDDEN');
    } finally {
      await client.dispose();
    }
  }, 90_000);

  it('pays by card with the provider as its own process: 3-D Secure, and the outcome by webhook through the gateway (terms 2.1)', async () => {
    const staff = await gql(`mutation { staffLogin(login: "ops", password: "Ops-Test-2026!") { accessToken } }`);
    const msisdn = '+77019990031';
    const provisioned = await gql(
      `mutation ($input: ProvisionSubscriberInput!) { provisionSubscriber(input: $input) { id } }`,
      { input: { kind: 'MOBILE', partyType: 'INDIVIDUAL', msisdn, language: 'EN', tariffCode: 'BEELINE_L' } },
      staff.data!.staffLogin.accessToken,
    );
    const subscriberId = provisioned.data!.provisionSubscriber.id as string;
    await gql(`mutation { requestPassword(msisdn: "${msisdn}") }`);
    const sms = await waitFor(
      async () => ((await (await fetch(`${smsCentreUrl}/dev/sms?to=${encodeURIComponent(msisdn)}`)).json()) as { text: string }[]).find((m) => /password/i.test(m.text)),
      15_000,
      'the password SMS',
    );
    const token = (await gql(`mutation ($p: String!) { login(login: "${msisdn}", password: $p, channel: WEB) { accessToken } }`, { p: passwordIn(sms.text) })).data!.login.accessToken as string;
    await eventually(() => gql(`{ me { account { number } } }`, {}, token), (r) => !!r.data?.me?.account, 20_000);

    const cardToken = await fetch(`${cardProviderUrl}/v1/tokens`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ number: '4000000000003220', expMonth: 12, expYear: 2099, cvc: '123' }),
    }).then((r) => r.json() as Promise<{ id: string }>);
    const paid = await gql(
      `mutation ($s: ID!, $t: String!) { payByCard(subscriberId: $s, amount: "2500.00", cardToken: $t, idempotencyKey: "dist-1") { id status actionUrl } }`,
      { s: subscriberId, t: cardToken.id },
      token,
    );
    expect(paid.data!.payByCard).toMatchObject({ status: 'REQUIRES_ACTION', actionUrl: expect.stringContaining(`${cardProviderUrl}/v1/3ds/`) });
    const page = await (await fetch(paid.data!.payByCard.actionUrl)).text();
    const approve = /action="([^"]+\/approve)"/.exec(page)![1]!;
    await fetch(new URL(approve, cardProviderUrl), { method: 'POST' });
    const settled = await eventually(
      () => gql(`query ($id: ID!) { payment(id: $id) { status } me { account { balance { amount } } } }`, { id: paid.data!.payByCard.id }, token),
      (r) => r.data?.payment?.status === 'SUCCEEDED',
      20_000,
    );
    expect(settled.data).toEqual({ payment: { status: 'SUCCEEDED' }, me: { account: { balance: { amount: '2500.00' } } } });
  }, 90_000);

  it('refuses to start a service whose database has pending migrations, naming the fix', () => {
    const fresh = `sqlite:${join(dataDir, 'unmigrated-catalog.sqlite')}`;
    const result = spawnSync(process.execPath, [join(root, 'subgraphs/catalog/dist/main.js')], {
      env: { ...env, CATALOG_PORT: '0', CATALOG_DATABASE_URL: fresh },
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(result.status).not.toBe(0);
    expect(result.stderr).toMatch(/pending migrations; run `npm run migrate` first/);
  });

  it('stops every process cleanly on SIGTERM', async () => {
    const codes = await Promise.all(processes.all.map(async (p) => ({ name: p.name, code: (await p.stop('SIGTERM')).code })));
    expect(codes).toEqual(processes.all.map(({ name }) => ({ name, code: 0 })));
  }, 60_000);
});
