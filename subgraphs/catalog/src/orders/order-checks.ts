import { In, IsNull } from 'typeorm';
import type { EntityManager } from 'typeorm';
import { Texts } from '@selfcare/shared';
import { ServiceConflictEntity, ServiceEntity, ServiceRuleEntity, ServiceVersionEntity, TariffPlanEntity } from '../offers/entities';
import { ConnectedServiceEntity, SubscriberLineEntity } from '../inventory/entities';
import type { OfferKindValue } from '../offers/admin-entities';
import type { OrderKindValue } from './entities';
import type { Refusal } from './refusals';

export interface OrderRequest {
  kind: OrderKindValue;
  subscriberId: string;
  code: string;
  /** null for a disconnection (the contract takes none) */
  acceptedTermsVersion: string | null;
  idempotencyKey: string;
}

/** What an accepted order is about: the offer, its version, what it costs. */
export interface OrderTerms {
  offerKind: OfferKindValue;
  offerId: string;
  offerCode: string;
  versionId: string;
  acceptedTermsVersion: string;
  acceptedPriceMinor: number;
  feeMinor: number;
  previousTariffPlanId: string | null;
  name: Texts;
}

export type Verdict =
  | { accepted: OrderTerms }
  | { refused: Refusal; offerKind: OfferKindValue; offerId: string | null; versionId: string | null; acceptedTermsVersion: string; name: Texts | null };

const offerKindOf = (kind: OrderKindValue): OfferKindValue => (kind === 'CHANGE_TARIFF' ? 'TARIFF' : 'SERVICE');

/** A rule lets the service on this kind of line with this tariff (any tariff when the rule names none). */
function allowed(rules: readonly ServiceRuleEntity[], kind: string, tariffPlanId: string): boolean {
  return rules.some((rule) => rule.subscriberKind === kind && (rule.tariffPlanId === null || rule.tariffPlanId === tariffPlanId));
}

/**
 * The checks of an order against the line and the catalog (terms 2.1, 2.2, 3.3), in the order a subscriber would
 * want to hear them: the line and its access, the offer on sale, whether it fits the line, whether it changes
 * anything, the terms accepted. `apply` re-checks, under the line's lock, only what another order or the operator may
 * have changed since acceptance (connections, tariff, an offer made obsolete) — the charge is refunded if one fails.
 */
export async function evaluateOrder(manager: EntityManager, request: OrderRequest, line: SubscriberLineEntity | null, phase: 'accept' | 'apply'): Promise<Verdict> {
  const offerKind = offerKindOf(request.kind);
  const refuse = (refusal: Refusal, offer: { id: string; versionId: string | null; name: Texts } | null = null, acceptedTermsVersion = request.acceptedTermsVersion ?? ''): Verdict => ({
    refused: refusal,
    offerKind,
    offerId: offer?.id ?? null,
    versionId: offer?.versionId ?? null,
    acceptedTermsVersion,
    name: offer?.name ?? null,
  });
  if (!line) return refuse({ key: 'LINE_UNKNOWN' });
  if (phase === 'accept' && line.accessStatus !== 'ACTIVE') return refuse({ key: `ACCESS_${line.accessStatus}` as Refusal['key'] });

  const connected = await manager.find(ConnectedServiceEntity, { where: { subscriberId: line.subscriberId, disconnectedAt: IsNull() } });
  const currentTariff = await manager.findOne(TariffPlanEntity, { where: { id: line.tariffPlanId } });

  if (request.kind === 'CHANGE_TARIFF') {
    const tariff = await manager.findOne(TariffPlanEntity, { where: { code: request.code }, relations: { currentVersion: true } });
    const version = tariff?.currentVersion ?? null;
    const sold = phase === 'accept' ? tariff?.active && !tariff.obsoleteAt : !tariff?.obsoleteAt;
    if (!tariff || !version || !sold) return refuse({ key: 'TARIFF_NOT_SOLD', params: { code: request.code } }, tariff && version ? { id: tariff.id, versionId: version.id, name: tariff.name } : null);
    const offer = { id: tariff.id, versionId: version.id, name: tariff.name };
    const params = () => ({ name: tariff.name });
    if (tariff.kind !== line.kind) return refuse({ key: 'TARIFF_NOT_FOR_KIND', params: params() }, offer);
    if (tariff.partyType && tariff.partyType !== line.partyType) return refuse({ key: 'TARIFF_NOT_FOR_PARTY', params: params() }, offer);
    if (tariff.id === line.tariffPlanId) return refuse({ key: 'SAME_TARIFF', params: params() }, offer);
    if (connected.length) {
      const serviceIds = connected.map((c) => c.serviceId);
      const [services, rules] = await Promise.all([
        manager.find(ServiceEntity, { where: { id: In(serviceIds) }, order: { sortOrder: 'ASC', code: 'ASC' } }),
        manager.find(ServiceRuleEntity, { where: { serviceId: In(serviceIds) } }),
      ]);
      const misfit = services.find((service) => !allowed(rules.filter((r) => r.serviceId === service.id), line.kind, tariff.id));
      if (misfit) {
        return refuse({ key: 'CONNECTED_SERVICE_NOT_WITH_TARIFF', params: { name: tariff.name, other: misfit.name }, extensions: { conflictingServiceCode: misfit.code } }, offer);
      }
    }
    if (phase === 'accept' && request.acceptedTermsVersion !== version.termsVersion) {
      return refuse({ key: 'TERMS_NOT_CURRENT', params: { name: tariff.name, current: version.termsVersion }, extensions: { currentTermsVersion: version.termsVersion, termsUrl: version.termsUrl } }, offer);
    }
    return {
      accepted: {
        offerKind,
        offerId: tariff.id,
        offerCode: tariff.code,
        versionId: version.id,
        acceptedTermsVersion: version.termsVersion,
        acceptedPriceMinor: version.monthlyFeeMinor,
        feeMinor: version.switchFeeMinor,
        previousTariffPlanId: line.tariffPlanId,
        name: tariff.name,
      },
    };
  }

  const service = await manager.findOne(ServiceEntity, { where: { code: request.code }, relations: { currentVersion: true } });
  if (request.kind === 'DISCONNECT_SERVICE') {
    if (!service) return refuse({ key: 'SERVICE_UNKNOWN', params: { code: request.code } });
    const connection = connected.find((c) => c.serviceId === service.id);
    if (!connection) return refuse({ key: 'NOT_CONNECTED', params: { name: service.name } }, { id: service.id, versionId: null, name: service.name });
    const version = await manager.findOne(ServiceVersionEntity, { where: { id: connection.serviceVersionId } });
    return {
      accepted: {
        offerKind,
        offerId: service.id,
        offerCode: service.code,
        versionId: connection.serviceVersionId,
        // terms 2.2: the terms and price the service ran under
        acceptedTermsVersion: version?.termsVersion ?? '',
        acceptedPriceMinor: version?.monthlyFeeMinor ?? 0,
        feeMinor: 0,
        previousTariffPlanId: null,
        name: service.name,
      },
    };
  }

  const version = service?.currentVersion ?? null;
  const sold = phase === 'accept' ? service?.active && !service.obsoleteAt : !service?.obsoleteAt;
  if (!service || !version || !sold) return refuse({ key: 'SERVICE_NOT_SOLD', params: { code: request.code } }, service && version ? { id: service.id, versionId: version.id, name: service.name } : null);
  const offer = { id: service.id, versionId: version.id, name: service.name };
  const rules = await manager.find(ServiceRuleEntity, { where: { serviceId: service.id } });
  if (!rules.some((rule) => rule.subscriberKind === line.kind)) return refuse({ key: 'SERVICE_NOT_FOR_KIND', params: { name: service.name } }, offer);
  if (!allowed(rules, line.kind, line.tariffPlanId)) {
    return refuse({ key: 'SERVICE_NOT_WITH_TARIFF', params: { name: service.name, tariff: currentTariff?.name ?? line.tariffPlanId }, extensions: { tariffCode: currentTariff?.code ?? '' } }, offer);
  }
  if (connected.some((c) => c.serviceId === service.id)) return refuse({ key: 'ALREADY_CONNECTED', params: { name: service.name } }, offer);
  if (connected.length) {
    const conflicts = await manager.find(ServiceConflictEntity, {
      where: [
        { serviceId: service.id, conflictingServiceId: In(connected.map((c) => c.serviceId)) },
        { conflictingServiceId: service.id, serviceId: In(connected.map((c) => c.serviceId)) },
      ],
    });
    if (conflicts.length) {
      const otherId = conflicts[0]!.serviceId === service.id ? conflicts[0]!.conflictingServiceId : conflicts[0]!.serviceId;
      const other = await manager.findOne(ServiceEntity, { where: { id: otherId } });
      return refuse({ key: 'SERVICE_EXCLUDES', params: { name: service.name, other: other?.name ?? otherId }, extensions: { conflictingServiceCode: other?.code ?? otherId } }, offer);
    }
  }
  if (phase === 'accept' && request.acceptedTermsVersion !== version.termsVersion) {
    return refuse({ key: 'TERMS_NOT_CURRENT', params: { name: service.name, current: version.termsVersion }, extensions: { currentTermsVersion: version.termsVersion, termsUrl: version.termsUrl } }, offer);
  }
  return {
    accepted: {
      offerKind,
      offerId: service.id,
      offerCode: service.code,
      versionId: version.id,
      acceptedTermsVersion: version.termsVersion,
      acceptedPriceMinor: version.monthlyFeeMinor,
      feeMinor: version.connectionFeeMinor,
      previousTariffPlanId: null,
      name: service.name,
    },
  };
}
