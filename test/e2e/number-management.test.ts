import { randomUUID } from 'node:crypto';
import { AccountEntity, LedgerEntryKind, LedgerService } from '@selfcare/billing';
import { billingEvents } from '@selfcare/shared';
import { SteerableClock, demo, eventually, graphql } from '@selfcare/shared/testing';
import { Events, Management, Party } from '../support/management';
import { TestSystem } from '../support/system';
import { connect, disconnect } from '../support/orders';
import { TEST_CARDS, cardToken, pay } from '../support/payments';

const code = TestSystem.code;
const HOUR_MS = 3600_000;
/** A period detailing answers for (at most 92 days): the last 30 days. */
const PERIOD = { from: new Date(Date.now() - 30 * 24 * HOUR_MS).toISOString(), to: new Date(Date.now() + HOUR_MS).toISOString() };

/**
 * terms 5 end to end, through the gateway over real HTTP and graphql-ws: the request (terms 5.6.1-5.6.3), the owner's
 * SMS to 4259 arriving HMAC-signed at the gateway's /sms/inbound (terms 5.6.4-5.6.5), activation (terms 5.6.6-5.6.7), the owner's
 * SMS that management was handed over (terms 5.6.8); the manager then acting on the owner's number in every subgraph (terms 4.3);
 * revocation (terms 4.4) cutting the manager's live subscription and the next request everywhere. Then the bad paths.
 */
describe('number management through the gateway (terms 5)', () => {
  const clock = new SteerableClock();
  let t: TestSystem;
  let m: Management;
  const open: Events[] = [];
  const aigerim = { msisdn: demo.aigerim.msisdn!, id: demo.aigerim.id };

  beforeAll(async () => {
    t = await TestSystem.start({ clock, delegation: { settings: { requestsPerRequesterPerDay: 30, requestsPerOwnerPerDay: 30, lookupsPerRequesterPerDay: 50 } } });
    m = new Management(t);
  }, 120_000);
  afterAll(async () => {
    for (const events of open) await events.close().catch(() => undefined);
    await t?.stop();
  });
  const watch = <T = any>(...args: Parameters<Management['subscribe']>) => {
    const events = m.subscribe<T>(...args);
    open.push(events);
    return events;
  };

  const RECEIVED = `subscription ($after: String) { managementRequestReceived(after: $after) { id status ownerMsisdn requester { msisdn } cursor } }`;
  const UPDATED = `subscription ($after: String) { managementRequestUpdated(after: $after) { id status attemptsLeft requester { msisdn tariff { name } } owner { msisdn } cursor } }`;
  const OWNER_UPDATED = `subscription ($after: String) { managementRequestUpdated(after: $after) { id status requester { msisdn } cursor } }`;

  /** What a manager reads of the owner's number in each subgraph (terms 4.3), asked of the subgraph as the gateway asks it. */
  const PER_SUBGRAPH: Record<'identity' | 'catalog' | 'billing' | 'detailing', string> = {
    identity: 'activity(first: 3) { edges { node { action } } } notifyBy',
    catalog: 'tariff { code } services { service { code } }',
    billing: 'account { balance { amount } entries(first: 1) { edges { cursor } } }',
    detailing: `usageSummary(from: "${PERIOD.from}", to: "${PERIOD.to}") { total { amount } } allowances { unit }`,
  };
  const entities = (fields: string) => `query ($r: [_Any!]!) { _entities(representations: $r) { ... on Subscriber { ${fields} } } }`;
  /** The next request in every subgraph: each answers for the owner's number, or refuses it. */
  async function perSubgraph(manager: Party, ownerId: string): Promise<Record<string, string | undefined>> {
    const answers: Record<string, string | undefined> = {};
    for (const [name, fields] of Object.entries(PER_SUBGRAPH)) {
      const url = t.system.subgraphs[name as keyof typeof PER_SUBGRAPH].graphqlUrl;
      const answer = await graphql(url, entities(fields), { r: [{ __typename: 'Subscriber', id: ownerId }] }, { token: manager.token });
      answers[name] = code(answer) ?? (answer.data?._entities?.[0] ? 'OK' : 'NULL');
    }
    return answers;
  }

  /**
   * What the manager does on the owner's number through the gateway, as the owner could (terms 4.3). Orders (catalog) and
   * payments (billing) follow the list, as mutations on the owner's id.
   */
  const MANAGER_ACTIONS: { what: string; query: string; check: (data: any) => void }[] = [
    {
      what: 'profile, tariff and services (identity, catalog)',
      query: `query ($m: PhoneNumber!) { subscriber(msisdn: $m) { msisdn tariff { code name } services { service { code } } } }`,
      check: (data) => expect(data.subscriber).toMatchObject({ msisdn: demo.aigerim.msisdn, tariff: { code: 'BEELINE_M' }, services: expect.arrayContaining([{ service: { code: 'ROAMING_PLUS' } }]) }),
    },
    {
      what: 'balance and ledger (billing)',
      query: `query ($m: PhoneNumber!) { subscriber(msisdn: $m) { account { balance { amount currency } entries(first: 3) { edges { node { kind } } } } } }`,
      check: (data) => expect(data.subscriber.account.balance.currency).toBe('KZT'),
    },
    {
      what: 'usage detailing and summary (detailing)',
      query: `query ($m: PhoneNumber!) { subscriber(msisdn: $m) { usage(from: "${PERIOD.from}", to: "${PERIOD.to}", first: 5) { edges { node { kind } } } usageSummary(from: "${PERIOD.from}", to: "${PERIOD.to}") { total { amount } } } }`,
      check: (data) => expect(data.subscriber.usageSummary.total.amount).toMatch(/^\d+\.\d{2}$/),
    },
    {
      what: 'notices and the activity record (identity)',
      query: `query ($m: PhoneNumber!) { subscriber(msisdn: $m) { notifications(first: 5) { edges { node { title } } } activity(first: 20) { edges { node { action viaManagement } } } } }`,
      check: (data) => expect(data.subscriber.activity.edges.map((e: any) => e.node.action)).toEqual(expect.arrayContaining(['MANAGEMENT_HANDED_OVER'])),
    },
  ];

  /** A charge posted as other subgraphs' orders post theirs: through billing's ledger. */
  async function charge(subscriberId: string, amountMinor: number, reference: string): Promise<void> {
    const runtime = t.system.subgraphs.billing.runtime;
    const ledger = new LedgerService(runtime.database, runtime.outboxFor(billingEvents), runtime.clock);
    await runtime.database.transaction(async (manager) => {
      const account = await manager.findOneOrFail(AccountEntity, { where: { subscriberId } });
      await ledger.post(manager, account.id, { amountMinor: -amountMinor, kind: LedgerEntryKind.CHARGE, description: { KK: 'Сынақ', RU: 'Тест', EN: 'Test' }, reference });
    });
  }

  it('walks 5.6 steps 1 to 8 with both subscriptions watching; the manager acts in every subgraph; revocation cuts the live subscription and the next request (terms 4.4)', async () => {
    const owner = await m.party(demo.aigerim.login);
    const requester = await m.party(demo.nurlan.login);
    // terms 5.1: the owner wants to hear of things by e-mail too.
    expect((await t.graphql(`mutation { setNotifyBy(channels: [CABINET, EMAIL]) }`, {}, { token: owner.token })).errors).toBeUndefined();
    const delegationFeeds = m.feeds('delegation');
    const ownerReceived = watch(owner, 'managementRequestReceived', RECEIVED);
    const ownerUpdated = watch(owner, 'managementRequestUpdated', OWNER_UPDATED);
    const requesterUpdated = watch(requester, 'managementRequestUpdated', UPDATED);
    const nextReceived = ownerReceived.next();
    // The owner's first update is the confirmation (a new request reaches the owner as managementRequestReceived).
    const ownerSawConfirmed = ownerUpdated.next();
    const nextRequesterUpdate = requesterUpdated.next();
    await m.following('delegation', 3, delegationFeeds);
    const smsBefore = await m.sent(owner.msisdn);

    // Steps 1-2: the authorized requester asks.
    const asked = await m.request(requester, owner.msisdn, 'id status ownerMsisdn owner { msisdn } requester { msisdn }');
    expect(asked.errors).toBeUndefined();
    const request = asked.data!.requestNumberManagement;
    expect(request).toMatchObject({ status: 'AWAITING_CONFIRMATION', ownerMsisdn: owner.msisdn, owner: { msisdn: owner.msisdn }, requester: { msisdn: requester.msisdn } });
    // The owner hears of it live, with the requester's number from identity; the requester's own view has their tariff from catalog.
    expect(await nextReceived).toMatchObject({ id: request.id, status: 'AWAITING_CONFIRMATION', requester: { msisdn: requester.msisdn }, cursor: expect.any(String) });
    const requested = await nextRequesterUpdate;
    expect(requested).toMatchObject({ id: request.id, status: 'AWAITING_CONFIRMATION', requester: { msisdn: requester.msisdn, tariff: { name: expect.any(String) } }, owner: { msisdn: owner.msisdn } });

    // Step 3: the owner's SMS with the code for 4259, in the owner's language (ru); terms 5.1: the cabinet and the e-mail.
    const sms = await t.waitForSms(owner.msisdn, /4259/, 10_000, smsBefore);
    expect(sms.text).toContain(requester.msisdn);
    expect(sms.text).toMatch(/отправьте код/);
    const confirmation = m.codeIn(sms.text);
    const incoming = await t.graphql(`{ incomingManagementRequests { id status requester { msisdn } } }`, {}, { token: owner.token });
    expect(incoming.data!.incomingManagementRequests[0]).toEqual({ id: request.id, status: 'AWAITING_CONFIRMATION', requester: { msisdn: requester.msisdn } });
    const mail = await t.waitForMail(demo.aigerim.email!, (mail) => mail.subject === 'Запрос на управление номером');
    expect(mail.text).toContain(requester.msisdn);
    expect(mail.text).not.toContain(confirmation);
    const notices = await t.graphql(`{ me { notifications(first: 5) { edges { node { title body } } } } }`, {}, { token: owner.token });
    expect(notices.data!.me.notifications.edges.map((e: any) => e.node.title)).toContain('Запрос на управление номером');

    // Steps 4-5: the owner texts the code to 4259; the SMS centre posts it, signed, to the gateway.
    const requesterSawIt = requesterUpdated.next();
    const reply = await m.inbound({ from: owner.msisdn, text: confirmation.toLowerCase() });
    expect(reply.status).toBe(200);
    expect(await reply.json()).toMatchObject({ outcome: 'CONFIRMED', duplicate: false });
    expect(await ownerSawConfirmed).toMatchObject({ id: request.id, status: 'CONFIRMED' });
    const requesterSawConfirmed = await requesterSawIt;
    expect(requesterSawConfirmed).toMatchObject({ id: request.id, status: 'CONFIRMED', attemptsLeft: 3 });
    const activation = await m.activationCode(owner.msisdn, smsBefore);
    expect(activation).not.toBe(confirmation);

    // The requester's client goes away; the activation happens while it is gone; resumed from its cursor, it gets it.
    await requesterUpdated.close();
    const ownerSawActive = ownerUpdated.next();

    // Steps 6-7: the owner gives the code; the requester enters it.
    const active = await m.activate(requester, request.id, activation);
    expect(active.data!.activateNumberManagement).toEqual({ id: request.id, status: 'ACTIVE' });
    expect(await ownerSawActive).toMatchObject({ id: request.id, status: 'ACTIVE' });
    const resumed = watch(requester, 'managementRequestUpdated', UPDATED, { after: requesterSawConfirmed.cursor });
    expect(await resumed.next()).toMatchObject({ id: request.id, status: 'ACTIVE', owner: { msisdn: owner.msisdn } });

    // Step 8: the owner's SMS that management was handed over.
    expect((await t.waitForSms(owner.msisdn, /передано абоненту/, 10_000, smsBefore)).text).toContain(requester.msisdn);

    // terms 4.3: both sides see the grant; the manager does what the owner can, in every subgraph.
    const managed = await t.graphql(`{ me { managedNumbers { msisdn tariff { code } } } }`, {}, { token: requester.token });
    expect(managed.data!.me.managedNumbers).toEqual([{ msisdn: owner.msisdn, tariff: { code: 'BEELINE_M' } }]);
    const managers = await t.graphql(`{ me { managers { id status requester { msisdn } } } }`, {}, { token: owner.token });
    expect(managers.data!.me.managers).toEqual([{ id: request.id, status: 'ACTIVE', requester: { msisdn: requester.msisdn } }]);
    for (const action of MANAGER_ACTIONS) {
      const answer = await t.graphql(action.query, { m: owner.msisdn }, { token: requester.token });
      expect({ what: action.what, errors: answer.errors }).toEqual({ what: action.what, errors: undefined });
      action.check(answer.data);
    }
    // terms 4.3, 5.2: the manager orders a service and tops up the owner's account, like the owner could; both are on
    // the owner's activity record as done through management.
    const order = await connect(t, requester.token, owner.subscriberId, 'SPAM_FILTER', '2025-05-01');
    expect(order.errors).toBeUndefined();
    expect(order.data!.connectService).toMatchObject({ status: 'COMPLETED', viaManagement: true, subscriber: { id: owner.subscriberId } });
    const payment = await pay(t, requester.token, { s: owner.subscriberId, a: '1000.00', t: await cardToken(t.url, TEST_CARDS.succeeds), k: randomUUID() });
    expect(payment.errors).toBeUndefined();
    expect(payment.data!.payByCard.status).toBe('SUCCEEDED');
    const managedActions = await eventually(
      async () => (await t.graphql(`{ me { activity(first: 50) { edges { node { action viaManagement actor { msisdn } } } } } }`, {}, { token: owner.token })).data!.me.activity.edges.map((e: any) => e.node),
      (entries: any[]) => entries.filter((e) => e.viaManagement && e.actor?.msisdn === requester.msisdn).length >= 2,
    );
    expect(managedActions.filter((e: any) => e.viaManagement).map((e: any) => e.actor.msisdn)).toEqual(expect.arrayContaining([requester.msisdn, requester.msisdn]));
    // The owner-only parts stay the owner's (terms 4.1, 4.4): sessions, and the list of who manages the number.
    expect(code(await t.graphql(`query ($m: PhoneNumber!) { subscriber(msisdn: $m) { sessions { id } } }`, { m: owner.msisdn }, { token: requester.token }))).toBe('FORBIDDEN');
    expect(code(await t.graphql(`query ($m: PhoneNumber!) { subscriber(msisdn: $m) { managers { id } } }`, { m: owner.msisdn }, { token: requester.token }))).toBe('FORBIDDEN');
    expect(await perSubgraph(requester, owner.subscriberId)).toEqual({ identity: 'OK', catalog: 'OK', billing: 'OK', detailing: 'OK' });
    // terms 2.4: the owner's activity record shows the procedure, with who acted (identity records it as the events arrive).
    const actions = await eventually(
      async () => (await t.graphql(`{ me { activity(first: 30) { edges { node { action actor { msisdn } viaManagement } } } } }`, {}, { token: owner.token })).data!.me.activity.edges.map((e: any) => e.node),
      (entries: any[]) => entries.some((e) => e.action === 'MANAGEMENT_HANDED_OVER'),
    );
    expect(actions).toEqual(
      expect.arrayContaining([
        { action: 'MANAGEMENT_REQUESTED', actor: { msisdn: requester.msisdn }, viaManagement: false },
        { action: 'MANAGEMENT_CONFIRMED', actor: { msisdn: owner.msisdn }, viaManagement: false },
        { action: 'MANAGEMENT_HANDED_OVER', actor: { msisdn: requester.msisdn }, viaManagement: false },
      ]),
    );

    // The manager follows the owner's balance live (billing).
    const billingFeeds = m.feeds('billing');
    const balance = watch(requester, 'balanceChanged', `subscription ($id: ID!) { balanceChanged(subscriberId: $id) { delta { amount } subscriber { msisdn } } }`, { id: owner.subscriberId });
    const firstChange = balance.next();
    await m.following('billing', 1, billingFeeds);
    await charge(owner.subscriberId, 1_00, 'management-e2e-1');
    expect(await firstChange).toEqual({ delta: { amount: '-1.00' }, subscriber: { msisdn: owner.msisdn } });

    // terms 4.4: the owner revokes. The manager's live subscription ends at once — no further balance change needed — and the
    // next request in every subgraph is refused.
    const cut = balance.raw();
    const updatesOfRevocation = [ownerUpdated.next(), resumed.next()];
    const revokeSms = { owner: await m.sent(owner.msisdn), requester: await m.sent(requester.msisdn) };
    const revoked = await m.act('revokeNumberManagement', owner, request.id);
    expect(revoked.data!.revokeNumberManagement).toEqual({ id: request.id, status: 'REVOKED' });
    expect(await perSubgraph(requester, owner.subscriberId)).toEqual({ identity: 'FORBIDDEN', catalog: 'FORBIDDEN', billing: 'FORBIDDEN', detailing: 'FORBIDDEN' });
    for (const action of MANAGER_ACTIONS) expect(code(await t.graphql(action.query, { m: owner.msisdn }, { token: requester.token }))).toBe('FORBIDDEN');
    expect(code(await disconnect(t, requester.token, owner.subscriberId, 'SPAM_FILTER'))).toBe('FORBIDDEN');
    expect(code(await pay(t, requester.token, { s: owner.subscriberId, a: '1000.00', t: await cardToken(t.url, TEST_CARDS.succeeds), k: randomUUID() }))).toBe('FORBIDDEN');
    const ended = await cut;
    expect(ended.done).toBe(false);
    expect((ended.value as any).errors[0].extensions.code).toBe('FORBIDDEN');
    expect((await balance.raw()).done).toBe(true);
    expect((await Promise.all(updatesOfRevocation)).map((u) => u.status)).toEqual(['REVOKED', 'REVOKED']);
    expect((await t.graphql(`{ me { managedNumbers { msisdn } } }`, {}, { token: requester.token })).data!.me.managedNumbers).toEqual([]);
    expect((await t.graphql(`{ me { managers { id } } }`, {}, { token: owner.token })).data!.me.managers).toEqual([]);
    // Both sides are told by SMS.
    expect((await t.waitForSms(owner.msisdn, /прекращено/, 10_000, revokeSms.owner)).text).toContain(requester.msisdn);
    expect((await t.waitForSms(requester.msisdn, /тоқтатылды/, 10_000, revokeSms.requester)).text).toContain(owner.msisdn);
    for (const events of [ownerReceived, ownerUpdated, resumed]) await events.close();
  }, 120_000);

  describe('bad paths', () => {
    // The owner is Aigerim throughout (she confirms by SMS: no login needed); the requester the legal entity's cabinet.
    let requester: Party;
    beforeAll(async () => {
      requester = await m.party(demo.steppe.login);
    });

    /** Steps 1-3 for `requester`: the request and the owner's confirmation code. */
    async function asked(who: Party = requester) {
      const before = await m.sent(aigerim.msisdn);
      const response = await m.request(who, aigerim.msisdn);
      expect(response.errors).toBeUndefined();
      return { id: response.data!.requestNumberManagement.id as string, code: await m.confirmationCode(aigerim.msisdn, before), before };
    }

    it('a forged webhook is 401 and changes nothing; a replayed one is applied once', async () => {
      const { id, code: confirmation, before } = await asked();
      const forged = await m.inbound({ from: aigerim.msisdn, text: confirmation }, 'not-the-secret-of-the-sms-centre');
      expect(forged.status).toBe(401);
      const unsigned = await fetch(`${t.url}/sms/inbound`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ id: 'x', from: aigerim.msisdn, to: '4259', text: confirmation }) });
      expect(unsigned.status).toBe(401);
      const outgoing = await t.graphql(`{ outgoingManagementRequests { id status } }`, {}, { token: requester.token });
      expect(outgoing.data!.outgoingManagementRequests.find((r: any) => r.id === id)).toEqual({ id, status: 'AWAITING_CONFIRMATION' });

      const messageId = `smsc-${Date.now()}`;
      const replies = [];
      for (let i = 0; i < 3; i += 1) replies.push(await (await m.inbound({ id: messageId, from: aigerim.msisdn, text: confirmation })).json());
      expect(replies).toEqual([
        { id: messageId, outcome: 'CONFIRMED', duplicate: false },
        { id: messageId, outcome: 'CONFIRMED', duplicate: true },
        { id: messageId, outcome: 'CONFIRMED', duplicate: true },
      ]);
      await m.activationCode(aigerim.msisdn, before);
      // One activation code, not three.
      const texts = (await t.sms(aigerim.msisdn)).slice(before).map((s) => s.text);
      expect(texts.filter((text) => /Код активации/.test(text))).toHaveLength(1);
      await m.act('cancelManagementRequest', requester, id);
    });

    it('three wrong activation codes void it (CODE_INVALID with attemptsLeft, then CODE_VOIDED); the requester sees it live', async () => {
      const { id, code: confirmation, before } = await asked();
      // Subscribed after the position the list was read at: what happens from then on arrives, whenever the feed starts.
      const listed = await t.graphql(`{ outgoingManagementRequests { cursor } }`, {}, { token: requester.token });
      const updates = watch(requester, 'managementRequestUpdated', `subscription ($after: String) { managementRequestUpdated(after: $after) { id status attemptsLeft } }`, {
        after: listed.data!.outgoingManagementRequests[0].cursor,
      });
      const confirmedEvent = updates.next();
      await m.inbound({ from: aigerim.msisdn, text: confirmation });
      expect(await confirmedEvent).toEqual({ id, status: 'CONFIRMED', attemptsLeft: 3 });
      const activation = await m.activationCode(aigerim.msisdn, before);
      const wrong = activation === 'AAAAAAAA' ? 'BBBBBBBB' : 'AAAAAAAA';
      const first = await m.activate(requester, id, wrong);
      expect(first.errors?.[0]?.extensions).toMatchObject({ code: 'CODE_INVALID', attemptsLeft: 2, serviceName: 'delegation' });
      expect(first.errors?.[0]?.message).toBe('Неверный код, осталось попыток: 2');
      expect((await m.activate(requester, id, wrong)).errors?.[0]?.extensions).toMatchObject({ code: 'CODE_INVALID', attemptsLeft: 1 });
      const voidedEvent = updates.next();
      expect(code(await m.activate(requester, id, wrong))).toBe('CODE_VOIDED');
      expect(await voidedEvent).toEqual({ id, status: 'VOIDED', attemptsLeft: null });
      expect(code(await m.activate(requester, id, activation))).toBe('CODE_VOIDED');
      await updates.close();
    });

    it('the activation code of another request does not open this one', async () => {
      const home = await m.party(demo.home.login);
      const mine = await asked();
      await m.inbound({ from: aigerim.msisdn, text: mine.code });
      const mineActivation = await m.activationCode(aigerim.msisdn, mine.before);
      const theirs = await asked(home);
      expect(theirs.code).not.toBe(mine.code);
      await m.inbound({ from: aigerim.msisdn, text: theirs.code });
      const theirActivation = await m.activationCode(aigerim.msisdn, theirs.before);
      expect(code(await m.activate(requester, mine.id, theirActivation))).toBe('CODE_INVALID');
      expect(code(await m.activate(home, theirs.id, mineActivation))).toBe('CODE_INVALID');
      expect((await m.activate(home, theirs.id, theirActivation)).data!.activateNumberManagement.status).toBe('ACTIVE');
      await m.act('revokeNumberManagement', home, theirs.id);
      await m.act('cancelManagementRequest', requester, mine.id);
    });

    it('an activation code is valid 24 hours: CODE_EXPIRED after', async () => {
      const { id, code: confirmation, before } = await asked();
      await m.inbound({ from: aigerim.msisdn, text: confirmation });
      const activation = await m.activationCode(aigerim.msisdn, before);
      clock.advance(24 * HOUR_MS + 60_000);
      try {
        const late = await m.party(demo.steppe.login);
        expect(code(await m.activate(late, id, activation))).toBe('CODE_EXPIRED');
        const outgoing = await t.graphql(`{ outgoingManagementRequests { id status } }`, {}, { token: late.token });
        expect(outgoing.data!.outgoingManagementRequests.find((r: any) => r.id === id)).toEqual({ id, status: 'EXPIRED' });
      } finally {
        clock.advance(-(24 * HOUR_MS + 60_000));
      }
    });

    it("the embedded default's POST /dev/sms/inbound has the same effect as a signed SMS; an unregistered owner confirms by SMS", async () => {
      const unregistered = demo.unregistered.msisdn!;
      const before = await m.sent(unregistered);
      const response = await m.request(requester, unregistered);
      const id = response.data!.requestNumberManagement.id as string;
      const confirmation = await m.confirmationCode(unregistered, before);
      const dev = await fetch(`${t.url}/dev/sms/inbound`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ from: unregistered, to: '4259', text: confirmation }) });
      expect(dev.status).toBe(200);
      expect(await dev.json()).toMatchObject({ outcome: 'CONFIRMED' });
      const activation = await m.activationCode(unregistered, before);
      expect((await m.activate(requester, id, activation)).data!.activateNumberManagement.status).toBe('ACTIVE');
      await m.act('revokeNumberManagement', requester, id);
    });

    it('refusals come with contract codes and texts in the caller’s language, never INTERNAL', async () => {
      const own = await t.graphql(`mutation ($m: PhoneNumber!) { requestNumberManagement(msisdn: $m) { id } }`, { m: requester.msisdn }, { token: requester.token, language: 'kk' });
      expect(own.errors?.[0]).toMatchObject({ message: 'Өз нөміріңізді басқаруды сұрауға болмайды', extensions: { code: 'BAD_USER_INPUT', field: 'msisdn' } });
      expect(code(await m.request(requester, '+77019990099'))).toBe('BAD_USER_INPUT');
      expect(code(await t.graphql(`mutation { requestNumberManagement(msisdn: "+77019990099") { id } }`))).toBe('UNAUTHENTICATED');
      expect(code(await m.activate(requester, '00000000-0000-4000-8000-000000000000', 'ABCDEFGH'))).toBe('NOT_FOUND');
      const huge = await m.activate(requester, '00000000-0000-4000-8000-000000000000', 'A'.repeat(50_000));
      expect(code(huge)).toBe('BAD_USER_INPUT');
      const batch = await fetch(`${t.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${requester.token}` },
        body: JSON.stringify(Array.from({ length: 30 }, () => ({ query: `mutation { activateNumberManagement(requestId: "00000000-0000-4000-8000-000000000000", activationCode: "ABCDEFGH") { id } }` }))),
      });
      // A batch of operations in one HTTP request is not taken at all (so it cannot be 30 tries at the price of one).
      expect(batch.status).toBe(400);
      expect(JSON.stringify(await batch.json())).not.toMatch(/INTERNAL|at \w+ \(/);
    });

    it("another subscriber's request is FORBIDDEN, and so is a cursor of someone else's feed", async () => {
      const { id } = await asked();
      const stranger = await m.party(demo.nurlan.login);
      for (const mutation of ['confirmManagementRequest', 'rejectManagementRequest', 'revokeNumberManagement', 'cancelManagementRequest'] as const) {
        expect(code(await m.act(mutation, stranger, id))).toBe('FORBIDDEN');
      }
      expect(code(await m.activate(stranger, id, 'ABCDEFGH'))).toBe('FORBIDDEN');
      const theirs = await t.graphql(`{ outgoingManagementRequests { cursor } }`, {}, { token: requester.token });
      const foreign = watch(stranger, 'managementRequestUpdated', `subscription ($after: String) { managementRequestUpdated(after: $after) { id } }`, { after: theirs.data!.outgoingManagementRequests[0].cursor });
      const refused = await foreign.raw();
      expect((refused.value as any).errors[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'after' });
      await m.act('cancelManagementRequest', requester, id);
    });
  });

  it('the lists and the subscriptions share cursors: load, then subscribe after, and nothing falls in between', async () => {
    const owner = await m.party(demo.aigerim.login);
    const requester = await m.party(demo.nurlan.login);
    const listed = await t.graphql(`{ incomingManagementRequests { cursor } }`, {}, { token: owner.token });
    const after = listed.data!.incomingManagementRequests[0].cursor as string;
    // A request made after the list was read and before the subscription starts.
    const made = await m.request(requester, owner.msisdn);
    const received = watch(owner, 'managementRequestReceived', RECEIVED, { after });
    expect(await received.next()).toMatchObject({ id: made.data!.requestNumberManagement.id, status: 'AWAITING_CONFIRMATION' });
    expect((await m.act('cancelManagementRequest', requester, made.data!.requestNumberManagement.id)).data!.cancelManagementRequest.status).toBe('CANCELLED');
    await received.close();
  });
});
