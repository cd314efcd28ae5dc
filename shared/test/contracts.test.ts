import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import express from 'express';
import { z } from 'zod';
import {
  ContractOutbox,
  DomainError,
  DomainEvent,
  ErrorCode,
  EventContractError,
  IdempotentConsumer,
  InboxEventEntity,
  InProcessEventBus,
  INTERNAL_TOKEN_HEADER,
  InternalClient,
  OutboxEventEntity,
  ServiceDirectory,
  TransactionalOutbox,
  billingEvents,
  contractHandler,
  createLogger,
  defineEvents,
  defineInternalRoute,
  identityEvents,
  serveInternal,
  systemClock,
} from '../src';
import { OpenedDatabase, TestApplied, openEventDatabase } from './event-fixtures';

/** A producer's contract as the services declare theirs (shared/src/contracts). */
const lineEvents = defineEvents('catalog', {
  LineOpened: z.object({ subscriberId: z.string().uuid(), index: z.number().int(), label: z.string().max(20) }),
  LineClosed: z.object({ subscriberId: z.string().uuid() }),
});
const LINE = '5f1c2a8e-0001-4a6b-9c1d-000000000001';

function capturingLogger() {
  const errors: { fields: Record<string, unknown>; message: string }[] = [];
  const logger = createLogger('contracts-test', 'fatal');
  logger.error = ((fields: Record<string, unknown>, message: string) => void errors.push({ fields, message })) as typeof logger.error;
  return { logger, errors };
}

describe('typed event contracts (real database)', () => {
  let db: OpenedDatabase;
  beforeEach(async () => {
    db = await openEventDatabase('contracts');
  });
  afterEach(async () => {
    await db.close();
  });

  describe('the outbox typed by its contract', () => {
    const outbox = () => new ContractOutbox(lineEvents, new TransactionalOutbox('catalog', systemClock));

    it('writes a payload that fits, without fields the contract does not name', async () => {
      await db.database.transaction((manager) => outbox().add(manager, 'LineOpened', { subscriberId: LINE, index: 1, label: 'opened', extra: 'dropped' } as never));
      const [row] = await db.database.manager.find(OutboxEventEntity);
      expect(row).toMatchObject({ stream: 'catalog', type: 'LineOpened', payload: { subscriberId: LINE, index: 1, label: 'opened' } });
      expect(row!.payload).not.toHaveProperty('extra');
    });

    it('refuses a malformed payload before insert, and the transaction that carried it commits nothing', async () => {
      const attempt = db.database.transaction(async (manager) => {
        await manager.insert(TestApplied, { eventId: 1, burstIndex: 1, label: 'the change the event reports' });
        // What a JavaScript caller, or a cast, could hand over: the index is not an integer.
        await outbox().add(manager, 'LineOpened', { subscriberId: LINE, index: 1.5, label: 'x' });
      });
      await expect(attempt).rejects.toBeInstanceOf(EventContractError);
      await expect(attempt).rejects.toThrow(/catalog event LineOpened does not fit its contract: index/);
      expect(await db.database.manager.count(OutboxEventEntity)).toBe(0);
      expect(await db.database.manager.count(TestApplied)).toBe(0);
    });

    it('refuses a type the contract does not have, and another stream’s contract', async () => {
      await expect(db.database.transaction((manager) => outbox().add(manager, 'LineMoved' as never, {} as never))).rejects.toThrow(/LineMoved is not an event of the catalog contract/);
      await expect(db.database.transaction((manager) => outbox().add(manager, 'constructor' as never, {} as never))).rejects.toThrow(/not an event/);
      expect(() => new ContractOutbox(identityEvents, new TransactionalOutbox('billing', systemClock))).toThrow(/billing outbox cannot publish events of the identity stream/);
      expect(await db.database.manager.count(OutboxEventEntity)).toBe(0);
    });

    it('types the payload by the event type at compile time (this file is type-checked by npm test)', () => {
      const typeChecks = (manager: never) => {
        // @ts-expect-error LineOpened needs its index and label
        void outbox().add(manager, 'LineOpened', { subscriberId: LINE });
        // @ts-expect-error no such event in the contract
        void outbox().add(manager, 'LineMoved', { subscriberId: LINE });
        void contractHandler(lineEvents, {
          LineOpened: async (line) => {
            // @ts-expect-error the handler receives the parsed payload's types
            const index: string = line.index;
            void index;
          },
        }, capturingLogger().logger);
      };
      expect(typeof typeChecks).toBe('function');
    });

    it('holds billing’s real events to their contract: money in integer minor units', async () => {
      const billing = new ContractOutbox(billingEvents, new TransactionalOutbox('billing', systemClock));
      const debt = { subscriberId: LINE, accountId: 'a1', balanceMinor: -150_000, creditLimitMinor: 0 };
      await db.database.transaction((manager) => billing.add(manager, 'DebtIncurred', debt));
      await expect(db.database.transaction((manager) => billing.add(manager, 'DebtIncurred', { ...debt, balanceMinor: -1500.5 }))).rejects.toThrow(/balanceMinor/);
      expect(await db.database.manager.count(OutboxEventEntity)).toBe(1);
    });
  });

  describe('a consumer with typed handlers', () => {
    const event = (id: number, type: string, payload: Record<string, unknown>): DomainEvent => ({ stream: 'catalog', id, type, payload, occurredAt: new Date().toISOString() });

    function consumer(handlers: Parameters<typeof contractHandler<typeof lineEvents>>[1]) {
      const { logger, errors } = capturingLogger();
      const bus = new InProcessEventBus();
      const consuming = new IdempotentConsumer({ database: db.database, bus, stream: 'catalog', group: 'billing', handler: contractHandler(lineEvents, handlers, logger), logger });
      return { consuming, errors, bus };
    }

    it('gets the parsed payload; skips a malformed event (logged, marked seen) and the stream goes on', async () => {
      const opened: { index: number; label: string; eventId: number }[] = [];
      const { consuming, errors, bus } = consumer({
        LineOpened: async (line, manager, received) => {
          opened.push({ index: line.index, label: line.label, eventId: received.id });
          await manager.insert(TestApplied, { eventId: received.id, burstIndex: line.index, label: line.label });
        },
      });
      try {
        expect(await consuming.apply(event(1, 'LineOpened', { subscriberId: 'not-a-uuid', index: 1, label: 'bad' }))).toBe(true);
        expect(await consuming.apply(event(2, 'LineOpened', { subscriberId: LINE, index: 2, label: 'good' }))).toBe(true);
        expect(opened).toEqual([{ index: 2, label: 'good', eventId: 2 }]);
        expect(errors).toEqual([{ fields: expect.objectContaining({ stream: 'catalog', eventId: 1, type: 'LineOpened' }), message: 'malformed LineOpened skipped' }]);
        // Skipped, not retried: the inbox records it like any applied event, so a redelivery is a no-op too.
        expect(await db.database.manager.count(InboxEventEntity)).toBe(2);
        expect(await consuming.apply(event(1, 'LineOpened', { subscriberId: 'not-a-uuid', index: 1, label: 'bad' }))).toBe(false);
        expect(errors).toHaveLength(1);
      } finally {
        await bus.close();
      }
    });

    it('ignores types it has no handler for, unknown ones and Object.prototype’s names alike', async () => {
      const seen: string[] = [];
      const { consuming, errors, bus } = consumer({ LineOpened: async (line) => void seen.push(line.label) });
      try {
        for (const [id, type] of [[1, 'LineClosed'], [2, 'LineRenamed'], [3, 'constructor'], [4, '__proto__'], [5, 'toString']] as const) {
          expect(await consuming.apply(event(id, type, { subscriberId: LINE }))).toBe(true);
        }
        expect(seen).toEqual([]);
        expect(errors).toEqual([]);
      } finally {
        await bus.close();
      }
    });

    it('hands a read’s runs of one type to a batch handler at once, in order, malformed ones left out and the rest one by one', async () => {
      const calls: string[] = [];
      const { consuming, errors, bus } = consumer({
        LineOpened: { many: async (lines, _manager, received) => void calls.push(`opened ${lines.map((l) => l.label).join(',')} #${received.map((e) => e.id).join(',')}`) },
        LineClosed: async (_line, _manager, received) => void calls.push(`closed #${received.id}`),
      });
      try {
        await consuming.applyMany([
          event(1, 'LineOpened', { subscriberId: LINE, index: 1, label: 'a' }),
          event(2, 'LineOpened', { subscriberId: 'not-a-uuid', index: 2, label: 'bad' }),
          event(3, 'LineOpened', { subscriberId: LINE, index: 3, label: 'c' }),
          event(4, 'LineClosed', { subscriberId: LINE }),
          event(5, 'LineClosed', { subscriberId: LINE }),
          event(6, 'LineRenamed', { subscriberId: LINE }),
          event(7, 'LineOpened', { subscriberId: LINE, index: 7, label: 'g' }),
        ]);
        expect(calls).toEqual(['opened a,c #1,3', 'closed #4', 'closed #5', 'opened g #7']);
        expect(errors.map((e) => e.message)).toEqual(['malformed LineOpened skipped']);
        // Every event of the read is marked seen, the unhandled and the malformed ones too.
        expect(await db.database.manager.count(InboxEventEntity, { where: { consumerGroup: 'billing', stream: 'catalog' } })).toBe(7);
        // One event alone goes to the batch handler as a run of one.
        await consuming.apply(event(8, 'LineOpened', { subscriberId: LINE, index: 8, label: 'h' }));
        expect(calls[calls.length - 1]).toBe('opened h #8');
      } finally {
        await bus.close();
      }
    });

    it('refuses, at registration, a handler for a type the producer does not publish (a typo would drop every such event)', () => {
      const { logger } = capturingLogger();
      expect(() => contractHandler(lineEvents, { LineOpend: async () => undefined } as never, logger)).toThrow(/LineOpend is not an event of the catalog contract/);
    });
  });
});

describe('typed internal routes (real HTTP)', () => {
  const token = 'internal-token-of-this-test-0123456789';
  const echo = defineInternalRoute({
    service: 'catalog',
    method: 'POST',
    path: '/internal/echo',
    request: z.object({ ids: z.array(z.string().min(1).max(36)).max(3) }),
    response: z.object({ answers: z.array(z.number().int()) }),
  });
  const lookup = defineInternalRoute({
    service: 'catalog',
    method: 'GET',
    path: '/internal/lookup',
    successStatus: 200,
    request: z.object({ id: z.string().uuid() }),
    response: z.object({ id: z.string(), found: z.boolean() }),
  });
  /** The route's declared answer, and what a drifting implementation could send instead. */
  const drifting = defineInternalRoute({ service: 'catalog', method: 'POST', path: '/internal/drifting', request: z.object({}), response: z.object({ plans: z.array(z.string()) }) });
  let server: Server;
  let client: InternalClient;
  let base: string;
  const { logger, errors } = capturingLogger();

  beforeAll(async () => {
    const app = express();
    serveInternal(app, token, echo, async ({ ids }) => ({ answers: ids.map((id) => id.length) }));
    serveInternal(app, token, lookup, async ({ id }) => {
      if (id.startsWith('0')) throw new DomainError(ErrorCode.NOT_FOUND);
      return { id, found: true };
    });
    serveInternal(app, token, drifting, async () => ({ plans: [1, 2] }) as never);
    server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    client = new InternalClient(new ServiceDirectory({ catalog: base }), token, { logger });
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  const post = (path: string, body: unknown, headers: Record<string, string> = { [INTERNAL_TOKEN_HEADER]: token }) =>
    fetch(`${base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });

  it('answers the caller with the typed response, GET and POST', async () => {
    expect(await client.call(echo, { ids: ['a', 'abc'] })).toEqual({ answers: [1, 3] });
    expect(await client.call(lookup, { id: LINE })).toEqual({ id: LINE, found: true });
  });

  it('refuses a request out of contract with 400 BAD_USER_INPUT naming the field, and a missing token with 401', async () => {
    const tooMany = await post('/internal/echo', { ids: ['a', 'b', 'c', 'd'] });
    expect(tooMany.status).toBe(400);
    expect(await tooMany.json()).toEqual({ error: { code: 'BAD_USER_INPUT', field: 'ids', message: expect.stringMatching(/^ids: /) } });
    expect((await post('/internal/echo', 'not an object')).status).toBe(400);
    expect((await fetch(`${base}/internal/lookup?id=nope`, { headers: { [INTERNAL_TOKEN_HEADER]: token } })).status).toBe(400);
    expect((await post('/internal/echo', { ids: [] }, {})).status).toBe(401);
  });

  it('answers a DomainError with its code and status', async () => {
    const missing = await fetch(`${base}/internal/lookup?id=00000000-0000-4000-8000-000000000000`, { headers: { [INTERNAL_TOKEN_HEADER]: token } });
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { error: { code: string } }).error.code).toBe('NOT_FOUND');
  });

  it('a caller sends nothing out of contract, and an answer out of contract is SERVICE_UNAVAILABLE, logged', async () => {
    await expect(client.call(echo, { ids: ['a', 'b', 'c', 'd'] })).rejects.toThrow(/request to catalog \/internal\/echo breaks its contract/);
    const refused = client.call(drifting, {});
    await expect(refused).rejects.toBeInstanceOf(DomainError);
    await expect(refused).rejects.toMatchObject({ code: ErrorCode.SERVICE_UNAVAILABLE });
    expect(errors.some((e) => e.message === 'internal API answered out of contract' && e.fields.path === '/internal/drifting')).toBe(true);
  });
});

describe('isoDateTime', () => {
  it('accepts and refuses exactly what zod’s datetime({ offset: true }) does', async () => {
    const { isoDateTime } = await import('../src/contracts/common');
    const zods = z.string().datetime({ offset: true });
    const samples = [
      '2026-12-04T19:01:53Z', '2026-12-04T19:01:53.123Z', '2026-12-04T19:01:53.1234567+05:00', '2026-12-04T19:01Z', '2026-12-04T19:01:53+0500',
      '2024-02-29T00:00:00Z', '2023-02-29T00:00:00Z', '2000-02-29T00:00:00Z', '1900-02-29T00:00:00Z', '2026-04-31T00:00:00Z', '2026-13-01T00:00:00Z',
      '2026-12-04T24:00:00Z', '2026-12-04T19:60:00Z', '2026-12-04T19:01:53', '2026-12-04 19:01:53Z', '2026-12-04T19:01:53.Z', '2026-12-04T19:01:53+05',
      '', 'now', '2026-12-04', '2026-12-04T19:01:53Zjunk', ' 2026-12-04T19:01:53Z', '+02026-12-04T19:01:53Z',
    ];
    for (const sample of samples) expect([sample, isoDateTime.safeParse(sample).success]).toEqual([sample, zods.safeParse(sample).success]);
    expect(samples.filter((s) => isoDateTime.safeParse(s).success).length).toBeGreaterThan(5);
  });
});
