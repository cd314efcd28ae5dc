import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { ParsedMail, simpleParser } from 'mailparser';
import {
  InProcessEventBus,
  Language,
  ManualClock,
  NotificationDispatcher,
  OutboxEventEntity,
  OutboxNotifications,
  OutboxRelay,
  ServiceMetrics,
  HttpSmsCentreTransport,
  SmtpEmailTransport,
  TransactionalOutbox,
  Texts,
  signBody,
  verifySignature,
  renderTexts,
} from '../src';
import { OpenedDatabase, TestApplied, openEventDatabase, recordApplied, silentLogger } from './event-fixtures';
import { IdempotentConsumer } from '../src';

const SECRET = 'sms-centre-test-secret';

interface ReceivedSms {
  id: string;
  from: string;
  to: string;
  text: string;
}

/** A stand-in SMS centre over real HTTP: verifies the signature, de-duplicates by message id, can fail on demand. */
class FakeSmsCentre {
  readonly accepted: ReceivedSms[] = [];
  readonly requests: { body: string; signatureValid: boolean }[] = [];
  failNext = 0;
  private server!: Server;
  url = '';

  async start(): Promise<void> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    const signatureValid = verifySignature(body, req.headers['x-signature'] as string | undefined, SECRET);
    this.requests.push({ body, signatureValid });
    if (req.method !== 'POST' || req.url !== '/messages') return void res.writeHead(404).end();
    if (!signatureValid) return void res.writeHead(401).end('bad signature');
    if (this.failNext > 0) {
      this.failNext -= 1;
      return void res.writeHead(503).end('try later');
    }
    const message = JSON.parse(body) as ReceivedSms;
    if (!this.accepted.some((m) => m.id === message.id)) this.accepted.push(message);
    res.writeHead(202, { 'content-type': 'application/json' }).end('{"status":"queued"}');
  }
}

/** A real SMTP server (no TLS, no auth, like the development mail sink) collecting parsed messages. */
async function startSmtp(): Promise<{ url: string; mails: ParsedMail[]; rejectNext: number; stop(): Promise<void> }> {
  const state = { url: '', mails: [] as ParsedMail[], rejectNext: 0, stop: async () => undefined as void };
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onData(stream, _session, callback) {
      simpleParser(stream)
        .then((mail) => {
          if (state.rejectNext > 0) {
            state.rejectNext -= 1;
            return callback(Object.assign(new Error('mailbox temporarily unavailable'), { responseCode: 451 }));
          }
          state.mails.push(mail);
          callback();
        })
        .catch(callback);
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.url = `smtp://127.0.0.1:${(server.server.address() as AddressInfo).port}`;
  state.stop = () => new Promise((resolve) => server.close(() => resolve()));
  return state;
}

const codeTexts: Texts = {
  [Language.KK]: 'Beeline: растау коды {code}. Ешкімге айтпаңыз.',
  [Language.RU]: 'Beeline: код подтверждения {code}. Никому не сообщайте.',
  [Language.EN]: 'Beeline: your confirmation code is {code}. Do not share it.',
};

describe('notifications through the outbox', () => {
  let db: OpenedDatabase;
  let sms: FakeSmsCentre;
  let smtp: Awaited<ReturnType<typeof startSmtp>>;
  let clock: ManualClock;
  let outbox: TransactionalOutbox;
  let notifications: OutboxNotifications;
  let email: SmtpEmailTransport;
  let relay: OutboxRelay;
  let bus: InProcessEventBus;
  let metrics: ServiceMetrics;

  beforeEach(async () => {
    db = await openEventDatabase('notify');
    sms = new FakeSmsCentre();
    await sms.start();
    smtp = await startSmtp();
    clock = new ManualClock(new Date('2026-03-01T09:00:00Z'));
    outbox = new TransactionalOutbox('identity', clock);
    notifications = new OutboxNotifications(outbox, clock);
    email = new SmtpEmailTransport(smtp.url, 'Beeline <noreply@beeline.kz>');
    bus = new InProcessEventBus();
    relay = new OutboxRelay({
      database: db.database,
      bus,
      stream: 'identity',
      dispatcher: new NotificationDispatcher(new HttpSmsCentreTransport(sms.url, SECRET), email, silentLogger),
      logger: silentLogger,
      metrics: (metrics = new ServiceMetrics('identity')),
      pollIntervalMs: 60_000,
      retryBaseMs: 1_000,
      maxNotificationAttempts: 4,
      clock,
    });
  });

  afterEach(async () => {
    await relay.stop();
    await bus.close();
    await email.close();
    await sms.stop();
    await smtp.stop();
    await db.close();
  });

  it('renders each SMS in the requested language with its parameters and sends it signed to the SMS centre', async () => {
    await db.database.transaction(async (manager) => {
      await notifications.sms(manager, { to: '+77051234567', language: Language.KK, texts: codeTexts, params: { code: '1111' } });
      await notifications.sms(manager, { to: '8 705 123 45 68', language: Language.RU, texts: codeTexts, params: { code: '2222' } });
      await notifications.sms(manager, { to: '+77051234569', language: Language.EN, texts: codeTexts, params: { code: '3333' }, from: 'BeelineKZ' });
    });
    const result = await relay.drainOnce();
    expect(result.dispatched).toBe(3);
    expect(sms.requests.every((r) => r.signatureValid)).toBe(true);
    expect(sms.accepted.map(({ from, to, text }) => ({ from, to, text }))).toEqual([
      { from: 'Beeline', to: '+77051234567', text: 'Beeline: растау коды 1111. Ешкімге айтпаңыз.' },
      { from: 'Beeline', to: '+77051234568', text: 'Beeline: код подтверждения 2222. Никому не сообщайте.' },
      { from: 'BeelineKZ', to: '+77051234569', text: 'Beeline: your confirmation code is 3333. Do not share it.' },
    ]);
    // Each message has its own id, fixed at enqueue.
    const rows = await db.database.manager.find(OutboxEventEntity, { order: { id: 'ASC' } });
    expect(sms.accepted.map((m) => m.id)).toEqual(rows.map((r) => r.payload.messageId));
    expect(new Set(sms.accepted.map((m) => m.id)).size).toBe(3);
    expect(rows.every((r) => r.publishedAt instanceof Date && r.type === 'notification.sms')).toBe(true);
    // Once sent, the text (a code, a password) no longer stays readable in the outbox table.
    expect(rows.map((r) => r.payload)).toEqual(sms.accepted.map((m) => ({ messageId: m.id, to: m.to, redacted: true })));
    expect(JSON.stringify(rows)).not.toMatch(/1111|2222|3333/);
  });

  it('never sends a notification enqueued in a rolled-back transaction', async () => {
    await expect(
      db.database.transaction(async (manager) => {
        await notifications.sms(manager, { to: '+77051234567', language: Language.RU, texts: codeTexts, params: { code: '9999' } });
        await notifications.email(manager, { to: 'a@example.kz', language: Language.RU, subject: codeTexts, body: codeTexts, params: { code: '9999' } });
        throw new Error('the change failed');
      }),
    ).rejects.toThrow('the change failed');
    expect(await relay.drainOnce()).toEqual({ published: 0, dispatched: 0, failed: 0 });
    expect(sms.requests).toHaveLength(0);
    expect(smtp.mails).toHaveLength(0);
    expect(await db.database.manager.count(OutboxEventEntity)).toBe(0);
  });

  it('sends e-mail over real SMTP in the requested language with List-Unsubscribe headers intact', async () => {
    const unsubscribe = '<https://my.beeline.kz/unsubscribe?token=abc123>, <mailto:unsubscribe@beeline.kz?subject=unsubscribe>';
    await db.database.transaction((manager) =>
      notifications.email(manager, {
        to: 'aigerim@example.kz',
        language: Language.KK,
        subject: { KK: 'Шот {month}', RU: 'Счёт за {month}', EN: 'Invoice for {month}' },
        body: { KK: 'Сіздің шотыңыз: {amount} ₸', RU: 'Ваш счёт: {amount} ₸', EN: 'Your invoice: {amount} ₸' },
        params: { month: '2026-02', amount: '4 990' },
        headers: { 'List-Unsubscribe': unsubscribe, 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click' },
      }),
    );
    expect((await relay.drainOnce()).dispatched).toBe(1);
    expect(smtp.mails).toHaveLength(1);
    const mail = smtp.mails[0]!;
    const [row] = await db.database.manager.find(OutboxEventEntity);
    expect(mail.subject).toBe('Шот 2026-02');
    expect(mail.text?.trim()).toBe('Сіздің шотыңыз: 4 990 ₸');
    expect(mail.messageId).toBe(`<${String(row!.payload.messageId)}@beeline.kz>`);
    expect((mail.to as { value: { address: string }[] }).value[0]!.address).toBe('aigerim@example.kz');
    const line = (key: string) => mail.headerLines.find((h) => h.key === key)?.line.replace(/\r?\n\s+/g, ' ');
    expect(line('list-unsubscribe')).toBe(`List-Unsubscribe: ${unsubscribe}`);
    expect(line('list-unsubscribe-post')).toBe('List-Unsubscribe-Post: List-Unsubscribe=One-Click');
  });

  it('retries a failed SMS with backoff and delivers it once the SMS centre recovers, under the same message id', async () => {
    sms.failNext = 2;
    await db.database.transaction((manager) =>
      notifications.sms(manager, { to: '+77051234567', language: Language.EN, texts: codeTexts, params: { code: '4242' } }),
    );
    expect(await relay.drainOnce()).toEqual({ published: 0, dispatched: 0, failed: 1 });
    let [row] = await db.database.manager.find(OutboxEventEntity);
    expect(row!.attempts).toBe(1);
    expect(row!.lastError).toMatch(/503/);
    expect(row!.nextAttemptAt!.getTime()).toBe(clock.now().getTime() + 1_000);
    expect(row!.publishedAt).toBeNull();

    // Not due yet: the relay leaves it alone.
    await relay.drainOnce();
    expect(sms.requests).toHaveLength(1);

    clock.advance(1_000);
    expect((await relay.drainOnce()).failed).toBe(1);
    [row] = await db.database.manager.find(OutboxEventEntity);
    expect(row!.attempts).toBe(2);
    expect(row!.nextAttemptAt!.getTime()).toBe(clock.now().getTime() + 2_000); // doubled

    clock.advance(2_000);
    expect((await relay.drainOnce()).dispatched).toBe(1);
    expect(sms.requests).toHaveLength(3);
    const ids = sms.requests.map((r) => (JSON.parse(r.body) as ReceivedSms).id);
    expect(new Set(ids).size).toBe(1);
    expect(sms.accepted).toHaveLength(1);
    expect(sms.accepted[0]!.text).toBe('Beeline: your confirmation code is 4242. Do not share it.');
    [row] = await db.database.manager.find(OutboxEventEntity);
    expect(row!.publishedAt).toBeInstanceOf(Date);
    expect(await relay.drainOnce()).toEqual({ published: 0, dispatched: 0, failed: 0 });
    expect(await metrics.registry.getSingleMetricAsString('outbox_failed_total')).toContain('outbox_failed_total{stream="identity",kind="notification",service="identity"} 2');
    expect(await metrics.registry.getSingleMetricAsString('outbox_published_total')).toContain('outbox_published_total{stream="identity",kind="notification",service="identity"} 1');
  });

  it('retries an e-mail the mail server refused and delivers it once, with the same Message-ID', async () => {
    smtp.rejectNext = 1;
    await db.database.transaction((manager) =>
      notifications.email(manager, { to: 'dana@example.kz', language: Language.RU, subject: codeTexts, body: codeTexts, params: { code: '77' } }),
    );
    expect((await relay.drainOnce()).failed).toBe(1);
    expect(smtp.mails).toHaveLength(0);
    const [row] = await db.database.manager.find(OutboxEventEntity);
    expect(row!.lastError).toMatch(/451/);
    clock.advance(1_000);
    expect((await relay.drainOnce()).dispatched).toBe(1);
    expect(smtp.mails).toHaveLength(1);
    expect(smtp.mails[0]!.subject).toBe('Beeline: код подтверждения 77. Никому не сообщайте.');
    expect(smtp.mails[0]!.messageId).toBe(`<${String(row!.payload.messageId)}@beeline.kz>`);
    clock.advance(60_000);
    await relay.drainOnce();
    expect(smtp.mails).toHaveLength(1);
  });

  it('a failing notification blocks neither events nor other notifications, and is given up after the maximum attempts', async () => {
    const consumerDb = await openEventDatabase('notify_consumer');
    const consumer = new IdempotentConsumer({ database: consumerDb.database, bus, stream: 'identity', group: 'billing', handler: recordApplied, logger: silentLogger });
    try {
      await consumer.start();
      await db.database.transaction(async (manager) => {
        // This SMS meets an SMS centre that keeps failing; the event and the e-mail must still go out.
        await notifications.sms(manager, { to: '+77051234567', language: Language.RU, texts: codeTexts, params: { code: '1' } });
        await outbox.add(manager, 'SubscriberProvisioned', { index: 0, label: 'provisioned' });
      });
      sms.failNext = 100;
      await db.database.transaction((manager) =>
        notifications.email(manager, { to: 'x@example.kz', language: Language.EN, subject: codeTexts, body: codeTexts, params: { code: '2' } }),
      );
      const first = await relay.drainOnce();
      expect(first).toEqual({ published: 1, dispatched: 1, failed: 1 });
      expect(await consumerDb.database.manager.count(TestApplied)).toBe(1);
      expect(smtp.mails).toHaveLength(1);
      for (let attempt = 2; attempt <= 4; attempt += 1) {
        clock.advance(60_000);
        expect((await relay.drainOnce()).failed).toBe(1);
      }
      const sent = sms.requests.length;
      clock.advance(3_600_000);
      expect(await relay.drainOnce()).toEqual({ published: 0, dispatched: 0, failed: 0 });
      expect(sms.requests).toHaveLength(sent);
      const abandoned = await db.database.manager.findOneByOrFail(OutboxEventEntity, { type: 'notification.sms' });
      expect(abandoned.attempts).toBe(4);
      expect(abandoned.abandonedAt).toBeInstanceOf(Date);
      expect(abandoned.publishedAt).toBeNull();
      expect(abandoned.payload).toEqual({ messageId: expect.any(String), to: '+77051234567', redacted: true });
    } finally {
      await consumer.stop();
      await consumerDb.close();
    }
  });

  it('rejects a recipient that is not a Kazakhstan number or an e-mail address, and header injection', async () => {
    await expect(
      db.database.transaction((manager) => notifications.sms(manager, { to: '+79161234567', language: Language.RU, texts: codeTexts })),
    ).rejects.toThrow(/Kazakhstan/);
    await expect(
      db.database.transaction((manager) => notifications.email(manager, { to: 'not-an-address', language: Language.RU, subject: codeTexts, body: codeTexts })),
    ).rejects.toThrow(/e-mail/);
    await expect(
      db.database.transaction((manager) =>
        notifications.email(manager, { to: 'a@example.kz', language: Language.RU, subject: codeTexts, body: codeTexts, headers: { 'List-Unsubscribe': '<x>\r\nBcc: victim@example.kz' } }),
      ),
    ).rejects.toThrow(/header/);
    expect(await db.database.manager.count(OutboxEventEntity)).toBe(0);
  });
});

describe('SMS centre signatures', () => {
  it('signs with hex HMAC-SHA256 and verifies only the exact body and secret', () => {
    const body = JSON.stringify({ id: 'm1', from: 'Beeline', to: '+77051234567', text: 'hi' });
    const signature = signBody(body, SECRET);
    expect(signature).toMatch(/^[0-9a-f]{64}$/);
    // Known-answer check against the standard HMAC construction.
    expect(signBody('abc', 'key')).toBe('9c196e32dc0175f86f4b1cb89289d6619de6bee699e4c378e68309ed97a1a6ab');
    expect(verifySignature(body, signature, SECRET)).toBe(true);
    expect(verifySignature(Buffer.from(body), signature.toUpperCase(), SECRET)).toBe(true);
    expect(verifySignature(`${body} `, signature, SECRET)).toBe(false);
    expect(verifySignature(body, signature, 'other-secret')).toBe(false);
    expect(verifySignature(body, undefined, SECRET)).toBe(false);
    expect(verifySignature(body, signature.slice(0, 62), SECRET)).toBe(false);
  });

  it('throws on a non-2xx answer so the relay retries', async () => {
    const centre = new FakeSmsCentre();
    await centre.start();
    try {
      const wrongSecret = new HttpSmsCentreTransport(centre.url, 'wrong');
      await expect(wrongSecret.send({ id: 'm1', from: 'Beeline', to: '+77051234567', text: 'x' })).rejects.toThrow(/401/);
      const transport = new HttpSmsCentreTransport(`${centre.url}/`, SECRET);
      await transport.send({ id: 'm2', from: 'Beeline', to: '+77051234567', text: 'ok' });
      expect(centre.accepted.map((m) => m.id)).toEqual(['m2']);
    } finally {
      await centre.stop();
    }
  });

  it('falls back to Russian when a text lacks the requested language', () => {
    const texts = { RU: 'Привет, {name}', KK: '', EN: 'Hi, {name}' } as Texts;
    expect(renderTexts(texts, Language.EN, { name: 'Aruzhan' })).toBe('Hi, Aruzhan');
    expect(renderTexts(texts, Language.KK, { name: 'Aruzhan' })).toBe('Привет, Aruzhan');
    expect(renderTexts({ RU: 'Привет' } as Texts, Language.EN)).toBe('Привет');
  });
});

