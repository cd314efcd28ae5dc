// Bench data of bench/cabinet.js: subscribers added to the embedded default's demo base (each subgraph's demo seed
// then writes its own part of them: identity's subscriber, catalog's line and services, billing's account and
// ledger, detailing's thirty days of usage), managers with ACTIVE grants written straight into delegation's table,
// and access tokens minted with identity's key (no login per connection).
'use strict';
const { randomUUID } = require('node:crypto');
const { demoSubscribers, signJwt } = require('../../shared/dist');

const TARIFFS = ['BEELINE_S', 'BEELINE_M', 'BEELINE_L'];
const id = (group, n) => `be0c0000-${group}-4000-8000-${String(n).padStart(12, '0')}`;

function subscriber(group, n, msisdnPrefix, extra = {}) {
  return {
    id: id(group, n),
    kind: 'MOBILE',
    partyType: 'INDIVIDUAL',
    msisdn: `+7${msisdnPrefix}${String(n).padStart(4, '0')}`,
    login: `+7${msisdnPrefix}${String(n).padStart(4, '0')}`,
    language: 'RU',
    email: null,
    password: null, // not registered: no KDF at seed time; the bench mints tokens
    tariffCode: TARIFFS[n % TARIFFS.length],
    serviceCodes: n % 2 ? ['CALLER_ID'] : ['ROAMING_PLUS', 'CALLER_ID'],
    balanceMinor: 100_000 + n * 137,
    accountNumber: `KZ-7${group}${String(n).padStart(5, '0')}`,
    ...extra,
  };
}

/**
 * readers: the home-screen and detailing clients (one per connection); owners: numbers others manage; managers[k]:
 * a subscriber managing the first k owners; writers: the mutation mix's clients (their balance and tariff change,
 * so they are nobody's read scenario).
 */
function cabinetPopulation({ readers = 20, owners = 100, managerSizes = [1, 10, 100], writers = 10 } = {}) {
  const population = {
    readers: Array.from({ length: readers }, (_, n) => subscriber('0001', n, '70010')),
    owners: Array.from({ length: owners }, (_, n) => subscriber('0002', n, '70020')),
    managers: Object.fromEntries(managerSizes.map((size, n) => [size, subscriber('0003', n, '70030')])),
    writers: Array.from({ length: writers }, (_, n) => subscriber('0004', n, '70040', { tariffCode: 'BEELINE_S', balanceMinor: 10_000_000 })),
  };
  return population;
}

/** Adds the population to the demo base; call before the system starts (the seeds read the list then). */
function addToDemoBase(population) {
  const known = new Set(demoSubscribers.map((s) => s.id));
  for (const s of [...population.readers, ...population.owners, ...Object.values(population.managers), ...population.writers]) {
    if (!known.has(s.id)) demoSubscribers.push(s);
  }
}

/** ACTIVE grants (terms 5.6.7 done) of every manager over its first k owners, straight into delegation's table. */
async function seedGrants(delegationDatabase, population) {
  const { ManagementRequestEntity, ManagementStatus } = require('../../subgraphs/delegation/dist');
  const now = new Date();
  await delegationDatabase.transaction(async (manager) => {
    for (const [size, requester] of Object.entries(population.managers)) {
      for (const owner of population.owners.slice(0, Number(size))) {
        await manager.insert(ManagementRequestEntity, {
          id: randomUUID(),
          status: ManagementStatus.ACTIVE,
          requesterId: requester.id,
          requesterMsisdn: requester.msisdn,
          ownerMsisdn: owner.msisdn,
          ownerId: owner.id,
          channel: 'WEB',
          offerVersion: null,
          ownerLanguage: 'RU',
          requesterLanguage: 'RU',
          openKey: `${requester.id}:${owner.msisdn}`,
          confirmationFailures: 0,
          confirmedAt: now,
          confirmedVia: 'CABINET',
          activatedAt: now,
          createdAt: now,
          updatedAt: now,
        });
      }
    }
  });
}

/** An access token as identity issues it (own session id), valid for `ttlSeconds` (the bench outlives 15 minutes). */
function accessToken(key, subscriberId, ttlSeconds = 4 * 3600) {
  const nowMs = Date.now();
  const iat = Math.floor(nowMs / 1000);
  return signJwt({ iss: 'selfcare-identity', sub: subscriberId, sid: randomUUID(), act: 'subscriber', ch: 'WEB', iat, iatms: nowMs, exp: iat + ttlSeconds, typ: 'access' }, key);
}

module.exports = { cabinetPopulation, addToDemoBase, seedGrants, accessToken };
