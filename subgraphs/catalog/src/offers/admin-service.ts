import { randomUUID } from 'node:crypto';
import { In, IsNull } from 'typeorm';
import type { EntityManager } from 'typeorm';
import {
  Clock,
  Database,
  ErrorCode,
  StaffCaller,
  TariffRates,
  Texts,
  badInput,
  formatMinorUnits,
  parseAmount,
  tariffRates,
} from '@selfcare/shared';
import { CatalogError } from '../errors';
import { ServiceConflictEntity, ServiceEntity, ServiceRuleEntity, ServiceVersionEntity, SubscriberKindValue, TariffPlanEntity, TariffPlanVersionEntity } from './entities';
import { CatalogChangeEntity, HolderJobKind, OfferHolderJobEntity, OfferKindValue } from './admin-entities';
import { raiseOfferGeneration } from './offer-cache';
import type { LocalizedTextInput, NewServiceInput, NewTariffInput, ServiceAvailabilityInput, ServiceVersionInput, TariffVersionInput, UsageRatesInput } from './admin-types';

const CODE = /^[A-Z][A-Z0-9_]{1,39}$/;
const TERMS_VERSION = /^[\w.-]{1,40}$/;
/** A staff member may date a version a little in the past (clock skew of their client), never back-date it. */
const SKEW_MS = 60_000;
const MAX_AHEAD_MS = 400 * 24 * 3600_000;
/** 100 000 000 KZT: far above any real fee, far below the safe-integer range. */
const MAX_FEE_MINOR = 10_000_000_000;
const MAX_ALLOWANCE = 100_000_000;

const notFound = (what: 'tariff' | 'service', code: string, field = 'code') =>
  new CatalogError(ErrorCode.NOT_FOUND, {
    field,
    texts: what === 'tariff' ? { KK: '{code} тарифі жоқ', RU: 'Тарифа {code} нет', EN: 'There is no tariff {code}' } : { KK: '{code} қызметі жоқ', RU: 'Услуги {code} нет', EN: 'There is no service {code}' },
    params: { code: code.slice(0, 40) },
  });

const conflict = (texts: Texts, params: Record<string, string> = {}) => new CatalogError(ErrorCode.CONFLICT, { texts, params });

function texts(input: LocalizedTextInput, field: string, max: number): Texts {
  const value = { KK: input.kk.trim(), RU: input.ru.trim(), EN: input.en.trim() };
  for (const text of Object.values(value)) {
    if (text.length === 0 || text.length > max) throw badInput(field, { KK: `Мәтін 1–${max} таңба`, RU: `Текст — от 1 до ${max} символов на каждом языке`, EN: `A text of 1 to ${max} characters in each language` });
  }
  return value;
}

function code(value: string, field: string): string {
  if (!CODE.test(value)) throw badInput(field, { KK: 'Код: A–Z, 0–9, _ (2–40)', RU: 'Код: A–Z, 0–9, _ (от 2 до 40)', EN: 'A code is A–Z, 0–9 and _ (2 to 40)' });
  return value;
}

function fee(value: string, field: string): number {
  const minor = parseAmount(value);
  if (minor === null || minor < 0 || minor > MAX_FEE_MINOR) throw badInput(field, { KK: 'Сома: 0 немесе оң, екі таңбаға дейін', RU: 'Сумма: 0 или больше, до двух знаков после точки', EN: 'An amount of 0 or more with up to two decimals' });
  return minor;
}

function rates(input: { callPerMinute: string; sms: string; dataPerMb: string }, field: string) {
  return { callPerMinuteMinor: fee(input.callPerMinute, field), smsMinor: fee(input.sms, field), dataPerMbMinor: fee(input.dataPerMb, field) };
}

function termsOf(termsVersion: string, termsUrl: string): { termsVersion: string; termsUrl: string } {
  if (!TERMS_VERSION.test(termsVersion)) throw badInput('termsVersion', { KK: 'Нұсқа: әріп, сан, . - _ (1–40)', RU: 'Версия: буквы, цифры, . - _ (до 40)', EN: 'A version of letters, digits, . - _ (up to 40)' });
  let url: URL | null;
  try {
    url = new URL(termsUrl);
  } catch {
    url = null;
  }
  if (!url || url.protocol !== 'https:' || termsUrl.length > 255) throw badInput('termsUrl', { KK: 'https:// сілтемесі (255 таңбаға дейін)', RU: 'Ссылка https:// (до 255 символов)', EN: 'An https:// link of up to 255 characters' });
  return { termsVersion, termsUrl };
}

export interface StaffActor {
  staffId: string;
  role: string;
}

/**
 * The operator's catalog (terms 2.6): staff create tariffs and services, publish new versions (price, terms version
 * and link, allowances, rates, compatibility), retire offers (no longer sold; holders keep them at their price) and
 * make them obsolete (holders moved off). Every change is in the catalog's change log with the staff member; a change
 * that reaches holders is carried to each of them by a holder job (notice per notifyBy, terms 2.8; activity entry, terms 2.4).
 */
export class CatalogAdminService {
  constructor(
    private readonly database: Database,
    private readonly clock: Clock,
    private readonly pokeJobs: () => void,
  ) {}

  async createTariff(staff: StaffCaller, input: NewTariffInput): Promise<TariffPlanEntity> {
    const tariffCode = code(input.code, 'code');
    const name = texts(input.name, 'name', 100);
    const description = texts(input.description, 'description', 500);
    const result = await this.database.transaction(async (manager) => {
      if (await manager.exists(TariffPlanEntity, { where: { code: tariffCode } })) throw conflict({ KK: '{code} тарифі бар', RU: 'Тариф {code} уже есть', EN: 'The tariff {code} exists already' }, { code: tariffCode });
      const now = this.clock.now();
      const plan = manager.create(TariffPlanEntity, {
        id: randomUUID(),
        code: tariffCode,
        kind: input.kind,
        partyType: input.partyType ?? null,
        name,
        description,
        active: true,
        obsoleteAt: null,
        sortOrder: sortOrder(input.sortOrder),
        currentVersionId: null,
        createdAt: now,
        updatedAt: now,
      });
      await manager.insert(TariffPlanEntity, plan);
      const version = await this.insertTariffVersion(manager, plan, input.version, now);
      await this.record(manager, staff, 'TARIFF', plan, 'TARIFF_CREATED', `Created the ${plan.kind} tariff ${plan.code} "${name.EN}" with terms ${version.termsVersion}: ${describeTariffVersion(version)}`);
      return plan.id;
    });
    return this.tariff(result);
  }

  async publishTariffVersion(staff: StaffCaller, tariffCode: string, input: TariffVersionInput): Promise<TariffPlanEntity> {
    const id = await this.database.transaction(async (manager) => {
      const plan = await manager.findOne(TariffPlanEntity, { where: { code: tariffCode }, lock: this.database.lockMode });
      if (!plan) throw notFound('tariff', tariffCode);
      if (plan.obsoleteAt) throw conflict({ KK: 'Тариф ескірген', RU: 'Тариф выведен из обращения', EN: 'The tariff is obsolete' });
      const now = this.clock.now();
      const version = await this.insertTariffVersion(manager, plan, input, now);
      await this.record(manager, staff, 'TARIFF', plan, 'TARIFF_VERSION_PUBLISHED', `Published terms ${version.termsVersion} of ${plan.code}, in force for its lines from ${version.effectiveFrom.toISOString()}: ${describeTariffVersion(version)}`);
      await this.job(manager, staff, 'NOTIFY_NEW_VERSION', 'TARIFF', plan.id, version.id, null, now);
      return plan.id;
    });
    this.pokeJobs();
    return this.tariff(id);
  }

  async retireTariff(staff: StaffCaller, tariffCode: string): Promise<TariffPlanEntity> {
    const id = await this.database.transaction(async (manager) => {
      const plan = await manager.findOne(TariffPlanEntity, { where: { code: tariffCode }, lock: this.database.lockMode });
      if (!plan) throw notFound('tariff', tariffCode);
      if (!plan.active) throw conflict({ KK: 'Тариф сатылымда жоқ', RU: 'Тариф уже не продаётся', EN: 'The tariff is not on sale already' });
      await manager.update(TariffPlanEntity, { id: plan.id }, { active: false, updatedAt: this.clock.now() });
      await this.record(manager, staff, 'TARIFF', plan, 'TARIFF_RETIRED', `Retired ${plan.code}: no longer sold; its lines keep it at its price`);
      return plan.id;
    });
    return this.tariff(id);
  }

  async makeTariffObsolete(staff: StaffCaller, tariffCode: string, replacementCode: string): Promise<TariffPlanEntity> {
    const id = await this.database.transaction(async (manager) => {
      const plan = await manager.findOne(TariffPlanEntity, { where: { code: tariffCode }, lock: this.database.lockMode });
      if (!plan) throw notFound('tariff', tariffCode);
      if (plan.obsoleteAt) throw conflict({ KK: 'Тариф ескірген', RU: 'Тариф уже выведен из обращения', EN: 'The tariff is obsolete already' });
      const replacement = await manager.findOne(TariffPlanEntity, { where: { code: replacementCode }, relations: { currentVersion: true } });
      if (!replacement || !replacement.active || replacement.obsoleteAt || !replacement.currentVersion) throw notFound('tariff', replacementCode, 'replacementCode');
      if (replacement.id === plan.id || replacement.kind !== plan.kind || (replacement.partyType !== null && replacement.partyType !== plan.partyType)) {
        throw badInput('replacementCode', { KK: 'Ауыстыратын тариф сол желі түріне арналуы керек', RU: 'Замена должна быть другим тарифом для того же вида связи и абонентов', EN: 'The replacement must be another tariff for the same kind of line and subscriber' });
      }
      const now = this.clock.now();
      await manager.update(TariffPlanEntity, { id: plan.id }, { active: false, obsoleteAt: now, updatedAt: now });
      await this.record(manager, staff, 'TARIFF', plan, 'TARIFF_MADE_OBSOLETE', `Made ${plan.code} obsolete; its lines move to ${replacement.code} without a switch fee`);
      await this.job(manager, staff, 'MIGRATE_TARIFF', 'TARIFF', plan.id, replacement.currentVersion.id, replacement.id, now);
      return plan.id;
    });
    this.pokeJobs();
    return this.tariff(id);
  }

  async createService(staff: StaffCaller, input: NewServiceInput): Promise<ServiceEntity> {
    const serviceCode = code(input.code, 'code');
    const category = code(input.category, 'category');
    const name = texts(input.name, 'name', 100);
    const description = texts(input.description, 'description', 500);
    const id = await this.database.transaction(async (manager) => {
      if (await manager.exists(ServiceEntity, { where: { code: serviceCode } })) throw conflict({ KK: '{code} қызметі бар', RU: 'Услуга {code} уже есть', EN: 'The service {code} exists already' }, { code: serviceCode });
      const now = this.clock.now();
      const service = manager.create(ServiceEntity, {
        id: randomUUID(),
        code: serviceCode,
        category,
        name,
        description,
        active: true,
        obsoleteAt: null,
        sortOrder: sortOrder(input.sortOrder),
        currentVersionId: null,
        createdAt: now,
        updatedAt: now,
      });
      await manager.insert(ServiceEntity, service);
      const version = await this.insertServiceVersion(manager, service, input.version, now);
      await this.record(manager, staff, 'SERVICE', service, 'SERVICE_CREATED', `Created the service ${service.code} "${name.EN}" with terms ${version.termsVersion}: ${describeServiceVersion(version, input.version)}`);
      return service.id;
    });
    return this.service(id);
  }

  async publishServiceVersion(staff: StaffCaller, serviceCode: string, input: ServiceVersionInput): Promise<ServiceEntity> {
    const id = await this.database.transaction(async (manager) => {
      const service = await manager.findOne(ServiceEntity, { where: { code: serviceCode }, lock: this.database.lockMode });
      if (!service) throw notFound('service', serviceCode);
      if (service.obsoleteAt) throw conflict({ KK: 'Қызмет ескірген', RU: 'Услуга выведена из обращения', EN: 'The service is obsolete' });
      const now = this.clock.now();
      const version = await this.insertServiceVersion(manager, service, input, now);
      await this.record(manager, staff, 'SERVICE', service, 'SERVICE_VERSION_PUBLISHED', `Published terms ${version.termsVersion} of ${service.code}, in force for its holders from ${version.effectiveFrom.toISOString()}: ${describeServiceVersion(version, input)}`);
      await this.job(manager, staff, 'NOTIFY_NEW_VERSION', 'SERVICE', service.id, version.id, null, now);
      return service.id;
    });
    this.pokeJobs();
    return this.service(id);
  }

  async retireService(staff: StaffCaller, serviceCode: string): Promise<ServiceEntity> {
    const id = await this.database.transaction(async (manager) => {
      const service = await manager.findOne(ServiceEntity, { where: { code: serviceCode }, lock: this.database.lockMode });
      if (!service) throw notFound('service', serviceCode);
      if (!service.active) throw conflict({ KK: 'Қызмет сатылымда жоқ', RU: 'Услуга уже не продаётся', EN: 'The service is not on sale already' });
      await manager.update(ServiceEntity, { id: service.id }, { active: false, updatedAt: this.clock.now() });
      await this.record(manager, staff, 'SERVICE', service, 'SERVICE_RETIRED', `Retired ${service.code}: no longer sold; its holders keep it at its price`);
      return service.id;
    });
    return this.service(id);
  }

  async makeServiceObsolete(staff: StaffCaller, serviceCode: string): Promise<ServiceEntity> {
    const id = await this.database.transaction(async (manager) => {
      const service = await manager.findOne(ServiceEntity, { where: { code: serviceCode }, lock: this.database.lockMode });
      if (!service) throw notFound('service', serviceCode);
      if (service.obsoleteAt) throw conflict({ KK: 'Қызмет ескірген', RU: 'Услуга уже выведена из обращения', EN: 'The service is obsolete already' });
      const now = this.clock.now();
      await manager.update(ServiceEntity, { id: service.id }, { active: false, obsoleteAt: now, updatedAt: now });
      await this.record(manager, staff, 'SERVICE', service, 'SERVICE_MADE_OBSOLETE', `Made ${service.code} obsolete; every connection of it ends`);
      await this.job(manager, staff, 'END_SERVICE', 'SERVICE', service.id, null, null, now);
      return service.id;
    });
    this.pokeJobs();
    return this.service(id);
  }

  private async insertTariffVersion(manager: EntityManager, plan: TariffPlanEntity, input: TariffVersionInput, now: Date): Promise<TariffPlanVersionEntity> {
    const terms = termsOf(input.termsVersion, input.termsUrl);
    const effectiveFrom = await this.effectiveFrom(manager, input.effectiveFrom, now, () => manager.find(TariffPlanVersionEntity, { where: { tariffPlanId: plan.id } }));
    if (await manager.exists(TariffPlanVersionEntity, { where: { tariffPlanId: plan.id, termsVersion: terms.termsVersion } })) {
      throw conflict({ KK: '{version} нұсқасы бар', RU: 'Версия {version} уже опубликована', EN: 'The version {version} is published already' }, { version: terms.termsVersion });
    }
    if (input.allowances.length > 3 || new Set(input.allowances.map((a) => a.unit)).size !== input.allowances.length) {
      throw badInput('allowances', { KK: 'Әр бірлік бір рет', RU: 'Каждая единица — один раз', EN: 'Each unit once' });
    }
    for (const allowance of input.allowances) {
      if (!Number.isInteger(allowance.amount) || allowance.amount < 0 || allowance.amount > MAX_ALLOWANCE) throw badInput('allowances', { KK: 'Көлем 0 немесе оң бүтін сан', RU: 'Объём — целое число от 0', EN: 'An amount is a whole number from 0' });
    }
    const version = manager.create(TariffPlanVersionEntity, {
      id: randomUUID(),
      tariffPlanId: plan.id,
      ...terms,
      monthlyFeeMinor: fee(input.monthlyFee, 'monthlyFee'),
      switchFeeMinor: fee(input.switchFee, 'switchFee'),
      allowances: input.allowances.map((a) => ({ unit: a.unit, amount: a.amount })),
      rates: this.tariffRates(input.rates, plan.kind),
      effectiveFrom,
      createdAt: now,
    });
    await manager.insert(TariffPlanVersionEntity, version);
    // On sale at once: new orders accept this version; the lines on the tariff get it from `effectiveFrom`.
    await manager.update(TariffPlanEntity, { id: plan.id }, { currentVersionId: version.id, updatedAt: now });
    return version;
  }

  private tariffRates(input: { home: UsageRatesInput; roaming: (UsageRatesInput & { zone: string })[] }, kind: SubscriberKindValue): TariffRates {
    if (input.roaming.length > 20) throw badInput('rates', { KK: '20 аймаққа дейін', RU: 'До 20 зон роуминга', EN: 'Up to 20 roaming zones' });
    const parsed = tariffRates.safeParse({ home: rates(input.home, 'rates'), roaming: input.roaming.map((zone) => ({ zone: zone.zone, ...rates(zone, 'rates') })) });
    if (!parsed.success) throw badInput('rates', { KK: 'Аймақ коды: A–Z, 0–9, _, әрқайсысы бір рет', RU: 'Коды зон: A–Z, 0–9, _, каждая зона один раз', EN: 'Zone codes are A–Z, 0–9, _, each zone once' });
    if (kind === 'MOBILE' && parsed.data.roaming.length === 0) throw badInput('rates', { KK: 'Мобильді тарифке роуминг бағасы керек', RU: 'Мобильному тарифу нужны цены роуминга', EN: 'A mobile tariff needs roaming rates' });
    return parsed.data;
  }

  private async insertServiceVersion(manager: EntityManager, service: ServiceEntity, input: ServiceVersionInput, now: Date): Promise<ServiceVersionEntity> {
    const terms = termsOf(input.termsVersion, input.termsUrl);
    const effectiveFrom = await this.effectiveFrom(manager, input.effectiveFrom, now, () => manager.find(ServiceVersionEntity, { where: { serviceId: service.id } }));
    if (await manager.exists(ServiceVersionEntity, { where: { serviceId: service.id, termsVersion: terms.termsVersion } })) {
      throw conflict({ KK: '{version} нұсқасы бар', RU: 'Версия {version} уже опубликована', EN: 'The version {version} is published already' }, { version: terms.termsVersion });
    }
    const rules = await this.availability(manager, input.availability);
    const conflicts = await this.conflicts(manager, service, input.conflictsWith);
    const version = manager.create(ServiceVersionEntity, {
      id: randomUUID(),
      serviceId: service.id,
      ...terms,
      connectionFeeMinor: fee(input.connectionFee, 'connectionFee'),
      monthlyFeeMinor: fee(input.monthlyFee, 'monthlyFee'),
      effectiveFrom,
      createdAt: now,
    });
    await manager.insert(ServiceVersionEntity, version);
    await manager.update(ServiceEntity, { id: service.id }, { currentVersionId: version.id, updatedAt: now });
    // Compatibility is published with the version and replaces the one before.
    await manager.delete(ServiceRuleEntity, { serviceId: service.id });
    for (const rule of rules) await manager.insert(ServiceRuleEntity, { id: randomUUID(), serviceId: service.id, subscriberKind: rule.kind, tariffPlanId: rule.tariffPlanId, createdAt: now });
    await manager.delete(ServiceConflictEntity, { serviceId: service.id });
    await manager.delete(ServiceConflictEntity, { conflictingServiceId: service.id });
    for (const other of conflicts) await manager.insert(ServiceConflictEntity, { serviceId: service.id, conflictingServiceId: other.id, createdAt: now });
    return version;
  }

  private async availability(manager: EntityManager, input: ServiceAvailabilityInput[]): Promise<{ kind: SubscriberKindValue; tariffPlanId: string | null }[]> {
    if (input.length === 0 || input.length > 50) throw badInput('availability', { KK: '1–50 ереже', RU: 'От 1 до 50 правил доступности', EN: '1 to 50 availability rules' });
    const rules: { kind: SubscriberKindValue; tariffPlanId: string | null }[] = [];
    for (const rule of input) {
      const codes = rule.tariffCodes ?? [];
      if (codes.length > 50) throw badInput('availability', { KK: '50 тарифке дейін', RU: 'До 50 тарифов в правиле', EN: 'Up to 50 tariffs a rule' });
      if (codes.length === 0) {
        rules.push({ kind: rule.kind, tariffPlanId: null });
        continue;
      }
      const plans = await manager.find(TariffPlanEntity, { where: { code: In(codes) } });
      for (const tariffCode of codes) {
        const plan = plans.find((p) => p.code === tariffCode);
        if (!plan) throw notFound('tariff', tariffCode, 'availability');
        if (plan.kind !== rule.kind) throw badInput('availability', { KK: '{code} тарифі басқа желі түріне арналған', RU: 'Тариф {code} для другого вида связи', EN: 'The tariff {code} is for another kind of line' }, { code: tariffCode });
        rules.push({ kind: rule.kind, tariffPlanId: plan.id });
      }
    }
    return rules;
  }

  private async conflicts(manager: EntityManager, service: ServiceEntity, codes: string[]): Promise<ServiceEntity[]> {
    if (codes.length > 50) throw badInput('conflictsWith', { KK: '50 қызметке дейін', RU: 'До 50 услуг', EN: 'Up to 50 services' });
    if (codes.length === 0) return [];
    const others = await manager.find(ServiceEntity, { where: { code: In([...new Set(codes)]) } });
    for (const otherCode of codes) {
      if (otherCode === service.code) throw badInput('conflictsWith', { KK: 'Қызмет өзімен қайшы емес', RU: 'Услуга не исключает саму себя', EN: 'A service does not exclude itself' });
      if (!others.some((o) => o.code === otherCode)) throw notFound('service', otherCode, 'conflictsWith');
    }
    return others;
  }

  /** Never back-dated, at most ~13 months ahead, and not before an earlier version's (they come in force in order). */
  private async effectiveFrom(_manager: EntityManager, given: Date | null | undefined, now: Date, earlier: () => Promise<{ effectiveFrom: Date }[]>): Promise<Date> {
    const at = given ?? now;
    if (Number.isNaN(at.getTime()) || at.getTime() < now.getTime() - SKEW_MS || at.getTime() > now.getTime() + MAX_AHEAD_MS) {
      throw badInput('effectiveFrom', { KK: 'Күні: қазір немесе кейін (13 айға дейін)', RU: 'Дата: сейчас или позже (до 13 месяцев)', EN: 'A date from now on, up to 13 months ahead' });
    }
    const latest = Math.max(0, ...(await earlier()).map((v) => v.effectiveFrom.getTime()));
    if (at.getTime() < latest) {
      throw badInput('effectiveFrom', { KK: 'Алдыңғы нұсқадан ерте болмауы керек', RU: 'Не раньше вступления предыдущей версии', EN: 'Not before the previous version comes in force' });
    }
    return new Date(Math.max(at.getTime(), now.getTime()));
  }

  /** Every change of the offers is recorded here, in its transaction; the offers' generation rises with it (OfferCache). */
  private async record(manager: EntityManager, staff: StaffCaller, offerKind: OfferKindValue, offer: { id: string; code: string }, action: string, details: string): Promise<void> {
    await raiseOfferGeneration(manager);
    await manager.insert(CatalogChangeEntity, {
      id: randomUUID(),
      offerKind,
      offerId: offer.id,
      offerCode: offer.code,
      action,
      staffId: staff.staffId,
      staffRole: staff.role,
      details: details.slice(0, 1000),
      at: this.clock.now(),
    });
  }

  private async job(manager: EntityManager, staff: StaffCaller, kind: HolderJobKind, offerKind: OfferKindValue, offerId: string, versionId: string | null, replacementId: string | null, now: Date): Promise<void> {
    await manager.insert(OfferHolderJobEntity, { id: randomUUID(), kind, offerKind, offerId, versionId, replacementId, staffId: staff.staffId, afterSubscriberId: null, done: 0, leaseUntil: null, createdAt: now, finishedAt: null });
  }

  private tariff(id: string): Promise<TariffPlanEntity> {
    return this.database.manager.findOneOrFail(TariffPlanEntity, { where: { id }, relations: { currentVersion: true } });
  }

  private service(id: string): Promise<ServiceEntity> {
    return this.database.manager.findOneOrFail(ServiceEntity, { where: { id }, relations: { currentVersion: true } });
  }

  /** Every offer, on sale or not, for staff. */
  allTariffs(): Promise<TariffPlanEntity[]> {
    return this.database.manager.find(TariffPlanEntity, { relations: { currentVersion: true }, order: { sortOrder: 'ASC', code: 'ASC' } });
  }

  allServices(): Promise<ServiceEntity[]> {
    return this.database.manager.find(ServiceEntity, { relations: { currentVersion: true }, order: { sortOrder: 'ASC', code: 'ASC' } });
  }

  /** Whether a holder job is still running (tests wait for the holders to be told). */
  pendingJobs(): Promise<number> {
    return this.database.manager.count(OfferHolderJobEntity, { where: { finishedAt: IsNull() } });
  }
}

function sortOrder(value: number | null | undefined): number {
  if (value === null || value === undefined) return 1000;
  if (!Number.isInteger(value) || value < 0 || value > 1_000_000) throw badInput('sortOrder', { KK: '0–1000000', RU: 'От 0 до 1000000', EN: '0 to 1000000' });
  return value;
}

function describeTariffVersion(v: TariffPlanVersionEntity): string {
  const allowances = v.allowances.map((a) => `${a.amount} ${a.unit}`).join(', ') || 'no allowances';
  return `monthly fee ${formatMinorUnits(v.monthlyFeeMinor)} KZT, switch fee ${formatMinorUnits(v.switchFeeMinor)} KZT, ${allowances}, ${v.termsUrl}`;
}

function describeServiceVersion(v: ServiceVersionEntity, input: ServiceVersionInput): string {
  return `connection fee ${formatMinorUnits(v.connectionFeeMinor)} KZT, monthly fee ${formatMinorUnits(v.monthlyFeeMinor)} KZT, for ${input.availability
    .map((r) => `${r.kind}${r.tariffCodes?.length ? ` on ${r.tariffCodes.join('/')}` : ''}`)
    .join('; ')}${input.conflictsWith.length ? `, excludes ${input.conflictsWith.join(', ')}` : ''}, ${v.termsUrl}`;
}

