import { randomUUID } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import { Clock, Database, demoSubscribers } from '@selfcare/shared';
import { ServiceConflictEntity, ServiceEntity, ServiceRuleEntity, ServiceVersionEntity, TariffPlanEntity, TariffPlanVersionEntity } from '../offers/entities';
import { ConnectedServiceEntity, SubscriberLineEntity, TariffPeriodEntity } from '../inventory/entities';
import { demoAcceptedTariffVersion, demoServices, demoTariffs, termsUrl } from './demo-offers';
import { raiseOfferGeneration } from '../offers/offer-cache';

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * The demo offer list alone (tariffs, services, rules, conflicts), without demo lines: what tests of the distributed
 * mode load in place of the operator's catalog. Never run by a service on its own: a distributed catalog holds only
 * what the operator published (terms 2.6), so a start with an empty catalog serves empty lists. Idempotent.
 */
export async function loadDemoOffers(database: Database, clock: Clock): Promise<void> {
  await database.transaction(async (manager) => {
    const now = clock.now();
    const tariffIds = await seedTariffs(manager, now);
    await seedServices(manager, now, tariffIds);
    // A running catalog (another process's) reads the offers again at its next request.
    await raiseOfferGeneration(manager);
  });
}

/**
 * Embedded default only (`seedDemoData`): the demo offers and the demo subscribers' tariffs and services.
 * Idempotent: inserts only what is missing, so it runs on every start; it never deletes or replaces a row, so a
 * database made by an older version (which loaded the demo offers at every start) keeps the lines that hold them.
 */
export async function seedCatalogDemo(database: Database, clock: Clock): Promise<void> {
  await database.transaction(async (manager) => {
    const now = clock.now();
    const tariffIds = await seedTariffs(manager, now);
    const serviceIds = await seedServices(manager, now, tariffIds);
    await raiseOfferGeneration(manager);
    await seedLines(manager, now, serviceIds);
  });
}

async function seedTariffs(manager: EntityManager, now: Date): Promise<Map<string, string>> {
  const ids = new Map<string, string>();
  for (const demo of demoTariffs) {
    let tariff = await manager.findOne(TariffPlanEntity, { where: { code: demo.code } });
    if (!tariff) {
      tariff = manager.create(TariffPlanEntity, {
        id: randomUUID(),
        code: demo.code,
        kind: demo.kind,
        partyType: demo.partyType,
        name: demo.name,
        description: demo.description,
        active: true,
        obsoleteAt: null,
        sortOrder: demo.sortOrder,
        currentVersionId: null,
        createdAt: now,
        updatedAt: now,
      });
      await manager.insert(TariffPlanEntity, tariff);
    }
    ids.set(demo.code, tariff.id);
    let latest: string | null = null;
    for (const version of demo.versions) {
      const existing = await manager.findOne(TariffPlanVersionEntity, { where: { tariffPlanId: tariff.id, termsVersion: version.termsVersion } });
      latest = existing?.id ?? randomUUID();
      // Demo versions stored before rates existed get the demo's rates (what is missing is inserted, nothing changed).
      if (existing && !existing.rates) await manager.update(TariffPlanVersionEntity, { id: existing.id }, { rates: demo.rates });
      if (!existing) {
        await manager.insert(TariffPlanVersionEntity, {
          id: latest,
          tariffPlanId: tariff.id,
          termsVersion: version.termsVersion,
          termsUrl: termsUrl('tariffs', demo.code, version.termsVersion),
          monthlyFeeMinor: version.monthlyFeeMinor,
          switchFeeMinor: version.switchFeeMinor,
          allowances: version.allowances,
          rates: demo.rates,
          effectiveFrom: new Date(version.effectiveFrom),
          createdAt: now,
        });
      }
    }
    if (!tariff.currentVersionId && latest) await manager.update(TariffPlanEntity, { id: tariff.id }, { currentVersionId: latest, updatedAt: now });
  }
  return ids;
}

async function seedServices(manager: EntityManager, now: Date, tariffIds: Map<string, string>): Promise<Map<string, { serviceId: string; versionId: string }>> {
  const ids = new Map<string, { serviceId: string; versionId: string }>();
  for (const demo of demoServices) {
    let service = await manager.findOne(ServiceEntity, { where: { code: demo.code } });
    const created = !service;
    if (!service) {
      service = manager.create(ServiceEntity, {
        id: randomUUID(),
        code: demo.code,
        category: demo.category,
        name: demo.name,
        description: demo.description,
        active: true,
        obsoleteAt: null,
        sortOrder: demo.sortOrder,
        currentVersionId: null,
        createdAt: now,
        updatedAt: now,
      });
      await manager.insert(ServiceEntity, service);
    }
    let latest: string | null = null;
    for (const version of demo.versions) {
      const existing = await manager.findOne(ServiceVersionEntity, { where: { serviceId: service.id, termsVersion: version.termsVersion } });
      latest = existing?.id ?? randomUUID();
      if (!existing) {
        await manager.insert(ServiceVersionEntity, {
          id: latest,
          serviceId: service.id,
          termsVersion: version.termsVersion,
          termsUrl: termsUrl('services', demo.code, version.termsVersion),
          connectionFeeMinor: version.connectionFeeMinor,
          monthlyFeeMinor: version.monthlyFeeMinor,
          effectiveFrom: new Date(version.effectiveFrom),
          createdAt: now,
        });
      }
    }
    if (!service.currentVersionId && latest) await manager.update(ServiceEntity, { id: service.id }, { currentVersionId: latest, updatedAt: now });
    ids.set(demo.code, { serviceId: service.id, versionId: service.currentVersionId ?? latest! });
    // Rules belong to the service as first published; the operator edits them afterwards (terms 2.6).
    if (created) {
      for (const rule of demo.rules) {
        const tariffs = rule.tariffCodes?.map((code) => tariffIds.get(code)!) ?? [null];
        for (const tariffPlanId of tariffs) {
          await manager.insert(ServiceRuleEntity, { id: randomUUID(), serviceId: service.id, subscriberKind: rule.kind, tariffPlanId, createdAt: now });
        }
      }
    }
  }
  for (const demo of demoServices) {
    for (const other of demo.conflictsWith ?? []) {
      const serviceId = ids.get(demo.code)!.serviceId;
      const conflictingServiceId = ids.get(other)!.serviceId;
      const known = await manager.findOne(ServiceConflictEntity, { where: [{ serviceId, conflictingServiceId }, { serviceId: conflictingServiceId, conflictingServiceId: serviceId }] });
      if (!known) await manager.insert(ServiceConflictEntity, { serviceId, conflictingServiceId, createdAt: now });
    }
  }
  return ids;
}

async function seedLines(manager: EntityManager, now: Date, services: Map<string, { serviceId: string; versionId: string }>): Promise<void> {
  for (const demo of demoSubscribers) {
    if (await manager.findOne(SubscriberLineEntity, { where: { subscriberId: demo.id } })) continue;
    const tariff = await manager.findOneOrFail(TariffPlanEntity, { where: { code: demo.tariffCode } });
    const acceptedLabel = demoAcceptedTariffVersion[demo.id];
    const accepted = acceptedLabel ? await manager.findOne(TariffPlanVersionEntity, { where: { tariffPlanId: tariff.id, termsVersion: acceptedLabel } }) : null;
    const tariffSince = new Date(now.getTime() - 120 * DAY_MS);
    const tariffVersionId = accepted?.id ?? tariff.currentVersionId!;
    await manager.insert(SubscriberLineEntity, {
      subscriberId: demo.id,
      kind: demo.kind,
      partyType: demo.partyType,
      tariffPlanId: tariff.id,
      tariffVersionId,
      tariffSince,
      accessStatus: 'ACTIVE',
      terminatedAt: null,
      createdAt: now,
      updatedAt: now,
    });
    await manager.insert(TariffPeriodEntity, { id: randomUUID(), subscriberId: demo.id, tariffPlanId: tariff.id, tariffVersionId, startsAt: tariffSince, endsAt: null, orderId: null });
    for (const code of demo.serviceCodes) {
      const service = services.get(code);
      if (!service) throw new Error(`demo subscriber ${demo.login} names unknown service ${code}`);
      await manager.insert(ConnectedServiceEntity, {
        id: randomUUID(),
        subscriberId: demo.id,
        serviceId: service.serviceId,
        serviceVersionId: service.versionId,
        connectedAt: new Date(now.getTime() - 60 * DAY_MS),
        disconnectedAt: null,
        orderId: null,
      });
    }
  }
}
