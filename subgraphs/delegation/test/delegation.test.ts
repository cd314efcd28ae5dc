import { randomUUID } from 'node:crypto';
import {
  AccessPolicy,
  GraphQLContext,
  INTERNAL_TOKEN_HEADER,
  InternalClient,
  httpGrantSource,
} from '@selfcare/shared';
import { ManagementRequestEntity, ManagementStatus, OPEN_STATUSES, createDelegationSubgraph, openKey } from '../src';
import { entitiesQuery, errorCodes, graphql, platformForSuite, publishEvent, subscriberContext, subscriberRepresentations } from '@selfcare/shared/testing';
import { grantManagement } from './support/grants';

const HOUR_MS = 60 * 60 * 1000;


describe('delegation subgraph', () => {
  // Identity's part is a stand-in that signs the tests' tokens. No expiry job: its rounds would count among the statements below.
  const { t, delegation } = platformForSuite({ delegation: () => createDelegationSubgraph({ backgroundJobs: false }) }, { standInIdentity: true });

  /** A request in any state of the procedure, as the later mutations will leave it. */
  const insertRequest = async (fields: Partial<ManagementRequestEntity> & { requesterId: string; ownerMsisdn: string; status: ManagementStatus }) => {
    const now = t.clock.now();
    const row = delegation.runtime.database.manager.create(ManagementRequestEntity, {
      id: randomUUID(),
      requesterMsisdn: null,
      ownerId: null,
      channel: 'WEB',
      openKey: OPEN_STATUSES.includes(fields.status) ? openKey(fields.requesterId, fields.ownerMsisdn) : null,
      confirmationCodeHash: null,
      confirmationExpiresAt: null,
      confirmationFailures: 0,
      confirmedAt: null,
      confirmedVia: null,
      activationCodeHash: null,
      activationExpiresAt: null,
      activationAttemptsLeft: null,
      activatedAt: null,
      endedAt: null,
      endedBy: null,
      createdAt: now,
      updatedAt: now,
      ...fields,
    });
    await delegation.runtime.database.manager.insert(ManagementRequestEntity, row);
    return row;
  };

  const check = async (body: unknown, token: string | null = t.platform.internalToken) =>
    fetch(`${delegation.url}/internal/management/check`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { [INTERNAL_TOKEN_HEADER]: token } : {}) },
      body: JSON.stringify(body),
    });

  describe('who may manage a number (terms 4.2, 4.3)', () => {
    it('answers POST /internal/management/check from ACTIVE grants only', async () => {
      const manager = randomUUID();
      const owner = randomUUID();
      const pending = randomUUID();
      const revoked = randomUUID();
      await grantManagement(delegation, manager, owner, '+77051110001');
      await insertRequest({ requesterId: manager, ownerId: pending, ownerMsisdn: '+77051110002', status: ManagementStatus.CONFIRMED, activationExpiresAt: new Date(t.clock.now().getTime() + HOUR_MS), activationAttemptsLeft: 3 });
      await insertRequest({ requesterId: manager, ownerId: revoked, ownerMsisdn: '+77051110003', status: ManagementStatus.REVOKED, endedAt: t.clock.now(), endedBy: revoked });

      const response = await check({ managerId: manager, subscriberIds: [owner, pending, revoked, randomUUID(), owner] });
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({ managed: [true, false, false, false, true] });
      // The grant is the manager's, not the other way round.
      expect(await (await check({ managerId: owner, subscriberIds: [manager] })).json()).toEqual({ managed: [false] });
      expect(await (await check({ managerId: manager, subscriberIds: [] })).json()).toEqual({ managed: [] });
    });

    it('refuses callers without the internal token, and malformed bodies', async () => {
      expect((await check({ managerId: randomUUID(), subscriberIds: [] }, null)).status).toBe(401);
      expect((await check({ managerId: randomUUID(), subscriberIds: [] }, 'x'.repeat(48))).status).toBe(401);
      expect((await check({ managerId: randomUUID() })).status).toBe(400);
      expect((await check({ managerId: randomUUID(), subscriberIds: Array.from({ length: 501 }, () => 'x') })).status).toBe(400);
    });

    it("drives every other subgraph's AccessPolicy over HTTP, and delegation's own from its tables", async () => {
      const manager = randomUUID();
      const owner = randomUUID();
      const stranger = randomUUID();
      await grantManagement(delegation, manager, owner, '+77051110010');
      const remote = new AccessPolicy(httpGrantSource(new InternalClient(t.platform.directory, t.platform.internalToken)));
      for (const policy of [remote, delegation.runtime.accessPolicy]) {
        const ctx = subscriberContext(manager);
        await expect(policy.assertMayManage(ctx, owner)).resolves.toEqual({ subscriberId: owner, viaManagement: true, actorId: manager });
        await expect(policy.assertMayManage(ctx, manager)).resolves.toEqual({ subscriberId: manager, viaManagement: false, actorId: manager });
        await expect(policy.assertMayManage(ctx, stranger)).rejects.toMatchObject({ code: 'FORBIDDEN' });
        await expect(policy.assertMayManage(subscriberContext(owner), manager)).rejects.toMatchObject({ code: 'FORBIDDEN' });
      }
      // Revoking (terms 4.4) ends it at once: the next request asks again.
      await delegation.runtime.database.manager.update(ManagementRequestEntity, { requesterId: manager, ownerId: owner }, { status: ManagementStatus.REVOKED, openKey: null });
      await expect(remote.assertMayManage(subscriberContext(manager), owner)).rejects.toMatchObject({ code: 'FORBIDDEN' });
    });

    describe('many numbers at once: one question to delegation per request', () => {
      const manager = randomUUID();
      const owners = [randomUUID(), randomUUID(), randomUUID()];
      const stranger = randomUUID();
      const remote = () => new AccessPolicy(httpGrantSource(new InternalClient(t.platform.directory, t.platform.internalToken)));
      /** delegation's SQL statements while `work` runs: one per question (GrantStore reads once per call). */
      const questions = async (work: () => Promise<unknown>) => {
        const before = delegation.runtime.database.counter.count;
        await work();
        return delegation.runtime.database.counter.count - before;
      };

      beforeAll(async () => {
        for (const [i, owner] of owners.entries()) await grantManagement(delegation, manager, owner, `+7705222000${i}`);
      });

      it('assertMayManageAll and filterManageable share one per-request loader with assertMayManage', async () => {
        for (const policy of [remote(), delegation.runtime.accessPolicy]) {
          const ctx = subscriberContext(manager);
          let all: unknown;
          expect(await questions(async () => (all = await policy.assertMayManageAll(ctx, [manager, ...owners])))).toBe(1);
          expect(all).toEqual([
            { subscriberId: manager, viaManagement: false, actorId: manager },
            ...owners.map((owner) => ({ subscriberId: owner, viaManagement: true, actorId: manager })),
          ]);
          // Already answered in this request: no second question.
          expect(await questions(() => policy.assertMayManage(ctx, owners[1]!))).toBe(0);
          let kept: { subscriberId: string }[] = [];
          expect(await questions(async () => (kept = await policy.filterManageable(ctx, [stranger, owners[2]!, manager, owners[0]!])))).toBe(1);
          expect(kept.map((a) => a.subscriberId)).toEqual([owners[2], manager, owners[0]]);
          await expect(policy.assertMayManageAll(ctx, [owners[0]!, stranger])).rejects.toMatchObject({ code: 'FORBIDDEN' });
        }
      });

      it('numbers asked one by one in the same tick make one question too', async () => {
        const ctx = subscriberContext(manager);
        expect(await questions(() => Promise.all(owners.map((owner) => remote().assertMayManage(ctx, owner))))).toBe(1);
      });

      it('more numbers than one question may carry are asked in several, not refused', async () => {
        const ctx = subscriberContext(manager);
        const many = [...owners, ...Array.from({ length: 1197 }, () => randomUUID())];
        let kept: { subscriberId: string }[] = [];
        expect(await questions(async () => (kept = await remote().filterManageable(ctx, many)))).toBe(3);
        expect(kept.map((a) => a.subscriberId)).toEqual(owners);
      });

      it('an id no subscriber can have is nobody’s to manage: FORBIDDEN, not asked, and the others still answered', async () => {
        const ctx = subscriberContext(manager);
        const bogus = ['x'.repeat(37), ''];
        let kept: { subscriberId: string }[] = [];
        expect(await questions(async () => (kept = await remote().filterManageable(ctx, [...bogus, owners[0]!])))).toBe(1);
        expect(kept.map((a) => a.subscriberId)).toEqual([owners[0]]);
        for (const id of bogus) await expect(remote().assertMayManage(subscriberContext(manager), id)).rejects.toMatchObject({ code: 'FORBIDDEN' });
      });

      it('refuses callers that are not subscribers before asking anything', async () => {
        const staff: GraphQLContext = { ...subscriberContext(manager), caller: { kind: 'staff', staffId: randomUUID(), sessionId: randomUUID(), role: 'ADMIN' } };
        const anonymous: GraphQLContext = { ...subscriberContext(manager), caller: null };
        expect(
          await questions(async () => {
            await expect(remote().filterManageable(staff, owners)).rejects.toMatchObject({ code: 'FORBIDDEN' });
            await expect(remote().assertMayManageAll(anonymous, owners)).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
          }),
        ).toBe(0);
      });
    });

    it('answers SERVICE_UNAVAILABLE when delegation cannot be reached', async () => {
      const { ServiceDirectory } = await import('@selfcare/shared');
      const nowhere = new ServiceDirectory({ delegation: 'http://127.0.0.1:9' });
      const policy = new AccessPolicy(httpGrantSource(new InternalClient(nowhere, t.platform.internalToken, { timeoutMs: 1000 })));
      await expect(policy.assertMayManage(subscriberContext(randomUUID()), randomUUID())).rejects.toMatchObject({ code: 'SERVICE_UNAVAILABLE' });
    });
  });

  describe('read side (terms 5.1, 4.4)', () => {
    const owner = randomUUID();
    const ownerMsisdn = '+77071230000';
    const requesterA = randomUUID();
    const requesterB = randomUUID();
    const requesterC = randomUUID();
    const REQUEST_FIELDS = 'id status requester { id } ownerMsisdn owner { id } createdAt activationExpiresAt attemptsLeft';

    beforeAll(async () => {
      const start = t.clock.now().getTime();
      await insertRequest({ requesterId: requesterA, ownerId: owner, ownerMsisdn, status: ManagementStatus.ACTIVE, activatedAt: new Date(start), createdAt: new Date(start - 3 * HOUR_MS) });
      await insertRequest({ requesterId: requesterB, ownerId: owner, ownerMsisdn, status: ManagementStatus.CONFIRMED, activationExpiresAt: new Date(start + 20 * HOUR_MS), activationAttemptsLeft: 2, createdAt: new Date(start - 2 * HOUR_MS) });
      // Confirmed long ago: its activation code ran out (terms 5.6: valid 24 hours).
      await insertRequest({ requesterId: requesterC, ownerId: owner, ownerMsisdn, status: ManagementStatus.CONFIRMED, activationExpiresAt: new Date(start - HOUR_MS), activationAttemptsLeft: 3, createdAt: new Date(start - 30 * HOUR_MS) });
    });

    it("shows the owner the requests for their number, newest first, with code expiry and attempts left", async () => {
      const response = await graphql(delegation.graphqlUrl, `{ incomingManagementRequests { ${REQUEST_FIELDS} } }`, {}, { token: await t.tokenFor(owner) });
      expect(response.errors).toBeUndefined();
      const requests = response.data!.incomingManagementRequests as any[];
      expect(requests.map((r) => [r.requester.id, r.status, r.attemptsLeft])).toEqual([
        [requesterB, 'CONFIRMED', 2],
        [requesterA, 'ACTIVE', null],
        [requesterC, 'EXPIRED', null],
      ]);
      expect(requests[0]).toMatchObject({ ownerMsisdn, owner: { id: owner }, activationExpiresAt: new Date(t.clock.now().getTime() + 20 * HOUR_MS).toISOString() });
    });

    it('shows the requester what they asked for, and nobody else', async () => {
      const mine = await graphql(delegation.graphqlUrl, `{ outgoingManagementRequests { status ownerMsisdn } }`, {}, { token: await t.tokenFor(requesterB) });
      expect(mine.data!.outgoingManagementRequests).toEqual([{ status: 'CONFIRMED', ownerMsisdn }]);
      const nothing = await graphql(delegation.graphqlUrl, `{ incomingManagementRequests { id } outgoingManagementRequests { id } }`, {}, { token: await t.tokenFor(randomUUID()) });
      expect(nothing.data).toEqual({ incomingManagementRequests: [], outgoingManagementRequests: [] });
      const anonymous = await graphql(delegation.graphqlUrl, `{ incomingManagementRequests { id } }`);
      expect(errorCodes(anonymous)).toEqual(['UNAUTHENTICATED']);
    });

    it("lists the number's managers to its owner and the manager's numbers to the manager — the owner alone", async () => {
      const own = await graphql<{ _entities: any[] }>(delegation.graphqlUrl, entitiesQuery('Subscriber', 'managers { status requester { id } }'), { representations: subscriberRepresentations([owner]) }, { token: await t.tokenFor(owner) });
      expect(own.data!._entities[0].managers).toEqual([{ status: 'ACTIVE', requester: { id: requesterA } }]);
      const managed = await graphql<{ _entities: any[] }>(delegation.graphqlUrl, entitiesQuery('Subscriber', 'managedNumbers { id }'), { representations: subscriberRepresentations([requesterA]) }, { token: await t.tokenFor(requesterA) });
      expect(managed.data!._entities[0].managedNumbers).toEqual([{ id: owner }]);
      // Management is not transitive and the list of managers is the owner's (terms 4.4): the manager is refused.
      const asManager = await graphql(delegation.graphqlUrl, entitiesQuery('Subscriber', 'managers { id }'), { representations: subscriberRepresentations([owner]) }, { token: await t.tokenFor(requesterA) });
      expect(errorCodes(asManager)).toEqual(['FORBIDDEN']);
    });

    it('resolves a request as an entity for its requester and owner only', async () => {
      const [request] = await delegation.runtime.database.manager.find(ManagementRequestEntity, { where: { requesterId: requesterB } });
      const query = `query ($r: [_Any!]!) { _entities(representations: $r) { ... on ManagementRequest { status requester { id } } } }`;
      const variables = { r: [{ __typename: 'ManagementRequest', id: request!.id }] };
      for (const viewer of [owner, requesterB]) {
        const response = await graphql(delegation.graphqlUrl, query, variables, { token: await t.tokenFor(viewer) });
        expect(response.data!._entities).toEqual([{ status: 'CONFIRMED', requester: { id: requesterB } }]);
      }
      expect(errorCodes(await graphql(delegation.graphqlUrl, query, variables, { token: await t.tokenFor(requesterA) }))).toEqual(['FORBIDDEN']);
    });
  });

  describe('the table fits the procedure', () => {
    it('holds one open request per requester and number, and any number of ended ones', async () => {
      const requesterId = randomUUID();
      const ownerMsisdn = '+77012340000';
      await insertRequest({ requesterId, ownerMsisdn, status: ManagementStatus.REJECTED });
      await insertRequest({ requesterId, ownerMsisdn, status: ManagementStatus.CANCELLED });
      await insertRequest({ requesterId, ownerMsisdn, status: ManagementStatus.AWAITING_CONFIRMATION, confirmationExpiresAt: new Date(t.clock.now().getTime() + HOUR_MS) });
      const duplicate = await insertRequest({ requesterId, ownerMsisdn, status: ManagementStatus.AWAITING_CONFIRMATION }).catch((error: unknown) => error);
      expect(delegation.runtime.database.isDuplicateKey(duplicate)).toBe(true);
    });

    it("gives a request its owner when identity provisions the number (terms 5.1: then it shows in the owner's cabinet)", async () => {
      const requesterId = randomUUID();
      const ownerMsisdn = '+77712345678';
      const request = await insertRequest({ requesterId, ownerMsisdn, status: ManagementStatus.AWAITING_CONFIRMATION, confirmationExpiresAt: new Date(t.clock.now().getTime() + HOUR_MS) });
      const ownerId = randomUUID();
      await publishEvent(t.bus, 'identity', 1, 'SubscriberProvisioned', { subscriberId: ownerId, kind: 'MOBILE', partyType: 'INDIVIDUAL', msisdn: '8 771 234 56 78', login: '+77712345678', language: 'KK', tariffCode: 'BEELINE_S' });
      const stored = await delegation.runtime.database.manager.findOneByOrFail(ManagementRequestEntity, { id: request.id });
      expect(stored.ownerId).toBe(ownerId);
      const incoming = await graphql(delegation.graphqlUrl, `{ incomingManagementRequests { id status } }`, {}, { token: await t.tokenFor(ownerId) });
      expect(incoming.data!.incomingManagementRequests).toEqual([{ id: request.id, status: 'AWAITING_CONFIRMATION' }]);
    });

    it('shows an unconfirmed request whose confirmation code ran out as EXPIRED', async () => {
      const requesterId = randomUUID();
      await insertRequest({ requesterId, ownerMsisdn: '+77012349999', status: ManagementStatus.AWAITING_CONFIRMATION, confirmationExpiresAt: new Date(t.clock.now().getTime() - 1) });
      const mine = await graphql(delegation.graphqlUrl, `{ outgoingManagementRequests { status ownerMsisdn owner { id } } }`, {}, { token: await t.tokenFor(requesterId) });
      expect(mine.data!.outgoingManagementRequests).toEqual([{ status: 'EXPIRED', ownerMsisdn: '+77012349999', owner: null }]);
    });
  });
});
