import { randomUUID } from 'node:crypto';
import type { OrderCrashPoint, OrderFaults } from '@selfcare/catalog';
import { eventually, suiteFixture } from '@selfcare/shared/testing';
import { TestSystem } from '../support/system';
import { connect, disconnect, expectLedgerConsistent, finalOrder, ledgerOf, loginDemo, products } from '../support/orders';

/**
 * An order's saga stopped between any two of its steps, as a crash would stop it, is finished — or compensated — by
 * the catalog started again on the same database: never a charge without the service, never the service without the
 * charge. On SQLite, and on MariaDB with TEST_DATABASE_URL.
 */
describe('orders survive a crash between any two steps', () => {
  const faults: OrderFaults = { crashAt: null };
  // A short lease: the restarted catalog takes the dead one's orders over after a second.
  const t = suiteFixture(() => TestSystem.start({ catalog: { faults, orderLeaseMs: 1000, orderRecoveryIntervalMs: 200 } }));

  const connectionsOf = async (orderId: string) =>
    Number((await t.system.subgraphs.catalog.runtime.database.manager.query('SELECT COUNT(*) AS n FROM connected_services WHERE order_id = ?', [orderId]))[0].n);

  const orderIdByKey = async (key: string): Promise<string> =>
    (await t.system.subgraphs.catalog.runtime.database.manager.query('SELECT id FROM product_orders WHERE idempotency_key = ?', [key]))[0].id;

  for (const point of ['after-accept', 'after-in-progress', 'after-charge', 'after-charged'] as OrderCrashPoint[]) {
    it(`${point}: the restarted catalog completes the order, charged once, the service on the line once`, async () => {
      const steppe = await loginDemo(t, 'steppe');
      const before = await ledgerOf(t, steppe.subscriberId);
      const key = randomUUID();
      faults.crashAt = point;
      const crashed = await connect(t, steppe.accessToken, steppe.subscriberId, 'CLOUD_PBX', '2025-09-01', key);
      expect(TestSystem.code(crashed)).toBe('INTERNAL');
      expect(faults.crashAt).toBeNull(); // it did stop there
      const id = await orderIdByKey(key);

      await t.restartSubgraph('catalog');
      const done = await finalOrder(t, steppe.accessToken, id);
      expect(done).toMatchObject({ status: 'COMPLETED', failureCode: null });
      // The client's retry with its key gets that order.
      expect((await connect(t, steppe.accessToken, steppe.subscriberId, 'CLOUD_PBX', '2025-09-01', key)).data!.connectService).toMatchObject({ id, status: 'COMPLETED' });

      const after = await ledgerOf(t, steppe.subscriberId);
      expect(after.entries.filter((e) => e.reference === `order:${id}:charge`)).toHaveLength(1);
      expect(after.account.balanceMinor).toBe(before.account.balanceMinor - 500_000);
      expectLedgerConsistent(after);
      expect(await connectionsOf(id)).toBe(1);
      expect((await products(t, steppe.accessToken, null)).services.filter((s) => s.service.code === 'CLOUD_PBX')).toHaveLength(1);
      expect((await disconnect(t, steppe.accessToken, steppe.subscriberId, 'CLOUD_PBX')).data!.disconnectService.status).toBe('COMPLETED');
    }, 60_000);
  }

  for (const point of ['after-refunding', 'after-refund'] as OrderCrashPoint[]) {
    it(`${point}: an order that can no longer be applied once charged is refunded and FAILED, once`, async () => {
      const steppe = await loginDemo(t, 'steppe');
      const before = await ledgerOf(t, steppe.subscriberId);
      // A is charged, then stops before its change…
      const keyA = randomUUID();
      faults.crashAt = 'after-charged';
      expect(TestSystem.code(await connect(t, steppe.accessToken, steppe.subscriberId, 'CLOUD_PBX', '2025-09-01', keyA))).toBe('INTERNAL');
      const a = await orderIdByKey(keyA);
      // …while B, another order for the same service, gets there first.
      const b = (await connect(t, steppe.accessToken, steppe.subscriberId, 'CLOUD_PBX', '2025-09-01')).data!.connectService;
      expect(b.status).toBe('COMPLETED');

      // A's change is now impossible: refunding — and the catalog dies at `point`, then once more comes back.
      faults.crashAt = point;
      await t.restartSubgraph('catalog');
      await eventually(async () => faults.crashAt, (value) => value === null);
      await t.restartSubgraph('catalog');
      const failed = await finalOrder(t, steppe.accessToken, a);
      expect(failed).toMatchObject({ status: 'FAILED', failureCode: 'CONFLICT' });
      expect((await connect(t, steppe.accessToken, steppe.subscriberId, 'CLOUD_PBX', '2025-09-01', keyA)).data!.connectService).toMatchObject({ id: a, status: 'FAILED', failureCode: 'CONFLICT' });

      const after = await ledgerOf(t, steppe.subscriberId);
      expect(after.entries.filter((e) => e.reference === `order:${a}:charge`).map((e) => e.amountMinor)).toEqual([-500_000]);
      expect(after.entries.filter((e) => e.reference === `order:${a}:refund`).map((e) => [e.kind, e.amountMinor])).toEqual([['REFUND', 500_000]]);
      expect(after.account.balanceMinor).toBe(before.account.balanceMinor - 500_000); // B's fee only
      expectLedgerConsistent(after);
      expect(await connectionsOf(a)).toBe(0);
      expect(await connectionsOf(b.id)).toBe(1);
      expect((await disconnect(t, steppe.accessToken, steppe.subscriberId, 'CLOUD_PBX')).data!.disconnectService.status).toBe('COMPLETED');
    }, 60_000);
  }

  it('billing unreachable: the order stays IN_PROGRESS and completes once billing is back, charged once', async () => {
    const steppe = await loginDemo(t, 'steppe');
    const before = await ledgerOf(t, steppe.subscriberId);
    let pending: Awaited<ReturnType<typeof connect>> | null = null;
    await t.restartSubgraph('billing', async () => {
      pending = await connect(t, steppe.accessToken, steppe.subscriberId, 'CLOUD_PBX', '2025-09-01');
    });
    const order = pending!.data!.connectService;
    expect(order.status).toBe('IN_PROGRESS');
    const done = await finalOrder(t, steppe.accessToken, order.id, 20_000);
    expect(done.status).toBe('COMPLETED');
    const after = await ledgerOf(t, steppe.subscriberId);
    expect(after.entries.filter((e) => e.reference === `order:${order.id}:charge`)).toHaveLength(1);
    expect(after.account.balanceMinor).toBe(before.account.balanceMinor - 500_000);
    expectLedgerConsistent(after);
    await disconnect(t, steppe.accessToken, steppe.subscriberId, 'CLOUD_PBX');
  }, 60_000);
});
