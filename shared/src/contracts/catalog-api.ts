import { z } from 'zod';
import { allowanceUnit, isoDateTime, subscriberId, subscriberKind, texts } from './common';
import { defineInternalRoute } from './internal-api';
import { isDay } from '../domain/almaty-calendar';

/** Most lines one plans request may name; callers split larger sets. */
export const MAX_PLAN_IDS = 500;

/** A line's plan as the catalog tells the other services (detailing's allowances). */
export const linePlan = z.object({
  subscriberId,
  kind: subscriberKind,
  tariffCode: z.string(),
  /** since when the line is on this tariff */
  tariffSince: isoDateTime,
  /** what the tariff includes per month */
  allowances: z.array(z.object({ unit: allowanceUnit, amount: z.number().int().nonnegative() })),
});
export type LinePlan = z.output<typeof linePlan>;

/** POST /internal/subscribers/plans: each line's plan, `plans[i]` for `subscriberIds[i]` (null: not known to the catalog). */
export const subscriberPlans = defineInternalRoute({
  service: 'catalog',
  method: 'POST',
  path: '/internal/subscribers/plans',
  request: z.object({ subscriberIds: z.array(subscriberId).max(MAX_PLAN_IDS) }),
  response: z.object({ plans: z.array(linePlan.nullable()) }),
});

// ─────────────── orders: plans at a time (rating) and daily fees (billing's fee run) ───────────────

const minor = z.number().int().nonnegative().refine(Number.isSafeInteger, 'must be a safe integer');

/** Per-unit prices of one kind of network, in minor units (tiyn). */
export const usageRates = z.object({ callPerMinuteMinor: minor, smsMinor: minor, dataPerMbMinor: minor });

/** A roaming zone's code as the operator names it: CIS, EUROPE, WORLD… */
export const roamingZone = z.string().regex(/^[A-Z][A-Z0-9_]{0,19}$/, 'an UPPER_SNAKE zone code of up to 20 characters');

/** The per-unit rates published with a tariff version (terms 2.2, 2.10): at home, and in roaming per zone (none: no roaming, home internet). */
export const tariffRates = z.object({
  home: usageRates,
  roaming: z
    .array(usageRates.extend({ zone: roamingZone }))
    .max(20)
    .refine((zones) => new Set(zones.map((z) => z.zone)).size === zones.length, 'each zone once'),
});
export type TariffRates = z.output<typeof tariffRates>;

/** terms 2.10: the operator's app's data is free on the home network and charged at the roaming zone's data rate abroad. */
export const operatorAppDataRule = z.object({ homePerMbMinor: z.literal(0), roaming: z.literal('ZONE_DATA_RATE') });
export const OPERATOR_APP_DATA_RULE = { homePerMbMinor: 0, roaming: 'ZONE_DATA_RATE' } as const;

/** Most (line, instant) pairs one plans-at request may name. */
export const MAX_PLANS_AT = 500;

/** The plan a line was on at an instant: what usage at that instant is rated against. */
export const linePlanAt = z.object({
  subscriberId,
  at: isoDateTime,
  kind: subscriberKind,
  tariffCode: z.string(),
  tariffPlanId: z.string(),
  /** the tariff version in force for the line at `at` (the one it accepted, or a newer one the operator put in force) */
  versionId: z.string(),
  termsVersion: z.string(),
  /** the line's tariff period containing `at`: from provisioning or a tariff change to the next change (null: still on it) */
  tariffPeriod: z.object({ start: isoDateTime, end: isoDateTime.nullable() }),
  /** the allowance period containing `at`: the Almaty calendar month, cut by the tariff period */
  allowancePeriod: z.object({ start: isoDateTime, end: isoDateTime }),
  /** what the tariff includes in that allowance period: the monthly amount, pro rata by the Almaty days the period touches */
  allowances: z.array(z.object({ unit: allowanceUnit, amount: z.number().int().nonnegative(), monthlyAmount: z.number().int().nonnegative() })),
  /** null: the version was published before rates were (it has none) */
  rates: tariffRates.nullable(),
  operatorAppData: operatorAppDataRule,
});
export type LinePlanAt = z.output<typeof linePlanAt>;

/**
 * POST /internal/lines/plans-at {items: [{subscriberId, at}]} → {plans}: `plans[i]` answers `items[i]` (null: the line
 * was not known to the catalog at that instant). Batched: at most MAX_PLANS_AT items; a few statements however many.
 */
export const linePlansAt = defineInternalRoute({
  service: 'catalog',
  method: 'POST',
  path: '/internal/lines/plans-at',
  bodyLimit: '200kb',
  request: z.object({ items: z.array(z.object({ subscriberId, at: isoDateTime })).max(MAX_PLANS_AT) }),
  response: z.object({ plans: z.array(linePlanAt.nullable()) }),
});

/** Most lines one daily-fees page covers. */
export const MAX_FEE_LINES = 500;

export const operatorDayName = z.string().refine(isDay, 'must be a date YYYY-MM-DD');

/** One item's fee for one Almaty day: the tariff the line ended the day on, or a service held that day. */
export const dailyFee = z.object({
  subscriberId,
  /** 'T:<tariff id>' or 'S:<service id>': with the day, the key billing charges once */
  item: z.string().regex(/^[TS]:[\w-]{1,36}$/),
  offerCode: z.string(),
  versionId: z.string(),
  monthlyFeeMinor: minor,
  /** the day's share of the monthly fee (shares of a whole month add up to it exactly) */
  amountMinor: minor,
  description: texts(200),
});
export type DailyFee = z.output<typeof dailyFee>;

/**
 * POST /internal/fees/daily {day, afterSubscriberId, limit} → {fees, nextAfter}: the periodic fees of `day` for the
 * lines after `afterSubscriberId` (by id), at most `limit` lines a page; `nextAfter` is the page's last line (null: no
 * more). Computed from the lines' history, so asking again — a repeated or late run — gets the same answer.
 */
export const dailyFees = defineInternalRoute({
  service: 'catalog',
  method: 'POST',
  path: '/internal/fees/daily',
  request: z.object({ day: operatorDayName, afterSubscriberId: subscriberId.nullable().optional(), limit: z.number().int().min(1).max(MAX_FEE_LINES) }),
  response: z.object({ fees: z.array(dailyFee), nextAfter: subscriberId.nullable() }),
});
