import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { IncomingMessage, Server, ServerResponse, createServer as createHttpServer, request as httpRequest } from 'node:http';
import { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Redis from 'ioredis';
import { DevMailSink } from '@selfcare/gateway';
import { Database, InboxEventEntity, OutboxEventEntity, generateSigningKeyPem, systemClock } from '@selfcare/shared';
import { catalogEntities, catalogMigrations, loadDemoOffers } from '@selfcare/catalog';
import { GraphQLResponse, TestDatabase, createTestDatabase, eventually, graphql, waitFor } from '@selfcare/shared/testing';
import { passwordIn } from './system';
import { REPOSITORY_ROOT, ServiceProcess, freePort, stopProcess } from './processes';

/**
 * The fault tests' kit: the distributed mode (migrate CLI, then every service as its own Node process on the built
 * output) whose processes a test kills and starts again on the same port, plus private Redis and MariaDB servers a
 * test may restart (the shared ones at 6379/3306 are never touched), and a proxy that holds a subgraph's answers.
 */
export const root = REPOSITORY_ROOT;
export { freePort };
export const SUBGRAPHS = ['identity', 'catalog', 'billing', 'detailing', 'delegation'] as const;
export type ServiceName = (typeof SUBGRAPHS)[number] | 'gateway' | 'sms-centre' | 'card-provider';


/** Resident set size of a process in kB (Linux), or undefined once it is gone. */
export function rssKb(pid: number | undefined): number | undefined {
  if (!pid) return undefined;
  try {
    const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith('VmRSS:'));
    return line ? Number(/(\d+)/.exec(line)![1]) : undefined;
  } catch {
    return undefined;
  }
}

interface Managed {
  script: string;
  extra: NodeJS.ProcessEnv;
  process: ServiceProcess;
}

const SCRIPTS: Record<ServiceName, string> = {
  identity: 'subgraphs/identity/dist/main.js',
  catalog: 'subgraphs/catalog/dist/main.js',
  billing: 'subgraphs/billing/dist/main.js',
  detailing: 'subgraphs/detailing/dist/main.js',
  delegation: 'subgraphs/delegation/dist/main.js',
  gateway: 'gateway/dist/main.js',
  'sms-centre': 'gateway/dist/dev/sms-centre-server.js',
  'card-provider': 'gateway/dist/dev/card-provider-server.js',
};

export interface DistributedOptions {
  /** Redis of the bus and revocations (default the shared one, with a key prefix of this run's own). */
  redisUrl?: string;
  /** One database URL per subgraph (default: a test database each, MariaDB with TEST_DATABASE_URL, else SQLite files). */
  databaseUrls?: Partial<Record<(typeof SUBGRAPHS)[number], string>>;
  /** Extra environment of the gateway (e.g. SUBGRAPH_TIMEOUT_MS) and of every process. */
  gatewayEnv?: NodeJS.ProcessEnv;
  env?: NodeJS.ProcessEnv;
}

export interface Line {
  id: string;
  msisdn: string;
  token: string;
  password: string;
}

/** The distributed system of processes, each of which can be killed and started again on its port. */
export class Distributed {
  readonly processes = new Map<ServiceName, Managed>();
  readonly ports: Record<string, number> = {};
  readonly databaseUrls: Record<string, string> = {};
  env: NodeJS.ProcessEnv = {};
  gatewayUrl = '';
  smsCentreUrl = '';
  cardProviderUrl = '';
  readonly keyPrefix = `f${process.pid}${randomBytes(3).toString('hex')}:`;
  private readonly databases: TestDatabase[] = [];
  private readonly dataDir = mkdtempSync(join(tmpdir(), 'selfcare-faults-'));
  private readonly mail = new DevMailSink();
  private readonly redisUrl: string;
  private staffToken = '';

  constructor(private readonly options: DistributedOptions = {}) {
    this.redisUrl = options.redisUrl ?? 'redis://127.0.0.1:6379';
  }

  url(name: (typeof SUBGRAPHS)[number]): string {
    return this.env[`${name.toUpperCase()}_URL`]!;
  }

  async start(): Promise<this> {
    for (const name of SUBGRAPHS) {
      const given = this.options.databaseUrls?.[name];
      if (given) this.databaseUrls[name] = given;
      else if (process.env.TEST_DATABASE_URL) {
        const db = await createTestDatabase(name);
        this.databases.push(db);
        this.databaseUrls[name] = db.url;
      } else this.databaseUrls[name] = `sqlite:${join(this.dataDir, `${name}.sqlite`)}`;
    }
    const mailPort = await this.mail.start(0);
    for (const n of [...SUBGRAPHS, 'gateway', 'sms', 'cards']) this.ports[n] = await freePort();
    this.gatewayUrl = `http://127.0.0.1:${this.ports.gateway}`;
    this.smsCentreUrl = `http://127.0.0.1:${this.ports.sms}`;
    this.cardProviderUrl = `http://127.0.0.1:${this.ports.cards}`;
    const cardSecret = randomBytes(16).toString('hex');
    this.env = {
      PATH: process.env.PATH,
      NODE_ENV: 'test',
      LOG_LEVEL: 'warn',
      REDIS_URL: this.redisUrl,
      REDIS_KEY_PREFIX: this.keyPrefix,
      SMS_CENTRE_URL: `${this.smsCentreUrl}/dev/sms-centre`,
      SMS_CENTRE_SECRET: randomBytes(16).toString('hex'),
      SMTP_URL: `smtp://127.0.0.1:${mailPort}`,
      INTERNAL_API_TOKEN: randomBytes(24).toString('hex'),
      PUBLIC_URL: this.gatewayUrl,
      RELAY_POLL_MS: '100',
      ...Object.fromEntries(SUBGRAPHS.map((n) => [`${n.toUpperCase()}_URL`, `http://127.0.0.1:${this.ports[n]}`])),
      ...this.options.env,
    };
    const migrate = spawnSync(process.execPath, [join(root, 'gateway/dist/migrate-cli.js')], {
      env: { ...this.env, ...Object.fromEntries(SUBGRAPHS.map((n) => [`${n.toUpperCase()}_DATABASE_URL`, this.databaseUrls[n]])) },
      encoding: 'utf8',
      timeout: 90_000,
    });
    if (migrate.status !== 0) throw new Error(`migrate failed: ${migrate.stdout}${migrate.stderr}`);

    this.spawn('sms-centre', { SMS_CENTRE_PORT: String(this.ports.sms), INBOUND_WEBHOOK_URL: `${this.gatewayUrl}/sms/inbound` });
    this.spawn('card-provider', {
      CARD_PROVIDER_PORT: String(this.ports.cards),
      PAYMENT_PROVIDER_SECRET: cardSecret,
      WEBHOOK_URL: `${this.gatewayUrl}/payments/webhook`,
      CARD_PROVIDER_PUBLIC_URL: this.cardProviderUrl,
    });
    for (const name of SUBGRAPHS) {
      this.spawn(name, {
        [`${name.toUpperCase()}_PORT`]: String(this.ports[name]),
        [`${name.toUpperCase()}_DATABASE_URL`]: this.databaseUrls[name],
        ...(name === 'identity'
          ? { IDENTITY_JWT_PRIVATE_KEY: generateSigningKeyPem(), IDENTITY_KDF_LOG2_N: '10', STAFF_ACCOUNTS: JSON.stringify([{ login: 'ops', role: 'ADMIN', password: 'Ops-Test-2026!' }]) }
          : {}),
        ...(name === 'billing' ? { PAYMENT_PROVIDER_URL: this.cardProviderUrl, PAYMENT_PROVIDER_SECRET: cardSecret } : {}),
      });
    }
    this.spawn('gateway', { GATEWAY_PORT: String(this.ports.gateway), ...this.options.gatewayEnv });
    for (const name of SUBGRAPHS) await this.ready(name);
    await this.ready('gateway');
    return this;
  }

  /** Starts one more gateway process with its own environment (e.g. a subgraph's URL pointing at a proxy). */
  async startGateway(name: string, extra: NodeJS.ProcessEnv): Promise<string> {
    const port = await freePort();
    this.spawn(name as ServiceName, { GATEWAY_PORT: String(port), ...extra }, 'gateway/dist/main.js');
    const url = `http://127.0.0.1:${port}`;
    await this.waitReady(url, name as ServiceName);
    return url;
  }

  private spawn(name: ServiceName, extra: NodeJS.ProcessEnv, script = SCRIPTS[name]): ServiceProcess {
    const started = new ServiceProcess(name, script, { env: { ...this.env, ...extra } });
    this.processes.set(name, { script, extra, process: started });
    return started;
  }

  output(name: ServiceName): string {
    return this.processes.get(name)?.process.tail(3000) ?? '';
  }

  pid(name: ServiceName): number | undefined {
    return this.processes.get(name)?.process.child.pid;
  }

  alive(name: ServiceName): boolean {
    return this.processes.get(name)?.process.running ?? false;
  }

  baseUrl(name: ServiceName): string {
    if (name === 'gateway') return this.gatewayUrl;
    return this.url(name as (typeof SUBGRAPHS)[number]);
  }

  async ready(name: ServiceName): Promise<void> {
    await this.waitReady(this.baseUrl(name), name);
  }

  private async waitReady(url: string, name: ServiceName): Promise<void> {
    let last = '';
    const probe = async () => {
      try {
        const response = await fetch(`${url}/readyz`);
        last = `${response.status} ${(await response.text()).slice(0, 500)}`;
        return response.ok || undefined;
      } catch (error) {
        last = String(error);
        return undefined;
      }
    };
    await waitFor(probe, 60_000, () => `${name} to be ready (${last}): ${this.output(name)}`);
  }

  /** Kills a process (SIGKILL: no graceful shutdown) and waits until it is gone. */
  async kill(name: ServiceName, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    await this.processes.get(name)!.process.stop(signal);
  }

  /** Starts a killed process again, same port, same database, same environment. */
  async restart(name: ServiceName): Promise<void> {
    const managed = this.processes.get(name)!;
    await this.kill(name);
    this.spawn(name, managed.extra, managed.script);
    if (name !== 'sms-centre' && name !== 'card-provider') await this.ready(name);
  }

  gql<T = Record<string, any>>(query: string, variables: Record<string, unknown> = {}, token?: string, url = this.gatewayUrl): Promise<GraphQLResponse<T>> {
    return graphql<T>(`${url}/graphql`, query, variables, { token: token ?? null });
  }

  /** The operator's offer list, written into catalog's own database as its tooling would (no demo offers in this mode). */
  async loadOffers(): Promise<void> {
    const catalogDb = new Database({ service: 'catalog', url: this.databaseUrls.catalog!, entities: catalogEntities, migrations: catalogMigrations });
    await catalogDb.open();
    try {
      await loadDemoOffers(catalogDb, systemClock);
    } finally {
      await catalogDb.close();
    }
  }

  async staff(): Promise<string> {
    if (!this.staffToken) {
      const staff = await this.gql(`mutation { staffLogin(login: "ops", password: "Ops-Test-2026!") { accessToken } }`);
      if (staff.errors) throw new Error(JSON.stringify(staff.errors));
      this.staffToken = staff.data!.staffLogin.accessToken as string;
    }
    return this.staffToken;
  }

  async sms(msisdn: string): Promise<{ text: string }[]> {
    return (await (await fetch(`${this.smsCentreUrl}/dev/sms?to=${encodeURIComponent(msisdn)}`)).json()) as { text: string }[];
  }

  /** Provisions a mobile line (its tariff and account arrive over the bus), gets its SMS password and logs in. */
  async line(msisdn: string, options: { waitForAccount?: boolean } = {}): Promise<Line> {
    const provisioned = await this.gql(
      `mutation ($input: ProvisionSubscriberInput!) { provisionSubscriber(input: $input) { id } }`,
      { input: { kind: 'MOBILE', partyType: 'INDIVIDUAL', msisdn, language: 'EN', tariffCode: 'BEELINE_L' } },
      await this.staff(),
    );
    if (provisioned.errors) throw new Error(JSON.stringify(provisioned.errors));
    await this.gql(`mutation { requestPassword(msisdn: "${msisdn}") }`);
    const sms = await waitFor(async () => (await this.sms(msisdn)).find((m) => /password/i.test(m.text)), 20_000, `the password SMS to ${msisdn}`);
    const password = passwordIn(sms.text);
    const login = await this.gql(`mutation ($p: String!) { login(login: "${msisdn}", password: $p, channel: WEB) { accessToken } }`, { p: password });
    if (login.errors) throw new Error(JSON.stringify(login.errors));
    const line = { id: provisioned.data!.provisionSubscriber.id as string, msisdn, token: login.data!.login.accessToken as string, password };
    if (options.waitForAccount !== false) {
      const me = await eventually(() => this.gql(`{ me { account { number } tariff { code } } }`, {}, line.token), (r) => !!r.data?.me?.account && !!r.data?.me?.tariff, 30_000);
      if (!me.data?.me?.account) throw new Error(`no account for ${msisdn}: ${JSON.stringify(me)}`);
    }
    return line;
  }

  async stop(): Promise<void> {
    for (const name of this.processes.keys()) await this.kill(name);
    await this.mail.stop();
    for (const db of this.databases) await db.drop();
    rmSync(this.dataDir, { recursive: true, force: true });
    const redis = new Redis(this.redisUrl, { maxRetriesPerRequest: 1, lazyConnect: true });
    try {
      await redis.connect();
      const keys = await redis.keys(`${this.keyPrefix}*`);
      if (keys.length) await redis.del(...keys);
    } catch {
      // a private Redis already stopped keeps nothing anyway
    } finally {
      redis.disconnect();
    }
  }
}

/** A private redis-server (no persistence) on a port of its own, which a test may kill and start again. */
export class PrivateRedis {
  private child: ChildProcess | null = null;
  private readonly dir = mkdtempSync(join(tmpdir(), 'selfcare-redis-'));
  port = 0;

  /** `persistent`: an append-only file fsynced on every write, as production runs it (a restart keeps the data). */
  constructor(private readonly persistent = true) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  async start(): Promise<this> {
    if (!this.port) this.port = await freePort();
    const persistence = this.persistent ? ['--appendonly', 'yes', '--appendfsync', 'always'] : ['--appendonly', 'no'];
    this.child = spawn('redis-server', ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--dir', this.dir, ...persistence], { stdio: 'ignore' });
    await waitFor(async () => {
      const probe = new Redis(this.url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
      try {
        await probe.connect();
        return (await probe.ping()) === 'PONG' || undefined;
      } catch {
        return undefined;
      } finally {
        probe.disconnect();
      }
    }, 20_000, `redis-server on ${this.port}`);
    return this;
  }

  async stop(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    await stopProcess(this.child, signal);
  }

  /** Stops the server and deletes its data: a Redis that comes back empty (no persistence, a replaced node). */
  async wipe(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
    mkdirSync(this.dir);
  }

  async remove(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** A private MariaDB server (its own datadir, socket and port), which a test may kill and start again. */
export class PrivateMariaDb {
  private child: ChildProcess | null = null;
  private readonly dir = mkdtempSync(join(tmpdir(), 'selfcare-mariadb-'));
  port = 0;
  private log: string[] = [];

  get url(): string {
    return `mysql://root@127.0.0.1:${this.port}`;
  }

  static available(): boolean {
    return spawnSync('sh', ['-c', 'command -v mariadbd || test -x /usr/sbin/mariadbd'], { encoding: 'utf8' }).status === 0;
  }

  async start(): Promise<this> {
    if (!this.port) {
      this.port = await freePort();
      mkdirSync(join(this.dir, 'data'));
      const install = spawnSync('mariadb-install-db', ['--no-defaults', `--datadir=${join(this.dir, 'data')}`, '--auth-root-authentication-method=normal', '--skip-test-db', '--user=root'], { encoding: 'utf8', timeout: 120_000 });
      if (install.status !== 0) throw new Error(`mariadb-install-db failed: ${install.stdout}${install.stderr}`);
    }
    const mariadbd = spawnSync('sh', ['-c', 'command -v mariadbd || echo /usr/sbin/mariadbd'], { encoding: 'utf8' }).stdout.trim();
    this.log = [];
    this.child = spawn(
      mariadbd,
      [
        '--no-defaults',
        `--datadir=${join(this.dir, 'data')}`,
        `--socket=${join(this.dir, 'sock')}`,
        `--port=${this.port}`,
        '--bind-address=127.0.0.1',
        '--skip-grant-tables',
        '--user=root',
        '--innodb-buffer-pool-size=32M',
        '--skip-log-bin',
        '--pid-file=' + join(this.dir, 'pid'),
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    this.child.stdout!.on('data', (c) => this.log.push(String(c)));
    this.child.stderr!.on('data', (c) => this.log.push(String(c)));
    const mysql = await import('mysql2/promise');
    await waitFor(async () => {
      try {
        const connection = await mysql.createConnection({ host: '127.0.0.1', port: this.port, user: 'root' });
        await connection.end();
        return true;
      } catch {
        return undefined;
      }
    }, 60_000, () => `mariadbd on ${this.port}: ${this.log.join('').slice(-1500)}`);
    return this;
  }

  async stop(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    await stopProcess(this.child, signal);
  }

  async remove(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/**
 * An HTTP proxy in front of a subgraph: passes requests on, or — while `hold` is on — holds each one for `holdMs`
 * (10 s, a subgraph answering after 10 s) before passing it on. `held` counts requests held and not yet answered.
 */
export class SlowProxy {
  hold = false;
  holdMs = 10_000;
  held = 0;
  private server: Server | null = null;
  private readonly sockets = new Set<Socket>();
  private readonly timers = new Set<NodeJS.Timeout>();
  port = 0;

  constructor(private readonly target: string) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(): Promise<this> {
    const target = new URL(this.target);
    this.server = createHttpServer((req: IncomingMessage, res: ServerResponse) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const forward = () => {
          const upstream = httpRequest({ host: target.hostname, port: target.port, path: req.url, method: req.method, headers: req.headers }, (answer) => {
            res.writeHead(answer.statusCode ?? 502, answer.headers);
            answer.pipe(res);
          });
          upstream.on('error', () => res.destroy());
          upstream.end(Buffer.concat(chunks));
        };
        // Probes (readiness) always pass: only GraphQL is held.
        if (this.hold && req.url?.startsWith('/graphql')) {
          this.held += 1;
          const timer = setTimeout(() => {
            this.timers.delete(timer);
            this.held -= 1;
            forward();
          }, this.holdMs);
          this.timers.add(timer);
        } else forward();
      });
    });
    this.server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as { port: number }).port;
    return this;
  }

  async stop(): Promise<void> {
    for (const timer of this.timers) clearTimeout(timer);
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}

/** Opens a subgraph's database next to its process (reads only, for the invariant checks). */
export async function openDatabase(service: string, url: string): Promise<Database> {
  const db = new Database({ service, url, entities: [OutboxEventEntity, InboxEventEntity], migrations: [] });
  await db.open();
  return db;
}

type Row = Record<string, unknown>;
const num = (v: unknown) => Number(v ?? 0);

/**
 * The money invariants after a fault: every account's balance is the sum of its ledger entries and its last
 * entry's balance; every COMPLETED order with a fee has exactly one charge and no refund, a FAILED one as many
 * refunds as charges, a REJECTED one none, and none is left open; every SUCCEEDED payment has exactly one ledger
 * credit and no other payment has one. Returns the violations (empty when all hold) and what was checked.
 */
export async function moneyInvariants(billing: Database, catalog: Database): Promise<{ violations: string[]; accounts: number; entries: number; orders: number; payments: number }> {
  const violations: string[] = [];
  const accounts = (await billing.manager.query(
    `SELECT a.id, a.balance_minor AS balance, (SELECT COALESCE(SUM(e.amount_minor), 0) FROM ledger_entries e WHERE e.account_id = a.id) AS total,
            (SELECT e.balance_after_minor FROM ledger_entries e WHERE e.account_id = a.id ORDER BY e.seq DESC LIMIT 1) AS last,
            (SELECT COUNT(*) FROM ledger_entries e WHERE e.account_id = a.id) AS n, a.last_entry_seq AS seq
       FROM accounts a`,
  )) as Row[];
  for (const a of accounts) {
    if (num(a.balance) !== num(a.total)) violations.push(`account ${a.id}: balance ${a.balance} but its entries sum to ${a.total}`);
    if (num(a.n) > 0 && num(a.balance) !== num(a.last)) violations.push(`account ${a.id}: balance ${a.balance} but its last entry says ${a.last}`);
    if (num(a.n) !== num(a.seq)) violations.push(`account ${a.id}: ${a.n} entries but last_entry_seq ${a.seq}`);
  }
  const references = new Map<string, number>();
  const entries = (await billing.manager.query(`SELECT reference FROM ledger_entries WHERE reference IS NOT NULL`)) as Row[];
  for (const e of entries) references.set(String(e.reference), (references.get(String(e.reference)) ?? 0) + 1);
  const orders = (await catalog.manager.query(`SELECT id, status, fee_minor AS fee FROM product_orders`)) as Row[];
  for (const o of orders) {
    const charges = references.get(`order:${o.id}:charge`) ?? 0;
    const refunds = references.get(`order:${o.id}:refund`) ?? 0;
    if (o.status === 'COMPLETED' && (charges !== (num(o.fee) > 0 ? 1 : 0) || refunds !== 0)) violations.push(`order ${o.id} COMPLETED with ${charges} charges, ${refunds} refunds`);
    if (o.status === 'FAILED' && (charges > 1 || refunds !== charges)) violations.push(`order ${o.id} FAILED with ${charges} charges, ${refunds} refunds`);
    if (o.status === 'REJECTED' && (charges !== 0 || refunds !== 0)) violations.push(`order ${o.id} REJECTED with ${charges} charges`);
    if (o.status === 'ACKNOWLEDGED' || o.status === 'IN_PROGRESS') violations.push(`order ${o.id} still ${o.status}`);
  }
  const payments = (await billing.manager.query(`SELECT id, status FROM payments`)) as Row[];
  for (const p of payments) {
    const credits = references.get(`payment:${p.id}`) ?? 0;
    if (p.status === 'SUCCEEDED' ? credits !== 1 : credits !== 0) violations.push(`payment ${p.id} ${p.status} with ${credits} ledger credits`);
  }
  for (const [reference, count] of references) if (count > 1) violations.push(`reference ${reference} posted ${count} times`);
  return { violations, accounts: accounts.length, entries: entries.length, orders: orders.length, payments: payments.length };
}

/**
 * Exactly once over the bus: for every (consumer group, stream) a service's inbox knows, the inbox holds every
 * event the producer's outbox has for the bus (its primary key makes twice impossible). Returns what is missing.
 */
export async function outboxExactlyOnce(databases: Record<string, Database>): Promise<{ missing: string[]; pairs: number; events: number }> {
  const missing: string[] = [];
  let pairs = 0;
  let events = 0;
  const outboxIds = new Map<string, Set<number>>();
  const described = new Map<string, string>();
  for (const [service, db] of Object.entries(databases)) {
    // On the bus an event's id is its publish sequence (given in commit order), not its outbox row id.
    const rows = (await db.manager.query(`SELECT id, publish_seq AS seq, event_type AS type, published_at AS published FROM outbox_events WHERE event_type NOT LIKE 'notification.%'`)) as Row[];
    for (const r of rows) if (r.seq === null || r.seq === undefined) missing.push(`${service} outbox row ${r.id} (${r.type}) not sequenced for the bus yet`);
    const sequenced = rows.filter((r) => r.seq !== null && r.seq !== undefined);
    outboxIds.set(service, new Set(sequenced.map((r) => num(r.seq))));
    for (const r of sequenced) described.set(`${service}#${num(r.seq)}`, `${r.type}, ${r.published ? 'published' : 'not published'}`);
  }
  for (const [service, db] of Object.entries(databases)) {
    const groups = (await db.manager.query(`SELECT DISTINCT consumer_group AS g, stream AS s FROM inbox_events`)) as Row[];
    for (const { g, s } of groups) {
      const produced = outboxIds.get(String(s));
      if (!produced) continue;
      pairs += 1;
      const applied = new Set(((await db.manager.query(`SELECT event_id AS id FROM inbox_events WHERE consumer_group = ? AND stream = ?`, [g, s])) as Row[]).map((r) => num(r.id)));
      for (const id of produced) {
        events += 1;
        if (!applied.has(id)) missing.push(`${service}/${g} never applied ${s} event ${id} (${described.get(`${s}#${id}`)})`);
      }
    }
  }
  return { missing, pairs, events };
}
