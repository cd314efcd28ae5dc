import type { LinePlanAt, Texts } from '@selfcare/shared';
import { AllowanceUnitValue, Direction, UsageKind } from '../usage/entities';
import { usageTexts as texts, inRoaming as abroad } from '../usage/texts';

const MB = 1024 * 1024;

/** The operator's own app (terms 2.10): its traffic is free on the home network, charged at the zone's data rate abroad. */
export const OPERATOR_APP = 'MY_BEELINE';

/**
 * Visited countries (ISO 3166) to the operator's roaming zones; a country not listed is in WORLD. A tariff that
 * publishes no rate for the zone is rated at its WORLD rate, and one without that either cannot rate the record.
 */
const ZONE_OF_COUNTRY: Record<string, string> = Object.fromEntries([
  ...['RU', 'BY', 'KG', 'UZ', 'TJ', 'TM', 'AM', 'AZ', 'MD', 'GE', 'UA'].map((c) => [c, 'CIS']),
  ...['TR', 'DE', 'FR', 'IT', 'ES', 'PT', 'NL', 'BE', 'AT', 'CH', 'PL', 'CZ', 'SK', 'HU', 'GR', 'GB', 'IE', 'SE', 'NO', 'FI', 'DK', 'EE', 'LV', 'LT', 'RO', 'BG', 'HR', 'SI', 'RS', 'CY', 'MT', 'LU', 'IS', 'ME', 'AL', 'MK', 'BA'].map((c) => [c, 'EUROPE']),
]);

export function zoneOf(country: string): string {
  return ZONE_OF_COUNTRY[country] ?? 'WORLD';
}

/** A usage record once validated and resolved to its line: what rating needs. */
export interface UsageFacts {
  kind: UsageKind;
  startedAt: Date;
  direction: Direction | null;
  seconds: number | null;
  bytes: number | null;
  roaming: boolean;
  roamingCountry: string | null;
  app: string | null;
  /** CHARGE only: priced by the network side */
  amountMinor: number | null;
  chargeDescription: string | null;
}

/** What is left of the package in the record's allowance period; rating takes from it. */
export interface PackageLeft {
  MINUTES: number;
  SMS: number;
  MEGABYTES: number;
}

export interface Rated {
  chargeMinor: number;
  allowanceUnit: AllowanceUnitValue | null;
  allowanceUsed: number | null;
  zeroRated: boolean;
  description: Texts;
}


/** The per-unit rates that apply: the home network's, or the visited zone's (null: the tariff has none for it). */
function ratesFor(plan: LinePlanAt, facts: UsageFacts) {
  if (!plan.rates) return null;
  if (!facts.roaming) return plan.rates.home;
  const zone = zoneOf(facts.roamingCountry!);
  return plan.rates.roaming.find((r) => r.zone === zone) ?? plan.rates.roaming.find((r) => r.zone === 'WORLD') ?? null;
}

/**
 * Rates one record against the line's plan at the time of use (terms 2.10): at home, outgoing minutes, SMS and data
 * come from the package first and what goes beyond it is paid per unit — a call that crosses the end of the
 * package pays only its minutes past it; incoming calls and SMS are free; the operator's app's traffic is free and
 * takes nothing from the package. In roaming everything is paid at the zone's rates (the app's traffic too, at the
 * zone's data rate) and nothing comes from the package. Minutes are started minutes per call, megabytes started
 * megabytes per session. Returns null when the tariff publishes no rate for it.
 */
export function rate(facts: UsageFacts, plan: LinePlanAt, left: PackageLeft): Rated | null {
  if (facts.kind === UsageKind.CHARGE) {
    const text = facts.chargeDescription!;
    return { chargeMinor: facts.amountMinor!, allowanceUnit: null, allowanceUsed: null, zeroRated: false, description: { KK: text, RU: text, EN: text } };
  }
  const rates = ratesFor(plan, facts);
  const home = plan.kind === 'HOME_INTERNET';
  const label = (base: Texts) => (facts.roaming ? abroad(base, facts.roamingCountry!) : base);
  const outgoing = facts.direction === Direction.OUTGOING;
  const fromPackage = (unit: AllowanceUnitValue, amount: number, perUnit: number) => {
    const taken = Math.min(left[unit], amount);
    left[unit] -= taken;
    return { chargeMinor: (amount - taken) * perUnit, allowanceUnit: unit, allowanceUsed: taken };
  };
  const free = { chargeMinor: 0, allowanceUnit: null, allowanceUsed: null };

  if (facts.kind === UsageKind.CALL) {
    const minutes = Math.ceil((facts.seconds ?? 0) / 60);
    const description = label(outgoing ? texts.outgoingCall : texts.incomingCall);
    if (minutes === 0 || (!outgoing && !facts.roaming)) return { ...free, zeroRated: false, description };
    if (!rates) return null;
    if (facts.roaming) return { ...free, chargeMinor: minutes * rates.callPerMinuteMinor, zeroRated: false, description };
    return { ...fromPackage('MINUTES', minutes, rates.callPerMinuteMinor), zeroRated: false, description };
  }
  if (facts.kind === UsageKind.SMS) {
    const description = label(outgoing ? texts.outgoingSms : texts.incomingSms);
    if (!outgoing) return { ...free, zeroRated: false, description };
    if (!rates) return null;
    if (facts.roaming) return { ...free, chargeMinor: rates.smsMinor, zeroRated: false, description };
    return { ...fromPackage('SMS', 1, rates.smsMinor), zeroRated: false, description };
  }
  // DATA
  const megabytes = Math.ceil((facts.bytes ?? 0) / MB);
  const app = facts.app === OPERATOR_APP;
  if (app && !facts.roaming) return { ...free, chargeMinor: plan.operatorAppData.homePerMbMinor * megabytes, zeroRated: true, description: texts.appHome };
  const description = app ? abroad(texts.appRoaming, facts.roamingCountry!) : home ? texts.homeData : label(texts.data);
  if (megabytes === 0) return { ...free, zeroRated: false, description };
  if (!rates) return null;
  if (facts.roaming) return { ...free, chargeMinor: megabytes * rates.dataPerMbMinor, zeroRated: false, description };
  return { ...fromPackage('MEGABYTES', megabytes, rates.dataPerMbMinor), zeroRated: false, description };
}

/** The package of the plan's allowance period (pro rata, catalog's), minus what the counter says was used. */
export function packageLeft(plan: LinePlanAt, used: PackageLeft): PackageLeft {
  const included = (unit: AllowanceUnitValue) => plan.allowances.find((a) => a.unit === unit)?.amount ?? 0;
  return {
    MINUTES: Math.max(included('MINUTES') - used.MINUTES, 0),
    SMS: Math.max(included('SMS') - used.SMS, 0),
    MEGABYTES: Math.max(included('MEGABYTES') - used.MEGABYTES, 0),
  };
}
