import { randomUUID } from 'node:crypto';
import { createIdentitySubgraph } from '@selfcare/identity';
import { generateSigningKeyPem, signingKeyFromPem } from '@selfcare/shared';
import { SteerableClock, demo, errorCode, graphql, platformForSuite, waitFor } from '@selfcare/shared/testing';
import { DelegationSubgraph, InboundSmsEntity, ManagementRequestEntity, ManagementRequestEventEntity, OFFER_VERSION, createDelegationSubgraph, inboundSignature } from '../src';
import * as codeModule from '../src/management/codes';
import { ProcedureKit } from './support/procedure-kit';

const HOUR_MS = 3600_000;
const codeIn = ProcedureKit.codeIn;

/**
 * The procedure of terms 5 on the delegation subgraph, next to the real identity subgraph (whose number a request
 * names, how its owner is told, and where notices and the activity record end up). The SMS centre is the edge: outbound
 * SMS are kept by the platform's transport, inbound ones are posted signed, as the gateway forwards them.
 */
describe('number management, terms 5.6 (delegation subgraph)', () => {
  const clock = new SteerableClock();
  let definition: DelegationSubgraph | undefined;
  const procedure = () => definition!.procedure!;
  const { t, identity, delegation } = platformForSuite(
    {
      identity: () => createIdentitySubgraph({ signingKey: signingKeyFromPem(generateSigningKeyPem()), kdf: { log2N: 10, r: 8, p: 1 } }),
      delegation: () => (definition = createDelegationSubgraph({ backgroundJobs: false, settings: { requestsPerRequesterPerDay: 50, requestsPerOwnerPerDay: 50, lookupsPerRequesterPerDay: 50 } })),
    },
    { clock, relayPollMs: 50 },
  );
  const kit = new Proxy({} as ProcedureKit, { get: (_, p) => Reflect.get(new ProcedureKit(t, identity, delegation), p) });
  const requestRow = (id: string) => delegation.runtime.database.manager.findOneByOrFail(ManagementRequestEntity, { id });
  let msisdnSeq = 0;
  /** A fresh number and its logged-in subscriber, so every test has parties of its own. */
  const fresh = (language: 'KK' | 'RU' | 'EN' = 'RU') => kit.newSubscriber(`+7701555${String((msisdnSeq += 1)).padStart(4, '0')}`, language);

  /** Steps 1-3: a request, and the code the owner got by SMS. */
  async function requested(requester: { token: string }, owner: { msisdn: string }) {
    // What earlier steps sent is out first, so the next SMS to the owner is this request's.
    await kit.drained();
    const before = kit.sms(owner.msisdn).length;
    const response = await kit.request(requester.token, owner.msisdn);
    expect(response.errors).toBeUndefined();
    const request = response.data!.requestNumberManagement;
    const sms = await kit.smsAt(owner.msisdn, before);
    return { request, code: codeIn(sms), sms };
  }

  /** Steps 1-5: confirmed by SMS to 4259; the owner's activation code. */
  async function confirmed(requester: { token: string }, owner: { msisdn: string }) {
    const { request, code } = await requested(requester, owner);
    await kit.drained();
    const before = kit.sms(owner.msisdn).length;
    const answer = await kit.inbound({ id: randomUUID(), from: owner.msisdn, to: '4259', text: code });
    expect(await answer.json()).toMatchObject({ outcome: 'CONFIRMED', duplicate: false });
    const activation = codeIn(await kit.smsAt(owner.msisdn, before));
    return { request, activation };
  }

  describe('terms 5.6.1-5.6.3: the request', () => {
    it('records the offer (text version, time, channel) and sends the owner the code to 4259 in the owner’s language', async () => {
      const requester = await fresh('RU');
      const owner = await fresh('KK');
      const { request, code, sms } = await requested(requester, owner);
      expect(request).toMatchObject({ status: 'AWAITING_CONFIRMATION', ownerMsisdn: owner.msisdn, owner: { id: owner.id }, requester: { id: requester.id }, attemptsLeft: null });
      // terms 5.6.3, kk: the requester's number, the code and the short number.
      expect(sms).toContain(requester.msisdn);
      expect(sms).toContain('4259');
      expect(sms).toMatch(/нөміріне жіберіңіз/);
      expect(code).toHaveLength(8);
      const row = await requestRow(request.id);
      expect(row).toMatchObject({ offerVersion: OFFER_VERSION, channel: 'WEB', ownerLanguage: 'KK', requesterLanguage: 'RU', requesterMsisdn: requester.msisdn });
      // Codes are kept only as salted slow hashes.
      expect(row.confirmationCodeHash).toMatch(/^scrypt\$/);
      expect(row.confirmationCodeHash).not.toContain(code);
      const history = await delegation.runtime.database.manager.find(ManagementRequestEventEntity, { where: { requestId: request.id } });
      expect(history.map((h) => [h.type, h.actorId, h.channel])).toEqual([['OFFER_MADE', requester.id, 'WEB']]);
      expect(JSON.parse(history[0]!.details!)).toEqual({ offerVersion: OFFER_VERSION });
    });

    it('terms 5.1: the registered owner sees it in the cabinet (a notice, incomingManagementRequests) and in the activity record', async () => {
      const requester = await fresh();
      const owner = await fresh('EN');
      const { request } = await requested(requester, owner);
      const incoming = await kit.gql(`{ incomingManagementRequests { id status requester { id } cursor } }`, {}, owner.token);
      expect(incoming.data!.incomingManagementRequests).toEqual([{ id: request.id, status: 'AWAITING_CONFIRMATION', requester: { id: requester.id }, cursor: expect.any(String) }]);
      await kit.drained();
      const cabinet = await waitFor(async () => {
        const me = await t.internal(identity.url, '/internal/notify-preferences', { body: { subscriberIds: [owner.id] } });
        expect(me.status).toBe(200);
        const notices = await identity.runtime.database.dataSource.query('SELECT title FROM cabinet_notifications WHERE subscriber_id = ?', [owner.id]);
        return notices.length ? notices : undefined;
      }, 10_000, 'the owner’s notice');
      expect(cabinet.map((n: { title: string }) => n.title)).toEqual(['Request to manage your number']);
      const activity = await waitFor(async () => {
        const rows: { action: string; actor_id: string }[] = await identity.runtime.database.dataSource.query('SELECT action, actor_id FROM activity_entries WHERE subscriber_id = ? AND action LIKE ?', [owner.id, 'MANAGEMENT%']);
        return rows.length ? rows : undefined;
      }, 10_000, 'the owner’s activity entry');
      expect(activity).toEqual([{ action: 'MANAGEMENT_REQUESTED', actor_id: requester.id }]);
    });

    it('an unregistered owner gets the request by SMS', async () => {
      const requester = await fresh();
      const { request } = await requested(requester, { msisdn: demo.unregistered.msisdn! });
      expect(request.owner).toEqual({ id: demo.unregistered.id });
      expect(kit.sms(demo.unregistered.msisdn!).at(-1)).toContain(requester.msisdn);
    });

    it('refuses the own number, a number that is no Beeline mobile number, and one already managed; returns the open request instead of a second', async () => {
      const requester = await fresh();
      const owner = await fresh();
      expect(errorCode(await kit.request(requester.token, requester.msisdn))).toBe('BAD_USER_INPUT');
      const stranger = await kit.request(requester.token, '+77019990000');
      expect(stranger.errors?.[0]).toMatchObject({ message: 'Это не мобильный номер Beeline', extensions: { code: 'BAD_USER_INPUT', field: 'msisdn' } });
      // Not a Kazakhstan number at all: the PhoneNumber scalar refuses it.
      expect(errorCode(await kit.request(requester.token, '+79161234567'))).toBe('BAD_USER_INPUT');
      // Home internet has no mobile number to manage.
      expect(errorCode(await kit.request(requester.token, demo.home.login))).toBe('BAD_USER_INPUT');

      const { request } = await requested(requester, owner);
      const sent = kit.sms(owner.msisdn).length;
      const again = await kit.request(requester.token, `8 ${owner.msisdn.slice(2, 5)} ${owner.msisdn.slice(5, 8)} ${owner.msisdn.slice(8, 10)} ${owner.msisdn.slice(10)}`);
      expect(again.data!.requestNumberManagement.id).toBe(request.id);
      await kit.drained();
      expect(kit.sms(owner.msisdn)).toHaveLength(sent);

      const managed = await fresh();
      const { request: active, activation } = await confirmed(requester, managed);
      expect((await kit.activate(requester.token, active.id, activation)).data!.activateNumberManagement.status).toBe('ACTIVE');
      const twice = await kit.request(requester.token, managed.msisdn);
      expect(twice.errors?.[0]).toMatchObject({ extensions: { code: 'CONFLICT', field: 'msisdn' } });
    });

    it('concurrent duplicates of one request make one request and one SMS', async () => {
      const requester = await fresh();
      const owner = await fresh();
      await kit.drained();
      const before = kit.sms(owner.msisdn).length;
      const answers = await Promise.all(Array.from({ length: 10 }, () => kit.request(requester.token, owner.msisdn)));
      expect(answers.map((a) => a.errors)).toEqual(Array(10).fill(undefined));
      expect(new Set(answers.map((a) => a.data!.requestNumberManagement.id)).size).toBe(1);
      await kit.drained();
      expect(kit.sms(owner.msisdn)).toHaveLength(before + 1);
    });
  });

  describe('terms 5.6.4-5.6.5: the owner answers by SMS to 4259', () => {
    it('a right code (spaces and case aside) confirms (terms 5.5 recorded) and the owner gets the activation code; a redelivery is applied once', async () => {
      const requester = await fresh();
      const owner = await fresh();
      const { request, code } = await requested(requester, owner);
      const id = randomUUID();
      const spaced = ` ${code.slice(0, 4).toLowerCase()} ${code.slice(4)} `;
      await kit.drained();
      const before = kit.sms(owner.msisdn).length;
      const answer = await kit.inbound({ id, from: owner.msisdn, to: '4259', text: spaced });
      expect(answer.status).toBe(200);
      expect(await answer.json()).toEqual({ id, outcome: 'CONFIRMED', duplicate: false });
      const activation = codeIn(await kit.smsAt(owner.msisdn, before));
      expect(activation).not.toBe(code);
      const row = await requestRow(request.id);
      expect(row).toMatchObject({ status: 'CONFIRMED', confirmedVia: 'SMS', activationAttemptsLeft: 3, confirmationCodeHash: null });
      expect(row.activationExpiresAt!.getTime() - row.confirmedAt!.getTime()).toBe(24 * HOUR_MS);
      const accepted = await delegation.runtime.database.manager.findOneByOrFail(ManagementRequestEventEntity, { requestId: request.id, type: 'OFFER_ACCEPTED' });
      expect(JSON.parse(accepted.details!)).toEqual({ offerVersion: OFFER_VERSION, via: 'SMS' });

      // The SMS centre delivers the same message again (twice at once, too): nothing new happens.
      const replays = await Promise.all([0, 1, 2].map(() => kit.inbound({ id, from: owner.msisdn, to: '4259', text: spaced })));
      for (const replay of replays) expect(await replay.json()).toEqual({ id, outcome: 'CONFIRMED', duplicate: true });
      await kit.drained();
      expect(kit.sms(owner.msisdn)).toHaveLength(before + 1);
      expect((await requestRow(request.id)).activationCodeHash).toBe(row.activationCodeHash);
    });

    it('a wrong signature is 401 and changes nothing; so is a call without the internal token; a malformed body is 400', async () => {
      const requester = await fresh();
      const owner = await fresh();
      const { request, code } = await requested(requester, owner);
      const message = { id: randomUUID(), from: owner.msisdn, to: '4259', text: code };
      expect((await kit.inbound(message, { secret: 'x'.repeat(48) })).status).toBe(401);
      expect((await kit.inbound(message, { signature: null })).status).toBe(401);
      expect((await kit.inbound(message, { signature: 'ab'.repeat(32) })).status).toBe(401);
      // Signed, but the body changed on the way.
      const signedBody = JSON.stringify(message);
      expect((await kit.inbound({}, { body: signedBody.replace(code, 'AAAAAAAA'), signature: inboundSignature(signedBody, t.platform.smsCentreSecret!) })).status).toBe(401);
      expect((await kit.inbound(message, { token: null })).status).toBe(401);
      // Over the webhook's 16 KB: refused before anything is read, as JSON.
      const oversized = await kit.inbound({ ...message, text: 'x'.repeat(20_000) });
      expect(oversized.status).toBe(413);
      const malformed = await kit.inbound({ id: 'x', from: owner.msisdn, to: '4259' });
      expect(malformed.status).toBe(400);
      expect(await malformed.json()).toMatchObject({ error: { code: 'BAD_USER_INPUT', field: 'text' } });
      expect((await kit.inbound({}, { body: '{"id":' })).status).toBe(400);
      expect((await requestRow(request.id)).status).toBe('AWAITING_CONFIRMATION');
      expect(await delegation.runtime.database.manager.countBy(InboundSmsEntity, { id: message.id })).toBe(0);
      // The same message, signed right, still works: nothing was used up.
      expect(await (await kit.inbound(message)).json()).toMatchObject({ outcome: 'CONFIRMED' });
    });

    it('text from another number changes nothing; a wrong code counts for the sender’s requests and three void them; not to 4259 is ignored', async () => {
      const requester = await fresh();
      const owner = await fresh();
      const other = await fresh();
      const { request, code } = await requested(requester, owner);
      // The right code, but not from the owner's number: the other number has no request awaiting a code.
      expect(await (await kit.inbound({ id: randomUUID(), from: other.msisdn, to: '4259', text: code })).json()).toMatchObject({ outcome: 'NO_REQUEST' });
      expect(await (await kit.inbound({ id: randomUUID(), from: owner.msisdn, to: '4260', text: code })).json()).toMatchObject({ outcome: 'NOT_FOR_US' });
      expect(await (await kit.inbound({ id: randomUUID(), from: 'Beeline', to: '4259', text: code })).json()).toMatchObject({ outcome: 'IGNORED' });
      expect((await requestRow(request.id)).status).toBe('AWAITING_CONFIRMATION');

      for (const [i, text] of ['WRONG123', 'да'].entries()) {
        expect(await (await kit.inbound({ id: randomUUID(), from: owner.msisdn, to: '4259', text })).json()).toMatchObject({ outcome: 'WRONG_CODE' });
        expect((await requestRow(request.id)).confirmationFailures).toBe(i + 1);
      }
      expect((await requestRow(request.id)).status).toBe('AWAITING_CONFIRMATION');
      // A text far too long to be a code counts as a wrong one too (and costs no hash).
      expect(await (await kit.inbound({ id: randomUUID(), from: owner.msisdn, to: '4259', text: 'x'.repeat(1500) })).json()).toMatchObject({ outcome: 'WRONG_CODE' });
      expect(await requestRow(request.id)).toMatchObject({ status: 'VOIDED', confirmationCodeHash: null, openKey: null });
      // Voided: the right code no longer confirms.
      expect(await (await kit.inbound({ id: randomUUID(), from: owner.msisdn, to: '4259', text: code })).json()).toMatchObject({ outcome: 'NO_REQUEST' });
    });

    it('an owner with two requesters has two codes; each confirms its own request only', async () => {
      const [first, second] = [await fresh(), await fresh()];
      const owner = await fresh();
      const a = await requested(first, owner);
      const b = await requested(second, owner);
      expect(a.code).not.toBe(b.code);
      expect(await (await kit.inbound({ id: randomUUID(), from: owner.msisdn, to: '4259', text: b.code })).json()).toMatchObject({ outcome: 'CONFIRMED' });
      expect((await requestRow(b.request.id)).status).toBe('CONFIRMED');
      expect(await requestRow(a.request.id)).toMatchObject({ status: 'AWAITING_CONFIRMATION', confirmationFailures: 0 });
    });
  });

  describe('terms 5.1: the owner answers in the cabinet', () => {
    it('confirms (activation code by SMS) or rejects; only the owner may, not the requester nor a manager of the owner', async () => {
      const requester = await fresh();
      const owner = await fresh();
      const ownersManager = await fresh();
      const held = await confirmed(ownersManager, owner);
      await kit.activate(ownersManager.token, held.request.id, held.activation);

      const { request } = await requested(requester, owner);
      for (const caller of [requester, ownersManager]) {
        expect(errorCode(await kit.act('confirmManagementRequest', caller.token, request.id))).toBe('FORBIDDEN');
        expect(errorCode(await kit.act('rejectManagementRequest', caller.token, request.id))).toBe('FORBIDDEN');
      }
      expect(errorCode(await kit.act('confirmManagementRequest', owner.token, randomUUID()))).toBe('NOT_FOUND');
      expect(errorCode(await kit.act('confirmManagementRequest', owner.token, 'not-an-id'))).toBe('NOT_FOUND');
      await kit.drained();
      const before = kit.sms(owner.msisdn).length;
      const confirmedInCabinet = await kit.act('confirmManagementRequest', owner.token, request.id);
      expect(confirmedInCabinet.data!.confirmManagementRequest).toMatchObject({ status: 'CONFIRMED', attemptsLeft: 3, confirmedAt: expect.any(String) });
      const activation = codeIn(await kit.smsAt(owner.msisdn, before));
      // Asked again: as it is, no second code.
      expect((await kit.act('confirmManagementRequest', owner.token, request.id)).data!.confirmManagementRequest.status).toBe('CONFIRMED');
      await kit.drained();
      expect(kit.sms(owner.msisdn)).toHaveLength(before + 1);

      expect((await kit.act('rejectManagementRequest', owner.token, request.id)).data!.rejectManagementRequest).toMatchObject({ status: 'REJECTED', endedAt: expect.any(String) });
      // Rejected: the activation code is gone with it.
      expect(errorCode(await kit.activate(requester.token, request.id, activation))).toBe('CONFLICT');
    });
  });

  describe('terms 5.6.6-5.6.8: activation', () => {
    it('a right code hands management over (managedNumbers, managers) and tells the owner by SMS; the code is single use', async () => {
      const requester = await fresh();
      const owner = await fresh();
      const { request, activation } = await confirmed(requester, owner);
      await kit.drained();
      const before = kit.sms(owner.msisdn).length;
      const active = await kit.activate(requester.token, request.id, activation.toLowerCase());
      expect(active.data!.activateNumberManagement).toMatchObject({ status: 'ACTIVE', activatedAt: expect.any(String), attemptsLeft: null });
      expect(await kit.smsAt(owner.msisdn, before)).toContain(requester.msisdn);
      expect((await requestRow(request.id)).activationCodeHash).toBeNull();
      const entities = `query ($r: [_Any!]!) { _entities(representations: $r) { ... on Subscriber { managedNumbers { id } managers { id requester { id } } } } }`;
      const mine = await kit.gql(entities, { r: [{ __typename: 'Subscriber', id: requester.id }] }, requester.token);
      expect(mine.data!._entities[0].managedNumbers).toEqual([{ id: owner.id }]);
      const theirs = await kit.gql(entities, { r: [{ __typename: 'Subscriber', id: owner.id }] }, owner.token);
      expect(theirs.data!._entities[0].managers).toEqual([{ id: request.id, requester: { id: requester.id } }]);
      await expect(delegation.runtime.accessPolicy.assertMayManage(await contextOf(requester), owner.id)).resolves.toMatchObject({ viaManagement: true });
      // Entered again: it is active already; the owner is not told twice.
      expect((await kit.activate(requester.token, request.id, activation)).data!.activateNumberManagement.status).toBe('ACTIVE');
      await kit.drained();
      expect(kit.sms(owner.msisdn)).toHaveLength(before + 1);
    });

    it('wrong codes: CODE_INVALID with attemptsLeft, the third voids (CODE_VOIDED, VOIDED); the owner cannot enter it; another request’s code is wrong', async () => {
      const requester = await fresh();
      const owner = await fresh();
      const { request, activation } = await confirmed(requester, owner);
      const other = await confirmed(await fresh(), await fresh());
      expect(errorCode(await kit.activate(owner.token, request.id, activation))).toBe('FORBIDDEN');
      const first = await kit.activate(requester.token, request.id, other.activation, 'en');
      expect(first.errors?.[0]).toMatchObject({ message: 'Wrong code, 2 attempts left', extensions: { code: 'CODE_INVALID', attemptsLeft: 2, field: 'activationCode' } });
      const second = await kit.activate(requester.token, request.id, 'ABCDEFGH');
      expect(second.errors?.[0]?.extensions).toMatchObject({ code: 'CODE_INVALID', attemptsLeft: 1 });
      expect((await kit.gql(`{ outgoingManagementRequests { id attemptsLeft } }`, {}, requester.token)).data!.outgoingManagementRequests[0]).toEqual({ id: request.id, attemptsLeft: 1 });
      expect(errorCode(await kit.activate(requester.token, request.id, 'x'.repeat(65)))).toBe('BAD_USER_INPUT');
      expect(errorCode(await kit.activate(requester.token, request.id, '   '))).toBe('BAD_USER_INPUT');
      expect(errorCode(await kit.activate(requester.token, request.id, 'short'))).toBe('CODE_VOIDED');
      expect(await requestRow(request.id)).toMatchObject({ status: 'VOIDED', activationCodeHash: null, openKey: null });
      // Void means void: the right code no longer works.
      expect(errorCode(await kit.activate(requester.token, request.id, activation))).toBe('CODE_VOIDED');
      // The other request is untouched by the code that was tried on this one.
      expect((await requestRow(other.request.id)).activationAttemptsLeft).toBe(3);
    });

    it('aliases in one request are tries one by one: the first wrong one counts, and a non-null refusal stops the rest', async () => {
      const requester = await fresh();
      const { request, activation } = await confirmed(requester, await fresh());
      const aliases = Array.from({ length: 30 }, (_, i) => `a${i}: activateNumberManagement(requestId: $r, activationCode: "${i === 29 ? activation : `WRONG${String(i).padStart(3, '0')}`}") { id status }`).join('\n');
      const answer = await kit.gql(`mutation ($r: ID!) { ${aliases} }`, { r: request.id }, requester.token);
      // Mutation fields run one after another; the first refusal (a non-null field) ends the operation: one try, counted.
      expect(answer.data).toBeNull();
      expect((answer.errors ?? []).map((e) => [e.path?.[0], e.extensions?.code, e.extensions?.attemptsLeft])).toEqual([['a0', 'CODE_INVALID', 2]]);
      expect(await delegation.runtime.database.manager.countBy(ManagementRequestEventEntity, { requestId: request.id, type: 'ACTIVATION_CODE_WRONG' })).toBe(1);
      // Sent three times, the same document counts three tries: the code is void, and the right one in the last alias never ran.
      for (const expected of ['CODE_INVALID', 'CODE_VOIDED']) expect(errorCode(await kit.gql(`mutation ($r: ID!) { ${aliases} }`, { r: request.id }, requester.token))).toBe(expected);
      expect((await requestRow(request.id)).status).toBe('VOIDED');
    });

    it('30 requests at once are 30 tries: exactly three counted (2 CODE_INVALID, then CODE_VOIDED for the rest)', async () => {
      const requester = await fresh();
      const { request } = await confirmed(requester, await fresh());
      // Each code check costs a hash: entries at once must not cost one each once the code is void.
      const hashes = jest.spyOn(codeModule, 'codeMatches');
      const answers = await Promise.all(Array.from({ length: 30 }, (_, i) => kit.activate(requester.token, request.id, `WRONG${String(i).padStart(3, '0')}`)));
      expect(hashes).toHaveBeenCalledTimes(3);
      hashes.mockRestore();
      const codes = answers.map(errorCode);
      expect(codes.filter((c) => c === 'CODE_INVALID')).toHaveLength(2);
      expect(codes.filter((c) => c === 'CODE_VOIDED')).toHaveLength(28);
      const history = await delegation.runtime.database.manager.countBy(ManagementRequestEventEntity, { requestId: request.id, type: 'ACTIVATION_CODE_WRONG' });
      expect(history).toBe(3);
    });

    it('the activation code is valid 24 hours: CODE_EXPIRED after, and the request is EXPIRED', async () => {
      const requester = await fresh();
      const { request, activation } = await confirmed(requester, await fresh());
      clock.advance(24 * HOUR_MS + 1000);
      try {
        expect(errorCode(await kit.activate(requester.token, request.id, activation))).toBe('CODE_EXPIRED');
        expect(await requestRow(request.id)).toMatchObject({ status: 'EXPIRED', activationCodeHash: null, openKey: null });
        expect(errorCode(await kit.activate(requester.token, request.id, activation))).toBe('CODE_EXPIRED');
      } finally {
        clock.advance(-(24 * HOUR_MS + 1000));
      }
    });
  });

  describe('terms 4.4: revocation, cancel, expiry', () => {
    it('the owner revokes, or the requester detaches: REVOKED at once for AccessPolicy; both are told by SMS; nobody else may', async () => {
      const requester = await fresh();
      const owner = await fresh();
      const bystander = await fresh();
      const { request, activation } = await confirmed(requester, owner);
      await kit.activate(requester.token, request.id, activation);
      const held = await confirmed(bystander, owner);
      await kit.activate(bystander.token, held.request.id, held.activation);
      // Another manager of the same number may not end this one's management (the owner's part, terms 4.4).
      expect(errorCode(await kit.act('revokeNumberManagement', bystander.token, request.id))).toBe('FORBIDDEN');
      await kit.drained();
      const smsBefore = { owner: kit.sms(owner.msisdn).length, requester: kit.sms(requester.msisdn).length };
      const revoked = await kit.act('revokeNumberManagement', owner.token, request.id);
      expect(revoked.data!.revokeNumberManagement).toMatchObject({ status: 'REVOKED', endedAt: expect.any(String) });
      await expect(delegation.runtime.accessPolicy.assertMayManage(await contextOf(requester), owner.id)).rejects.toMatchObject({ code: 'FORBIDDEN' });
      await expect(delegation.runtime.accessPolicy.assertMayManage(await contextOf(bystander), owner.id)).resolves.toMatchObject({ viaManagement: true });
      expect(await kit.smsAt(owner.msisdn, smsBefore.owner)).toContain(requester.msisdn);
      expect(await kit.smsAt(requester.msisdn, smsBefore.requester)).toContain(owner.msisdn);
      // Revoked again: as it is.
      expect((await kit.act('revokeNumberManagement', owner.token, request.id)).data!.revokeNumberManagement.status).toBe('REVOKED');

      // The requester gives it up on their own.
      const detached = await kit.act('revokeNumberManagement', bystander.token, held.request.id);
      expect(detached.data!.revokeNumberManagement.status).toBe('REVOKED');
      expect((await requestRow(held.request.id)).endedBy).toBe(bystander.id);
      // Ended: a new request may be made for the same number.
      expect((await kit.request(requester.token, owner.msisdn)).data!.requestNumberManagement.status).toBe('AWAITING_CONFIRMATION');
    });

    it('the requester cancels a request not yet active (CANCELLED); revoking one not yet active is the cancel or the rejection', async () => {
      const requester = await fresh();
      const owner = await fresh();
      const a = await requested(requester, owner);
      expect(errorCode(await kit.act('cancelManagementRequest', owner.token, a.request.id))).toBe('FORBIDDEN');
      expect((await kit.act('cancelManagementRequest', requester.token, a.request.id)).data!.cancelManagementRequest.status).toBe('CANCELLED');
      expect(await (await kit.inbound({ id: randomUUID(), from: owner.msisdn, to: '4259', text: a.code })).json()).toMatchObject({ outcome: 'NO_REQUEST' });
      const b = await requested(requester, owner);
      expect((await kit.act('revokeNumberManagement', owner.token, b.request.id)).data!.revokeNumberManagement.status).toBe('REJECTED');
      const c = await requested(requester, owner);
      expect((await kit.act('revokeNumberManagement', requester.token, c.request.id)).data!.revokeNumberManagement.status).toBe('CANCELLED');
    });

    it('terms 3.3: when a party’s contract ends, its grants and open requests end with it', async () => {
      const requester = await fresh();
      const owner = await fresh();
      const { request, activation } = await confirmed(requester, owner);
      await kit.activate(requester.token, request.id, activation);
      const pending = await requested(requester, await fresh());
      const staff = await graphql(identity.graphqlUrl, `mutation { staffLogin(login: "admin", password: "Admin-2026!") { accessToken } }`);
      await graphql(identity.graphqlUrl, `mutation ($id: ID!) { terminateContract(subscriberId: $id) { accessStatus } }`, { id: owner.id }, { token: staff.data!.staffLogin.accessToken });
      await waitFor(async () => (await requestRow(request.id)).status === 'REVOKED' || undefined, 10_000, 'the grant to end');
      await expect(delegation.runtime.accessPolicy.assertMayManage(await contextOf(requester), owner.id)).rejects.toMatchObject({ code: 'FORBIDDEN' });
      await graphql(identity.graphqlUrl, `mutation ($id: ID!) { terminateContract(subscriberId: $id) { accessStatus } }`, { id: requester.id }, { token: staff.data!.staffLogin.accessToken });
      await waitFor(async () => (await requestRow(pending.request.id)).status === 'CANCELLED' || undefined, 10_000, 'the open request to end');
    });

    it('the scheduled job expires unconfirmed requests and unused activation codes', async () => {
      const requester = await fresh();
      const unconfirmed = await requested(requester, await fresh());
      const unused = await confirmed(requester, await fresh());
      const fresher = await requested(await fresh(), await fresh());
      clock.advance(24 * HOUR_MS + 1000);
      try {
        expect(await procedure().expireDue()).toBeGreaterThanOrEqual(3);
        expect((await requestRow(unconfirmed.request.id)).status).toBe('EXPIRED');
        expect((await requestRow(unused.request.id)).status).toBe('EXPIRED');
        expect((await requestRow(fresher.request.id)).status).toBe('EXPIRED');
        // Run again (another replica's job): nothing left to do.
        expect(await procedure().expireDue()).toBe(0);
        // Expired: the code no longer confirms, and a new request may be made.
        expect(await (await kit.inbound({ id: randomUUID(), from: unconfirmed.request.ownerMsisdn, to: '4259', text: unconfirmed.code })).json()).toMatchObject({ outcome: 'NO_REQUEST' });
      } finally {
        clock.advance(-(24 * HOUR_MS + 1000));
      }
    });
  });

  /** The verified context delegation's resolvers would get for this subscriber. */
  async function contextOf(subscriber: { token: string }) {
    const { createContextBuilder, createLogger } = await import('@selfcare/shared');
    return createContextBuilder(delegation.runtime.verifier, createLogger('test', 'silent'))({
      requestId: randomUUID(),
      authorization: `Bearer ${subscriber.token}`,
      language: 'RU' as never,
      clientAddress: '127.0.0.1',
      userAgent: null,
    });
  }

  describe('rate limits (per requester, per owner, and look-ups of numbers)', () => {
    let limited: DelegationSubgraph | undefined;
    const { t: lt, identity: lIdentity, delegation: lDelegation } = platformForSuite(
      {
        identity: () => createIdentitySubgraph({ signingKey: signingKeyFromPem(generateSigningKeyPem()), kdf: { log2N: 10, r: 8, p: 1 } }),
        delegation: () => (limited = createDelegationSubgraph({ backgroundJobs: false, settings: { requestsPerRequesterPerDay: 2, requestsPerOwnerPerDay: 3, lookupsPerRequesterPerDay: 6 } })),
      },
      { clock, relayPollMs: 50 },
    );
    const lkit = new Proxy({} as ProcedureKit, { get: (_, p) => Reflect.get(new ProcedureKit(lt, lIdentity, lDelegation), p) });
    let seq = 0;
    const party = () => lkit.newSubscriber(`+7702666${String((seq += 1)).padStart(4, '0')}`);

    it('a requester may send 2 a day (RATE_LIMITED with retryAfterSeconds), and again a day later', async () => {
      const requester = await party();
      const owners = [await party(), await party(), await party()];
      for (const owner of owners.slice(0, 2)) expect((await lkit.request(requester.token, owner.msisdn)).errors).toBeUndefined();
      const third = await lkit.request(requester.token, owners[2]!.msisdn);
      expect(third.errors?.[0]).toMatchObject({ message: 'Можно отправить не более 2 запросов за сутки', extensions: { code: 'RATE_LIMITED' } });
      expect(third.errors?.[0]?.extensions?.retryAfterSeconds).toBeGreaterThan(23 * 3600);
      clock.advance(24 * HOUR_MS + 1000);
      try {
        expect((await lkit.request(requester.token, owners[2]!.msisdn)).errors).toBeUndefined();
      } finally {
        clock.advance(-(24 * HOUR_MS + 1000));
      }
    });

    it('a number may receive 3 a day from everybody together; requests at once do not slip past it', async () => {
      const owner = await party();
      const requesters = await Promise.all(Array.from({ length: 6 }, () => party()));
      const answers = await Promise.all(requesters.map((r) => lkit.request(r.token, owner.msisdn)));
      expect(answers.filter((a) => !a.errors).length).toBe(3);
      expect(answers.filter((a) => errorCode(a) === 'RATE_LIMITED').length).toBe(3);
      await lkit.drained();
      expect(lkit.sms(owner.msisdn).filter((text) => text.includes('4259'))).toHaveLength(3);
    });

    it('looking numbers up is limited too, refused ones included (no listing of who is a Beeline subscriber)', async () => {
      const requester = await party();
      const answers = await Promise.all(Array.from({ length: 10 }, (_, i) => lkit.request(requester.token, `+7701999${String(i).padStart(4, '0')}`)));
      const codes = answers.map(errorCode);
      expect(codes.filter((c) => c === 'BAD_USER_INPUT')).toHaveLength(6);
      expect(codes.filter((c) => c === 'RATE_LIMITED')).toHaveLength(4);
      expect(answers.find((a) => errorCode(a) === 'RATE_LIMITED')!.errors![0]!.message).toBe('Можно проверить не более 6 номеров за сутки');
      // Housekeeping forgets look-ups past their day only.
      await limited!.procedure!.housekeeping();
      expect(errorCode(await lkit.request(requester.token, '+77019990100'))).toBe('RATE_LIMITED');
    });

    it('a number whose contract ended is nobody’s to manage', async () => {
      const requester = await party();
      const owner = await party();
      const staff = await graphql(lIdentity.graphqlUrl, `mutation { staffLogin(login: "admin", password: "Admin-2026!") { accessToken } }`);
      const ended = await graphql(lIdentity.graphqlUrl, `mutation ($id: ID!) { terminateContract(subscriberId: $id) { accessStatus } }`, { id: owner.id }, { token: staff.data!.staffLogin.accessToken });
      expect(ended.data).toEqual({ terminateContract: { accessStatus: 'TERMINATED' } });
      expect((await lkit.request(requester.token, owner.msisdn)).errors?.[0]).toMatchObject({ extensions: { code: 'BAD_USER_INPUT', field: 'msisdn' } });
    });
  });
});
