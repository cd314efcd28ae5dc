import { randomUUID } from 'node:crypto';
import { eventually, suiteFixture } from '@selfcare/shared/testing';
import { grantManagement } from '../../subgraphs/delegation/test/support/grants';
import { TestSystem } from '../support/system';
import { changeTariff, connect, demoLine, disconnect, expectLedgerConsistent, finalOrder, ledgerOf, loginDemo, orderById, products, provisionLine, staffToken, topUp } from '../support/orders';

/**
 * Orders through the gateway (terms 2.1, 2.2, 2.4, 3.3, 5.2): connect, disconnect, change tariff; every refusal with
 * its contract code; idempotency; a manager acting on a managed number; the outcome in the activity record and the
 * subscriber's notices. The whole system, over real HTTP, on SQLite or MariaDB.
 */
describe('orders through the gateway', () => {
  const t = suiteFixture(() => TestSystem.start());
  const code = TestSystem.code;

  describe('connecting and disconnecting (terms 2.1, 2.2)', () => {
    it('connects a service with a connection fee: the fee is charged once, the service is on the line with the terms accepted', async () => {
      const steppe = await loginDemo(t, 'steppe');
      const before = await ledgerOf(t, steppe.subscriberId);
      const response = await connect(t, steppe.accessToken, steppe.subscriberId, 'CLOUD_PBX', '2025-09-01');
      expect(response.errors).toBeUndefined();
      const order = response.data!.connectService;
      expect(order).toMatchObject({ kind: 'CONNECT_SERVICE', status: 'COMPLETED', failureCode: null, acceptedTermsVersion: '2025-09-01', offerCode: 'CLOUD_PBX', viaManagement: false, channel: 'WEB', fee: { amount: '5000.00' }, acceptedPrice: { amount: '4990.00' } });
      expect(order.subscriber.id).toBe(steppe.subscriberId);

      const line = await products(t, steppe.accessToken, null);
      expect(line.services.find((s) => s.service.code === 'CLOUD_PBX')).toEqual({ service: { code: 'CLOUD_PBX' }, acceptedTermsVersion: '2025-09-01', acceptedPrice: { amount: '4990.00' } });
      const after = await ledgerOf(t, steppe.subscriberId);
      expect(after.entries.length).toBe(before.entries.length + 1);
      expect(after.entries.at(-1)).toMatchObject({ kind: 'CHARGE', amountMinor: -500_000, reference: `order:${order.id}:charge` });
      expect(after.account.balanceMinor).toBe(before.account.balanceMinor - 500_000);
      expectLedgerConsistent(after);

      // The ledger entry through the gateway, in the caller's language.
      const entries = await t.graphql<any>(`{ me { account { balance { amount } entries(first: 1) { edges { node { kind amount { amount } description } } } } } }`, {}, { token: steppe.accessToken, language: 'en' });
      expect(entries.data.me.account.entries.edges[0].node).toEqual({ kind: 'CHARGE', amount: { amount: '-5000.00' }, description: 'Connection fee: Cloud PBX' });

      const off = await disconnect(t, steppe.accessToken, steppe.subscriberId, 'CLOUD_PBX');
      expect(off.data!.disconnectService).toMatchObject({ kind: 'DISCONNECT_SERVICE', status: 'COMPLETED', acceptedTermsVersion: '2025-09-01', fee: { amount: '0.00' } });
      expect((await products(t, steppe.accessToken, null)).services.map((s) => s.service.code)).not.toContain('CLOUD_PBX');
      expect((await ledgerOf(t, steppe.subscriberId)).entries.length).toBe(after.entries.length); // no fee to disconnect
    });

    it('lists the line’s orders newest first and reads one by id; another subscriber’s order is NOT_FOUND', async () => {
      const aigerim = await loginDemo(t, 'aigerim');
      const first = (await connect(t, aigerim.accessToken, aigerim.subscriberId, 'SPAM_FILTER', '2025-05-01')).data!.connectService;
      const second = (await disconnect(t, aigerim.accessToken, aigerim.subscriberId, 'SPAM_FILTER')).data!.disconnectService;
      const page = await t.graphql<any>(`{ me { orders(first: 2) { edges { node { id kind status } } pageInfo { hasNextPage } } } }`, {}, { token: aigerim.accessToken });
      expect(page.data.me.orders.edges.map((e: any) => e.node.id)).toEqual([second.id, first.id]);
      expect((await orderById(t, aigerim.accessToken, first.id))!.status).toBe('COMPLETED');
      const nurlan = await loginDemo(t, 'nurlan');
      expect(code(await t.graphql(`query ($id: ID!) { order(id: $id) { id } }`, { id: first.id }, { token: nurlan.accessToken }))).toBe('NOT_FOUND');
      expect(code(await t.graphql(`query ($id: ID!) { order(id: $id) { id } }`, { id: randomUUID() }, { token: nurlan.accessToken }))).toBe('NOT_FOUND');
      expect(code(await t.graphql(`query ($id: ID!) { order(id: $id) { id } }`, { id: first.id }))).toBe('UNAUTHENTICATED');
    });
  });

  describe('every refusal has its code, its text in the caller’s language, and charges nothing', () => {
    it('FORBIDDEN: another subscriber’s number, and a staff token', async () => {
      const aigerim = await loginDemo(t, 'aigerim');
      const nurlan = demoLine('nurlan');
      expect(code(await connect(t, aigerim.accessToken, nurlan.id, 'SPAM_FILTER', '2025-05-01'))).toBe('FORBIDDEN');
      expect(code(await changeTariff(t, aigerim.accessToken, 'not-a-number', 'BEELINE_S', '2025-11-01'))).toBe('FORBIDDEN');
      expect(code(await connect(t, await staffToken(t), nurlan.id, 'SPAM_FILTER', '2025-05-01'))).toBe('FORBIDDEN');
      expect(code(await connect(t, '', nurlan.id, 'SPAM_FILTER', '2025-05-01'))).toBe('UNAUTHENTICATED');
    });

    it('NOT_FOUND: an unknown service or tariff (a retired one: see orders-catalog)', async () => {
      const aigerim = await loginDemo(t, 'aigerim');
      const unknown = await connect(t, aigerim.accessToken, aigerim.subscriberId, 'NO_SUCH_SERVICE', '1');
      expect(code(unknown)).toBe('NOT_FOUND');
      expect(unknown.errors![0]!.message).toBe('Услуга NO_SUCH_SERVICE не продаётся');
      expect(unknown.errors![0]!.extensions!.orderId).toEqual(expect.any(String));
      expect(code(await changeTariff(t, aigerim.accessToken, aigerim.subscriberId, 'NO_SUCH_TARIFF', '1'))).toBe('NOT_FOUND');
      expect(code(await disconnect(t, aigerim.accessToken, aigerim.subscriberId, 'NO_SUCH_SERVICE'))).toBe('NOT_FOUND');
    });

    it('INCOMPATIBLE_SERVICE: not for the kind of line, not with the tariff, excluded by a connected service (named), a tariff for another party or not fitting a connected service', async () => {
      const aigerim = await loginDemo(t, 'aigerim');
      const kind = await connect(t, aigerim.accessToken, aigerim.subscriberId, 'STATIC_IP', '2025-06-01');
      expect(code(kind)).toBe('INCOMPATIBLE_SERVICE');
      const tariff = await connect(t, aigerim.accessToken, aigerim.subscriberId, 'CLOUD_PBX', '2025-09-01');
      expect(code(tariff)).toBe('INCOMPATIBLE_SERVICE');
      expect(tariff.errors![0]!.extensions).toMatchObject({ reason: 'SERVICE_NOT_WITH_TARIFF', tariffCode: 'BEELINE_M' });
      const excluded = await t.graphql(
        `mutation ($s: ID!) { connectService(subscriberId: $s, serviceCode: "ROAMING_DAILY", acceptedTermsVersion: "2025-10-01", idempotencyKey: "${randomUUID()}") { id } }`,
        { s: aigerim.subscriberId },
        { token: aigerim.accessToken, language: 'kk' },
      );
      expect(code(excluded)).toBe('INCOMPATIBLE_SERVICE');
      expect(excluded.errors![0]!.extensions).toMatchObject({ reason: 'SERVICE_EXCLUDES', conflictingServiceCode: 'ROAMING_PLUS' });
      expect(excluded.errors![0]!.message).toBe('«Күнделікті роуминг» қызметін қосылған «Роуминг Плюс» қызметімен бірге қосуға болмайды');
      const party = await changeTariff(t, aigerim.accessToken, aigerim.subscriberId, 'BUSINESS_PRO', '2025-09-01');
      expect(party.errors![0]!.extensions).toMatchObject({ code: 'INCOMPATIBLE_SERVICE', reason: 'TARIFF_NOT_FOR_PARTY' });
      const home = await changeTariff(t, aigerim.accessToken, aigerim.subscriberId, 'HOME_100', '2025-06-01');
      expect(home.errors![0]!.extensions).toMatchObject({ code: 'INCOMPATIBLE_SERVICE', reason: 'TARIFF_NOT_FOR_KIND' });
      // VIDEO_UNLIM is sold with S and M only: moving to L with it connected is refused, naming it.
      expect((await connect(t, aigerim.accessToken, aigerim.subscriberId, 'VIDEO_UNLIM', '2025-08-01')).data!.connectService.status).toBe('COMPLETED');
      const misfit = await changeTariff(t, aigerim.accessToken, aigerim.subscriberId, 'BEELINE_L', '2025-11-01', randomUUID(), 'en');
      expect(misfit.errors![0]!.extensions).toMatchObject({ code: 'INCOMPATIBLE_SERVICE', reason: 'CONNECTED_SERVICE_NOT_WITH_TARIFF', conflictingServiceCode: 'VIDEO_UNLIM' });
      expect(misfit.errors![0]!.message).toBe('The connected service "Unlimited Video" is not available with the tariff "Beeline L": disconnect it first');
      await disconnect(t, aigerim.accessToken, aigerim.subscriberId, 'VIDEO_UNLIM');
    });

    it('CONFLICT: already connected, not connected, the same tariff', async () => {
      const aigerim = await loginDemo(t, 'aigerim');
      expect((await connect(t, aigerim.accessToken, aigerim.subscriberId, 'CALLER_ID', '2025-01-15')).errors![0]!.extensions).toMatchObject({ code: 'CONFLICT', reason: 'ALREADY_CONNECTED' });
      expect((await disconnect(t, aigerim.accessToken, aigerim.subscriberId, 'SPAM_FILTER')).errors![0]!.extensions).toMatchObject({ code: 'CONFLICT', reason: 'NOT_CONNECTED' });
      expect((await changeTariff(t, aigerim.accessToken, aigerim.subscriberId, 'BEELINE_M', '2025-11-01')).errors![0]!.extensions).toMatchObject({ code: 'CONFLICT', reason: 'SAME_TARIFF' });
    });

    it('TERMS_NOT_ACCEPTED: not the offer’s current terms version, which the error names', async () => {
      const aigerim = await loginDemo(t, 'aigerim');
      const old = await changeTariff(t, aigerim.accessToken, aigerim.subscriberId, 'BEELINE_S', '2025-03-01');
      expect(code(old)).toBe('TERMS_NOT_ACCEPTED');
      expect(old.errors![0]!.extensions).toMatchObject({ currentTermsVersion: '2025-11-01', termsUrl: 'https://beeline.kz/terms/tariffs/beeline-s/2025-11-01' });
      expect(code(await connect(t, aigerim.accessToken, aigerim.subscriberId, 'SPAM_FILTER', '2024-01-01'))).toBe('TERMS_NOT_ACCEPTED');
    });

    it('INSUFFICIENT_FUNDS: balance plus credit limit below the switch fee; nothing charged, and a retry with the key gets the same answer after a top-up', async () => {
      const nurlan = await loginDemo(t, 'nurlan'); // 150.00 KZT, no credit
      const before = await ledgerOf(t, nurlan.subscriberId);
      const key = randomUUID();
      const refused = await changeTariff(t, nurlan.accessToken, nurlan.subscriberId, 'BEELINE_M', '2025-11-01', key, 'kk');
      expect(code(refused)).toBe('INSUFFICIENT_FUNDS');
      expect(refused.errors![0]!.message).toBe('Қаражат жеткіліксіз: 500.00 ₸ қажет, қолжетімдісі 150.00 ₸');
      expect(refused.errors![0]!.extensions).toMatchObject({ requiredAmount: '500.00', availableAmount: '150.00' });
      const order = await orderById(t, nurlan.accessToken, refused.errors![0]!.extensions!.orderId);
      expect(order).toMatchObject({ status: 'REJECTED', failureCode: 'INSUFFICIENT_FUNDS' });
      expect((await ledgerOf(t, nurlan.subscriberId)).entries.length).toBe(before.entries.length);
      await topUp(t, nurlan.subscriberId, 100_000);
      // Stripe's rule: the same key replays the first answer; a new key is a new order.
      expect(code(await changeTariff(t, nurlan.accessToken, nurlan.subscriberId, 'BEELINE_M', '2025-11-01', key))).toBe('INSUFFICIENT_FUNDS');
      const paid = await changeTariff(t, nurlan.accessToken, nurlan.subscriberId, 'BEELINE_M', '2025-11-01');
      expect(paid.data!.changeTariff).toMatchObject({ status: 'COMPLETED', fee: { amount: '500.00' } });
      expect((await products(t, nurlan.accessToken, null)).tariff.code).toBe('BEELINE_M');
      const after = await ledgerOf(t, nurlan.subscriberId);
      expect(after.account.balanceMinor).toBe(before.account.balanceMinor + 100_000 - 50_000);
      expectLedgerConsistent(after);
      await topUp(t, nurlan.subscriberId, 50_000);
      expect((await changeTariff(t, nurlan.accessToken, nurlan.subscriberId, 'BEELINE_L', '2025-11-01')).data!.changeTariff.status).toBe('COMPLETED');
    });

    it('BAD_USER_INPUT: an empty or over-long idempotency key, an over-long code', async () => {
      const aigerim = await loginDemo(t, 'aigerim');
      const empty = await connect(t, aigerim.accessToken, aigerim.subscriberId, 'SPAM_FILTER', '2025-05-01', '');
      expect(empty.errors![0]!.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'idempotencyKey' });
      expect((await connect(t, aigerim.accessToken, aigerim.subscriberId, 'SPAM_FILTER', '2025-05-01', 'k'.repeat(201))).errors![0]!.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'idempotencyKey' });
      expect((await connect(t, aigerim.accessToken, aigerim.subscriberId, 'S'.repeat(5000), '2025-05-01')).errors![0]!.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'serviceCode' });
      expect((await changeTariff(t, aigerim.accessToken, aigerim.subscriberId, 'BEELINE_S', 'v'.repeat(41))).errors![0]!.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'acceptedTermsVersion' });
    });
  });

  describe('idempotency (Stripe’s rules)', () => {
    it('the same key and arguments return the same order and charge once; other arguments under the key are IDEMPOTENCY_CONFLICT; another caller’s key is its own', async () => {
      const steppe = await loginDemo(t, 'steppe');
      const key = randomUUID();
      const before = await ledgerOf(t, steppe.subscriberId);
      const first = (await connect(t, steppe.accessToken, steppe.subscriberId, 'CLOUD_PBX', '2025-09-01', key)).data!.connectService;
      const again = (await connect(t, steppe.accessToken, steppe.subscriberId, 'CLOUD_PBX', '2025-09-01', key)).data!.connectService;
      expect(again).toEqual(first);
      const conflict = await connect(t, steppe.accessToken, steppe.subscriberId, 'SPAM_FILTER', '2025-05-01', key);
      expect(conflict.errors![0]!.extensions).toMatchObject({ code: 'IDEMPOTENCY_CONFLICT', field: 'idempotencyKey' });
      expect(code(await disconnect(t, steppe.accessToken, steppe.subscriberId, 'CLOUD_PBX', key))).toBe('IDEMPOTENCY_CONFLICT');
      const after = await ledgerOf(t, steppe.subscriberId);
      expect(after.entries.filter((e) => e.reference?.startsWith(`order:${first.id}`))).toHaveLength(1);
      expect(after.entries.length).toBe(before.entries.length + 1);
      // Another subscriber's order under the same key is theirs (keys are per caller).
      const aigerim = await loginDemo(t, 'aigerim');
      const theirs = (await connect(t, aigerim.accessToken, aigerim.subscriberId, 'SPAM_FILTER', '2025-05-01', key)).data!.connectService;
      expect(theirs.id).not.toBe(first.id);
      await disconnect(t, steppe.accessToken, steppe.subscriberId, 'CLOUD_PBX');
      await disconnect(t, aigerim.accessToken, aigerim.subscriberId, 'SPAM_FILTER');
    });

    it('twenty concurrent requests with one key make one order and one charge', async () => {
      const steppe = await loginDemo(t, 'steppe');
      const key = randomUUID();
      const before = await ledgerOf(t, steppe.subscriberId);
      const answers = await Promise.all(Array.from({ length: 20 }, () => connect(t, steppe.accessToken, steppe.subscriberId, 'CLOUD_PBX', '2025-09-01', key)));
      expect(answers.map((a) => a.errors)).toEqual(Array(20).fill(undefined));
      const ids = new Set(answers.map((a) => a.data!.connectService.id));
      expect(ids.size).toBe(1);
      const [id] = [...ids];
      expect((await finalOrder(t, steppe.accessToken, id!)).status).toBe('COMPLETED');
      const after = await ledgerOf(t, steppe.subscriberId);
      expect(after.entries.length).toBe(before.entries.length + 1);
      expectLedgerConsistent(after);
      const rows = await t.system.subgraphs.catalog.runtime.database.manager.query('SELECT COUNT(*) AS n FROM product_orders WHERE idempotency_key = ?', [key]);
      expect(Number(rows[0].n)).toBe(1);
      await disconnect(t, steppe.accessToken, steppe.subscriberId, 'CLOUD_PBX');
    });
  });

  describe('a manager acting on a managed number (terms 4.3, 5.2)', () => {
    it('orders on the managed number; the owner’s activity record shows the manager, the channel and viaManagement; the owner is told', async () => {
      const aigerim = await loginDemo(t, 'aigerim', 'MOBILE_APP');
      const owner = demoLine('unregistered');
      await grantManagement(t.system.subgraphs.delegation, aigerim.subscriberId, owner.id, owner.msisdn!, aigerim.line.msisdn);
      const order = (await connect(t, aigerim.accessToken, owner.id, 'SPAM_FILTER', '2025-05-01')).data!.connectService;
      expect(order).toMatchObject({ status: 'COMPLETED', viaManagement: true, channel: 'MOBILE_APP', subscriber: { id: owner.id } });
      expect((await products(t, aigerim.accessToken, owner.msisdn)).services.map((s) => s.service.code)).toContain('SPAM_FILTER');
      const activity = await eventually(
        async () =>
          (await t.graphql<any>(`query ($m: PhoneNumber!) { subscriber(msisdn: $m) { activity(first: 5) { edges { node { action viaManagement channel details actor { id } } } } } }`, { m: owner.msisdn }, { token: aigerim.accessToken, language: 'en' }))
            .data?.subscriber?.activity.edges.map((e: any) => e.node) ?? [],
        (nodes: any[]) => nodes.some((n) => n.action === 'SERVICE_CONNECTED'),
      );
      expect(activity.find((n: any) => n.action === 'SERVICE_CONNECTED')).toMatchObject({
        viaManagement: true,
        channel: 'MOBILE_APP',
        actor: { id: aigerim.subscriberId },
        details: expect.stringContaining('The service "Spam Filter" is connected (terms 2025-05-01)'),
      });
      // The owner's notice (in their language, ru), in the cabinet: read by the manager here, the owner being unregistered.
      const notices = await eventually(
        async () => (await t.graphql<any>(`query ($m: PhoneNumber!) { subscriber(msisdn: $m) { notifications(first: 5) { edges { node { title body } } } } }`, { m: owner.msisdn }, { token: aigerim.accessToken })).data?.subscriber?.notifications.edges ?? [],
        (edges: any[]) => edges.some((e) => e.node.title === 'Услуга подключена'),
      );
      expect(notices.find((e: any) => e.node.title === 'Услуга подключена').node.body).toContain('Заказ оформил абонент, которому передано управление номером.');
      // Management revoked: FORBIDDEN again.
      await t.system.subgraphs.delegation.runtime.database.manager.query("UPDATE management_requests SET status = 'REVOKED' WHERE requester_id = ?", [aigerim.subscriberId]);
      expect(code(await disconnect(t, aigerim.accessToken, owner.id, 'SPAM_FILTER'))).toBe('FORBIDDEN');
    });

    it('ACCESS_SUSPENDED / ACCESS_BLOCKED: a managed number whose access is not ACTIVE; a terminated one takes the grant with it', async () => {
      const aigerim = await loginDemo(t, 'aigerim');
      const operator = await staffToken(t, 'operator');
      const admin = await staffToken(t, 'admin');
      const lines = [await provisionLine(t, operator, '+77010000101'), await provisionLine(t, operator, '+77010000102'), await provisionLine(t, operator, '+77010000103')];
      for (const [i, id] of lines.entries()) await grantManagement(t.system.subgraphs.delegation, aigerim.subscriberId, id, `+7701000010${i + 1}`);
      const statusOf = async (id: string) => (await t.system.subgraphs.catalog.runtime.database.manager.query('SELECT access_status FROM subscriber_lines WHERE subscriber_id = ?', [id]))[0].access_status;
      expect((await t.graphql(`mutation ($s: ID!) { setAccessStatus(subscriberId: $s, status: SUSPENDED, reason: BREACH) { accessStatus } }`, { s: lines[0] }, { token: operator })).errors).toBeUndefined();
      expect((await t.graphql(`mutation ($s: ID!) { setAccessStatus(subscriberId: $s, status: BLOCKED, reason: THIRD_PARTY_DATA) { accessStatus } }`, { s: lines[1] }, { token: admin })).errors).toBeUndefined();
      expect((await t.graphql(`mutation ($s: ID!) { terminateContract(subscriberId: $s) { accessStatus } }`, { s: lines[2] }, { token: admin })).errors).toBeUndefined();
      expect(await eventually(() => Promise.all(lines.map(statusOf)), (s) => s.join() === 'SUSPENDED,BLOCKED,TERMINATED')).toEqual(['SUSPENDED', 'BLOCKED', 'TERMINATED']);
      expect(code(await connect(t, aigerim.accessToken, lines[0]!, 'SPAM_FILTER', '2025-05-01'))).toBe('ACCESS_SUSPENDED');
      expect(code(await connect(t, aigerim.accessToken, lines[1]!, 'SPAM_FILTER', '2025-05-01'))).toBe('ACCESS_BLOCKED');
      // A contract that ended takes its grants with it (delegation revokes them on AccessStatusChanged, terms 3.3, 4.4):
      // the manager may no longer act on the number at all.
      const grantOf = async (id: string) => (await t.system.subgraphs.delegation.runtime.database.manager.query('SELECT status FROM management_requests WHERE owner_id = ?', [id]))[0].status;
      expect(await eventually(() => grantOf(lines[2]!), (status) => status === 'REVOKED')).toBe('REVOKED');
      expect(code(await changeTariff(t, aigerim.accessToken, lines[2]!, 'BEELINE_M', '2025-11-01'))).toBe('FORBIDDEN');
      // Restored: orders go through again.
      expect((await t.graphql(`mutation ($s: ID!) { setAccessStatus(subscriberId: $s, status: ACTIVE) { accessStatus } }`, { s: lines[0] }, { token: operator })).errors).toBeUndefined();
      await eventually(() => statusOf(lines[0]!), (s) => s === 'ACTIVE');
      expect((await connect(t, aigerim.accessToken, lines[0]!, 'SPAM_FILTER', '2025-05-01')).data!.connectService.status).toBe('COMPLETED');
    });
  });

  describe('the outcome reaches the subscriber (terms 2.8, 5.1) and the record (terms 2.4)', () => {
    it('by SMS in Kazakh and by e-mail in Russian, as each chose, besides the cabinet notice', async () => {
      const nurlan = await loginDemo(t, 'nurlan');
      const aigerim = await loginDemo(t, 'aigerim');
      await t.graphql(`mutation { setNotifyBy(channels: [CABINET, SMS]) }`, {}, { token: nurlan.accessToken });
      await t.graphql(`mutation { setNotifyBy(channels: [CABINET, EMAIL]) }`, {}, { token: aigerim.accessToken });
      const smsBefore = (await t.sms(nurlan.line.msisdn!)).length;
      expect((await connect(t, nurlan.accessToken, nurlan.subscriberId, 'SPAM_FILTER', '2025-05-01')).data!.connectService.status).toBe('COMPLETED');
      const sms = await t.waitForSms(nurlan.line.msisdn!, /Қызмет қосылды/, 10_000, smsBefore);
      expect(sms.text).toContain('«Спам-сүзгі» қызметі қосылды');
      expect((await connect(t, aigerim.accessToken, aigerim.subscriberId, 'SPAM_FILTER', '2025-05-01')).data!.connectService.status).toBe('COMPLETED');
      const mail = await t.waitForMail('aigerim@example.kz', (m) => m.subject === 'Услуга подключена');
      expect(mail.text).toContain('Услуга «Антиспам» подключена (условия 2025-05-01)');
      // A refusal is the caller's answer and in the record, not a message to the number: no SMS flood by refused orders.
      const refused = await connect(t, nurlan.accessToken, nurlan.subscriberId, 'STATIC_IP', '2025-06-01');
      const orderId = refused.errors![0]!.extensions!.orderId as string;
      // The order's events were written with it, in its transaction: what the outbox holds for it is all there is.
      const written: { event_type: string }[] = await t.system.subgraphs.catalog.runtime.database.manager.query('SELECT event_type FROM outbox_events WHERE payload LIKE ?', [`%${orderId}%`]);
      expect(written.map((e) => e.event_type)).toEqual(['ActivityRecorded']);
      await disconnect(t, nurlan.accessToken, nurlan.subscriberId, 'SPAM_FILTER');
      await disconnect(t, aigerim.accessToken, aigerim.subscriberId, 'SPAM_FILTER');
    });
  });
});
