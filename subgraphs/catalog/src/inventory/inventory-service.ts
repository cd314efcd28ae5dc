import { randomUUID } from 'node:crypto';
import DataLoader from 'dataloader';
import { In, IsNull } from 'typeorm';
import type { EntityManager } from 'typeorm';
import { AccessPolicy, Clock, Database, GraphQLContext, Logger, Money, SubscriberProvisioned, byKeys, groupByKeys } from '@selfcare/shared';
import { TariffPlanEntity } from '../offers/entities';
import { OfferService, availableFor } from '../offers/offer-service';
import { Service, TariffPlan, toService, toTariffPlan } from '../offers/types';
import { AccessStatusValue, ConnectedServiceEntity, SubscriberLineEntity, TariffPeriodEntity } from './entities';
import { ConnectedService } from './types';

/**
 * Each line's products: its tariff and connected services, and what it may still connect (terms 2.1).
 * Every read is authorized per number (terms 2.5): own number or one whose management was handed over (terms 4.3).
 */
export class InventoryService {
  constructor(
    private readonly database: Database,
    private readonly accessPolicy: AccessPolicy,
    private readonly offers: OfferService,
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {}

  async tariffOf(ctx: GraphQLContext, subscriberId: string): Promise<TariffPlan | null> {
    const row = await this.accessPolicy.whenMayManage(ctx, subscriberId, async () => {
      const line = await this.lineLoader(ctx).load(subscriberId);
      return line ? this.offers.tariff(ctx, line.tariffPlanId) : null;
    });
    return row?.currentVersion ? toTariffPlan(row, ctx.language) : null;
  }

  async connectedServicesOf(ctx: GraphQLContext, subscriberId: string): Promise<ConnectedService[]> {
    const rows = await this.accessPolicy.whenMayManage(ctx, subscriberId, async () => {
      const connected = await this.connectedLoader(ctx).load(subscriberId);
      const [services, versions] = await Promise.all([
        Promise.all(connected.map((c) => this.offers.service(ctx, c.serviceId))),
        Promise.all(connected.map((c) => this.offers.serviceVersion(ctx, c.serviceVersionId))),
      ]);
      return connected.map((c, i) => ({ connected: c, service: services[i], version: versions[i] }));
    });
    const result: { sortOrder: number; item: ConnectedService }[] = [];
    for (const { connected, service, version } of rows) {
      if (!service?.currentVersion || !version) continue;
      result.push({
        sortOrder: service.sortOrder,
        item: Object.assign(new ConnectedService(), {
          service: toService(service, ctx.language),
          connectedAt: connected.connectedAt,
          acceptedTermsVersion: version.termsVersion,
          acceptedPrice: Money.fromMinor(version.monthlyFeeMinor),
        }),
      });
    }
    // Oldest first; services connected together show in catalog order.
    result.sort((a, b) => a.item.connectedAt.getTime() - b.item.connectedAt.getTime() || a.sortOrder - b.sortOrder);
    return result.map((r) => r.item);
  }

  async availableServicesOf(ctx: GraphQLContext, subscriberId: string): Promise<Service[]> {
    const { line, connected, snapshot } = await this.accessPolicy.whenMayManage(ctx, subscriberId, async () => {
      const [line, connected, snapshot] = await Promise.all([
        this.lineLoader(ctx).load(subscriberId),
        this.connectedLoader(ctx).load(subscriberId),
        this.offers.snapshot(ctx),
      ]);
      return { line, connected, snapshot };
    });
    // A line the catalog has not heard of yet (provisioning still in flight) can connect nothing.
    if (!line) return [];
    return availableFor(snapshot, line, new Set(connected.map((c) => c.serviceId))).map((s) => toService(s, ctx.language));
  }

  /**
   * A new line gets its tariff (SubscriberProvisioned from identity). The tariff named in the event, or the
   * first one on sale for the line's kind when that code is unknown. A line already known is left alone.
   */
  async provision(manager: EntityManager, event: SubscriberProvisioned): Promise<SubscriberLineEntity | null> {
    const existing = await manager.findOne(SubscriberLineEntity, { where: { subscriberId: event.subscriberId } });
    if (existing) return existing;
    let tariff = event.tariffCode
      ? await manager.findOne(TariffPlanEntity, { where: { code: event.tariffCode, kind: event.kind }, relations: { currentVersion: true } })
      : null;
    if (!tariff?.currentVersion) {
      if (event.tariffCode) this.logger.warn({ tariffCode: event.tariffCode, kind: event.kind }, 'unknown tariff in SubscriberProvisioned; the default tariff is given');
      tariff = await manager.findOne(TariffPlanEntity, {
        where: { kind: event.kind, active: true },
        relations: { currentVersion: true },
        order: { sortOrder: 'ASC', code: 'ASC' },
      });
    }
    if (!tariff?.currentVersion) {
      // Nothing on sale for this kind: a configuration problem, retried until the catalog has a tariff.
      throw new Error(`no tariff on sale for ${event.kind} lines`);
    }
    const now = this.clock.now();
    const line = manager.create(SubscriberLineEntity, {
      subscriberId: event.subscriberId,
      kind: event.kind,
      partyType: event.partyType,
      tariffPlanId: tariff.id,
      tariffVersionId: tariff.currentVersion.id,
      tariffSince: now,
      accessStatus: 'ACTIVE',
      terminatedAt: null,
      createdAt: now,
      updatedAt: now,
    });
    await manager.insert(SubscriberLineEntity, line);
    await manager.insert(TariffPeriodEntity, {
      id: randomUUID(),
      subscriberId: line.subscriberId,
      tariffPlanId: tariff.id,
      tariffVersionId: tariff.currentVersion.id,
      startsAt: now,
      endsAt: null,
      orderId: null,
    });
    return line;
  }

  /** identity's AccessStatusChanged: orders need the line ACTIVE (terms 3.3); no fees for the days after the contract ended. */
  async accessChanged(manager: EntityManager, change: { subscriberId: string; status: AccessStatusValue; changedAt: string }): Promise<void> {
    await manager.update(
      SubscriberLineEntity,
      { subscriberId: change.subscriberId },
      { accessStatus: change.status, ...(change.status === 'TERMINATED' ? { terminatedAt: new Date(change.changedAt) } : {}), updatedAt: this.clock.now() },
    );
  }

  private lineLoader(ctx: GraphQLContext): DataLoader<string, SubscriberLineEntity | null> {
    return ctx.loaders.get('catalog.lineBySubscriber', () =>
      new DataLoader<string, SubscriberLineEntity | null>(async (ids) => {
        const rows = await this.database.manager.find(SubscriberLineEntity, { where: { subscriberId: In([...ids]) } });
        return byKeys(ids, rows, (row) => row.subscriberId);
      }),
    );
  }

  private connectedLoader(ctx: GraphQLContext): DataLoader<string, ConnectedServiceEntity[]> {
    return ctx.loaders.get('catalog.connectedBySubscriber', () =>
      new DataLoader<string, ConnectedServiceEntity[]>(async (ids) => {
        const rows = await this.database.manager.find(ConnectedServiceEntity, {
          where: { subscriberId: In([...ids]), disconnectedAt: IsNull() },
          order: { connectedAt: 'ASC', id: 'ASC' },
        });
        return groupByKeys(ids, rows, (row) => row.subscriberId);
      }),
    );
  }
}
