import { In } from 'typeorm';
import type { EntityManager } from 'typeorm';
import { Clock, Database, EventPayload, demoSubscribers, identityEvents, normalizeMsisdn } from '@selfcare/shared';
import { UsageLineEntity } from './entities';

type Provisioned = EventPayload<typeof identityEvents, 'SubscriberProvisioned'>;

/** Which subscriber a number or home-internet login is: detailing's own view, kept from identity's events. */
export class UsageLines {
  constructor(
    private readonly database: Database,
    private readonly clock: Clock,
  ) {}

  async provisioned(manager: EntityManager, line: Provisioned): Promise<void> {
    await manager.save(UsageLineEntity, {
      subscriberId: line.subscriberId,
      msisdn: line.msisdn ? normalizeMsisdn(line.msisdn) : null,
      login: line.kind === 'HOME_INTERNET' ? (line.login ?? null) : null,
      kind: line.kind,
      ended: false,
      updatedAt: this.clock.now(),
    });
  }

  /** terms 3.3: an ended contract's number takes no more usage (the number may go to someone else later). */
  async accessChanged(manager: EntityManager, subscriberId: string, status: string): Promise<void> {
    await manager.update(UsageLineEntity, { subscriberId }, { ended: status === 'TERMINATED', updatedAt: this.clock.now() });
  }

  /** The live lines holding these numbers or logins: line → subscriber id. */
  async resolve(keys: readonly string[]): Promise<Map<string, string>> {
    const found = new Map<string, string>();
    const msisdns = [...new Set(keys.filter((k) => k.startsWith('+')))];
    const logins = [...new Set(keys.filter((k) => !k.startsWith('+')))];
    for (let i = 0; i < msisdns.length; i += 1000) {
      for (const row of await this.database.manager.find(UsageLineEntity, { select: { subscriberId: true, msisdn: true }, where: { msisdn: In(msisdns.slice(i, i + 1000)), ended: false } })) found.set(row.msisdn!, row.subscriberId);
    }
    for (let i = 0; i < logins.length; i += 1000) {
      for (const row of await this.database.manager.find(UsageLineEntity, { select: { subscriberId: true, login: true }, where: { login: In(logins.slice(i, i + 1000)), ended: false } })) found.set(row.login!, row.subscriberId);
    }
    return found;
  }

  /** The embedded default's demo lines (seeded, never provisioned). */
  async seedDemo(): Promise<void> {
    await this.database.transaction(async (manager) => {
      for (const demo of demoSubscribers) {
        if (await manager.exists(UsageLineEntity, { where: { subscriberId: demo.id } })) continue;
        await manager.insert(UsageLineEntity, {
          subscriberId: demo.id,
          msisdn: demo.msisdn,
          login: demo.kind === 'HOME_INTERNET' ? demo.login : null,
          kind: demo.kind,
          ended: false,
          updatedAt: this.clock.now(),
        });
      }
    });
  }
}
