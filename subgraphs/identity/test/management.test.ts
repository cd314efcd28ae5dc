import { suiteFixture } from '@selfcare/shared/testing';
import { AIGERIM, HOME, NURLAN, STEPPE } from './support/identity';
import { IdentityHarness } from './support/identity-harness';

const code = IdentityHarness.code;

const FIELDS = `consents { purpose granted } consentHistory { purpose } notifyBy termsAcceptances { version }
  notifications(first: 10) { edges { node { id title } } }
  activity(first: 20) { edges { node { action viaManagement actor { msisdn } } } }`;
const ENTITIES = `query ($r: [_Any!]!) { _entities(representations: $r) { ... on Subscriber { id ${FIELDS} } } }`;

/**
 * terms 4.3: a subscriber who was handed management of a number (section 5) reads everything the owner can —
 * consents, notifications, activity — and 2.5: nobody else does. Delegation (the real subgraph) answers
 * "may this caller manage that number?"; the grants are put in its database as the 5.6 procedure leaves them.
 */
describe('reading a managed number (terms 4.3, 2.5)', () => {
  const h = suiteFixture(() => IdentityHarness.start({ relayPollMs: 60_000 }));

  const grant = (requesterId: string, _requesterMsisdn: string, ownerId: string, ownerMsisdn: string) => h.grant(requesterId, ownerId, ownerMsisdn);

  it("a manager reads the owner's consents, notifications and activity; marks a notification read", async () => {
    await grant(NURLAN.id, NURLAN.msisdn, AIGERIM.id, AIGERIM.msisdn);
    await h.runtime.database.transaction((m) => h.services.notices.notify(m, AIGERIM.id, { title: 'For Aigerim', body: 'b', key: 'mgmt-1' }));
    const nurlan = await h.token(NURLAN.msisdn);
    const result = await h.gql(`query ($m: PhoneNumber!) { subscriber(msisdn: $m) { id ${FIELDS} } }`, { m: AIGERIM.msisdn }, { token: nurlan });
    expect(result.errors).toBeUndefined();
    const owner = result.data!.subscriber;
    expect(owner.consents.map((c: { purpose: string }) => c.purpose)).toContain('PERSONAL_DATA');
    const notice = owner.notifications.edges.find((e: { node: { title: string } }) => e.node.title === 'For Aigerim').node;
    const read = await h.gql('mutation ($id: ID!) { markNotificationRead(id: $id) { read } }', { id: notice.id }, { token: nurlan });
    expect(read.data).toEqual({ markNotificationRead: { read: true } });
  });

  it('anybody else gets FORBIDDEN on every one of these fields, however the Subscriber is reached', async () => {
    const steppe = await h.token(STEPPE.msisdn);
    expect(code(await h.gql(`query ($m: PhoneNumber!) { subscriber(msisdn: $m) { id } }`, { m: AIGERIM.msisdn }, { token: steppe }))).toBe('FORBIDDEN');
    // Through an entity reference, as another subgraph's field would reach it.
    for (const field of ['consents { purpose }', 'consentHistory { purpose }', 'notifyBy', 'termsAcceptances { version }', 'notifications { edges { node { id } } }', 'activity { edges { node { id } } }']) {
      const result = await h.gql(`query ($r: [_Any!]!) { _entities(representations: $r) { ... on Subscriber { ${field} } } }`, { r: [{ __typename: 'Subscriber', id: AIGERIM.id }] }, { token: steppe });
      expect(code(result)).toBe('FORBIDDEN');
      expect(result.data!._entities).toEqual([null]);
    }
    // Staff have no business in a subscriber's cabinet either.
    const staff = await h.staffLogin('ADMIN');
    expect(code(await h.gql(ENTITIES, { r: [{ __typename: 'Subscriber', id: AIGERIM.id }] }, { token: staff }))).toBe('FORBIDDEN');
  });

  it('many managed numbers cost the same SQL statements as one (DataLoaders, no N+1)', async () => {
    await h.services.broadcasts.stop();
    await grant(NURLAN.id, NURLAN.msisdn, STEPPE.id, STEPPE.msisdn);
    await grant(NURLAN.id, NURLAN.msisdn, HOME.id, '+77000000005');
    const nurlan = await h.token(NURLAN.msisdn);
    const measure = async (ids: string[]) => {
      const before = h.runtime.database.counter.count;
      const result = await h.gql(ENTITIES, { r: ids.map((id) => ({ __typename: 'Subscriber', id })) }, { token: nurlan });
      expect(result.errors).toBeUndefined();
      expect(result.data!._entities).toHaveLength(ids.length);
      return h.runtime.database.counter.count - before;
    };
    await measure([AIGERIM.id]);
    const one = await measure([AIGERIM.id]);
    const two = await measure([AIGERIM.id, STEPPE.id]);
    const three = await measure([AIGERIM.id, STEPPE.id, HOME.id]);
    // A page for one number is one statement; for several, two (ranked ids, then rows) — never one per number.
    expect(three).toBe(two);
    expect(two).toBeLessThanOrEqual(one + 2);
  });
});
