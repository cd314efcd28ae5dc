import { demoMonthlyFees } from '@selfcare/shared';
import type { DemoSubscriber, Texts } from '@selfcare/shared';
import { AllowanceUnitValue, Direction, UsageKind } from '../usage/entities';
import { usageTexts as texts, inRoaming as roaming } from '../usage/texts';

const DAY_MS = 24 * 60 * 60 * 1000;
const MB = 1024 * 1024;

/** A usage record of the demo, before it gets an id. */
export interface DemoUsage {
  sourceRef: string;
  kind: UsageKind;
  startedAt: Date;
  direction: Direction | null;
  counterparty: string | null;
  seconds: number | null;
  bytes: number | null;
  roaming: boolean;
  roamingCountry: string | null;
  zeroRated: boolean;
  chargeMinor: number;
  allowanceUnit: AllowanceUnitValue | null;
  allowanceUsed: number | null;
  description: Texts;
}

/** Roaming prices of the demo (Roaming Plus rates): per started minute, per SMS, per megabyte. */
const ROAMING_CALL_PER_MINUTE = 15_000;
const ROAMING_SMS = 5_000;
const ROAMING_PER_MB = 500;


/** mulberry32: a small seeded generator, so the demo is the same on every machine and every start. */
function generator(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Thirty days of usage of one demo line up to `now`, the same for the same line and `now`: daily calls,
 * SMS and data at home, My Beeline app traffic (free at home, terms 2.10), a four-day trip to Turkey for lines with
 * Roaming Plus (charged, the app's traffic too), and the monthly fees.
 */
export function demoUsageFor(demo: DemoSubscriber, index: number, now: Date): DemoUsage[] {
  const random = generator(0x5eed + index * 7919);
  const between = (min: number, max: number) => min + Math.floor(random() * (max - min + 1));
  const records: DemoUsage[] = [];
  const add = (record: Omit<DemoUsage, 'sourceRef'>) => records.push({ sourceRef: `demo:${demo.id}:${records.length}`, ...record });
  const otherNumber = () => `+7${['701', '705', '707', '747', '771', '777'][between(0, 5)]}${String(between(0, 9_999_999)).padStart(7, '0')}`;
  const base = { direction: null, counterparty: null, seconds: null, bytes: null, roaming: false, roamingCountry: null, zeroRated: false, chargeMinor: 0, allowanceUnit: null, allowanceUsed: null };
  const tripDays = demo.serviceCodes.includes('ROAMING_PLUS') ? new Set([12, 11, 10, 9]) : new Set<number>();
  const light = demo.password === null; // the unregistered demo line is used little

  for (let day = 30; day >= 1; day -= 1) {
    const dayStart = now.getTime() - day * DAY_MS;
    const at = () => new Date(dayStart + between(7 * 3600, 22 * 3600) * 1000);
    if (demo.kind === 'HOME_INTERNET') {
      const bytes = between(800, 6_000) * MB;
      add({ ...base, kind: UsageKind.DATA, startedAt: at(), counterparty: 'internet', bytes, description: texts.homeData });
      continue;
    }
    const abroad = tripDays.has(day);
    for (let n = between(light ? 0 : 1, light ? 1 : 4); n > 0; n -= 1) {
      const direction = random() < 0.6 ? Direction.OUTGOING : Direction.INCOMING;
      const seconds = between(15, 900);
      const minutes = Math.ceil(seconds / 60);
      if (abroad) {
        add({ ...base, kind: UsageKind.CALL, startedAt: at(), direction, counterparty: otherNumber(), seconds, roaming: true, roamingCountry: 'TR', chargeMinor: minutes * ROAMING_CALL_PER_MINUTE, description: roaming(direction === Direction.OUTGOING ? texts.outgoingCall : texts.incomingCall, 'TR') });
      } else {
        // At home outgoing minutes come from the package; incoming calls are free.
        const outgoing = direction === Direction.OUTGOING;
        add({ ...base, kind: UsageKind.CALL, startedAt: at(), direction, counterparty: otherNumber(), seconds, allowanceUnit: outgoing ? 'MINUTES' : null, allowanceUsed: outgoing ? minutes : null, description: outgoing ? texts.outgoingCall : texts.incomingCall });
      }
    }
    for (let n = between(0, light ? 1 : 2); n > 0; n -= 1) {
      const direction = random() < 0.7 ? Direction.OUTGOING : Direction.INCOMING;
      const outgoing = direction === Direction.OUTGOING;
      if (abroad) {
        add({ ...base, kind: UsageKind.SMS, startedAt: at(), direction, counterparty: otherNumber(), roaming: true, roamingCountry: 'TR', chargeMinor: outgoing ? ROAMING_SMS : 0, description: roaming(outgoing ? texts.outgoingSms : texts.incomingSms, 'TR') });
      } else {
        add({ ...base, kind: UsageKind.SMS, startedAt: at(), direction, counterparty: otherNumber(), allowanceUnit: outgoing ? 'SMS' : null, allowanceUsed: outgoing ? 1 : null, description: outgoing ? texts.outgoingSms : texts.incomingSms });
      }
    }
    for (let n = between(light ? 0 : 1, light ? 1 : 3); n > 0; n -= 1) {
      const bytes = between(abroad ? 5 : 20, abroad ? 120 : 600) * MB + between(0, MB - 1);
      const megabytes = Math.ceil(bytes / MB);
      if (abroad) {
        add({ ...base, kind: UsageKind.DATA, startedAt: at(), counterparty: 'internet', bytes, roaming: true, roamingCountry: 'TR', chargeMinor: megabytes * ROAMING_PER_MB, description: roaming(texts.data, 'TR') });
      } else {
        add({ ...base, kind: UsageKind.DATA, startedAt: at(), counterparty: 'internet', bytes, allowanceUnit: 'MEGABYTES', allowanceUsed: megabytes, description: texts.data });
      }
    }
    // terms 2.10: the app's traffic is free on the home network and takes nothing from the package; in roaming it is charged.
    const appBytes = between(1, 15) * MB + between(0, MB - 1);
    if (abroad) {
      add({ ...base, kind: UsageKind.DATA, startedAt: at(), counterparty: 'My Beeline', bytes: appBytes, roaming: true, roamingCountry: 'TR', chargeMinor: Math.ceil(appBytes / MB) * ROAMING_PER_MB, description: texts.appRoaming });
    } else if (!light) {
      add({ ...base, kind: UsageKind.DATA, startedAt: at(), counterparty: 'My Beeline', bytes: appBytes, zeroRated: true, description: texts.appHome });
    }
  }

  // Periodic charges: the monthly fees, 25 days ago (as in billing's demo ledger).
  [demo.tariffCode, ...demo.serviceCodes].forEach((code, n) => {
    const fee = demoMonthlyFees[code];
    if (!fee) throw new Error(`no demo monthly fee for ${code}`);
    add({
      ...base,
      kind: UsageKind.CHARGE,
      startedAt: new Date(now.getTime() - 25 * DAY_MS + n * 60_000),
      chargeMinor: fee.minor,
      description: { KK: `Абоненттік төлем: ${fee.name}`, RU: `Абонентская плата: ${fee.name}`, EN: `Monthly fee: ${fee.name}` },
    });
  });
  return records;
}
