import { demoSubscribers } from '@selfcare/shared';
import { In } from 'typeorm';
import { encodeSpec } from '../auth/kdf';
import type { IdentityServices } from '../composition';
import { SubscriberEntity } from '../subscribers/subscriber.entity';

/**
 * The embedded default's demo base (shared/src/domain/demo.ts): inserts the subscribers that are missing, the
 * registered ones with the demo password, their e-mails verified so the e-mail login works out of the box.
 * Idempotent: runs at every start and touches nothing that exists.
 */
export async function seedDemoSubscribers(services: IdentityServices): Promise<number> {
  const { runtime } = services;
  const repository = runtime.database.manager.getRepository(SubscriberEntity);
  const present = new Set((await repository.findBy({ id: In(demoSubscribers.map((s) => s.id)) })).map((s) => s.id));
  const missing = demoSubscribers.filter((s) => !present.has(s.id));
  if (missing.length === 0) return 0;
  // KDF outside the transaction; each registered demo subscriber gets its own salt.
  const credentials = await Promise.all(
    missing.map(async (demo) => {
      if (!demo.password) return null;
      const spec = services.hasher.newSpec();
      return { kdf: encodeSpec(spec), hash: await services.hasher.derive(demo.password, spec) };
    }),
  );
  await runtime.database.transaction(async (manager) => {
    const now = runtime.clock.now();
    const termsVersion = await services.terms.currentVersion(manager);
    for (const [index, demo] of missing.entries()) {
      const credential = credentials[index];
      await manager.insert(SubscriberEntity, {
        id: demo.id,
        kind: demo.kind,
        partyType: demo.partyType,
        msisdn: demo.msisdn,
        login: demo.login,
        language: demo.language,
        email: demo.email,
        emailVerifiedAt: demo.email && credential ? now : null,
        verifiedEmail: demo.email && credential ? demo.email : null,
        notifyBy: ['CABINET'],
        accessStatus: 'ACTIVE',
        accessReason: null,
        accessChangedAt: now,
        debtOutstanding: false,
        registered: !!credential,
        registeredAt: credential ? now : null,
        passwordKdf: credential?.kdf ?? null,
        passwordHash: credential?.hash ?? null,
        passwordSetAt: credential ? now : null,
        pendingPasswordHash: null,
        pendingPasswordExpiresAt: null,
        contractEndedAt: null,
        erasedAt: null,
        createdAt: now,
        updatedAt: now,
      });
      if (credential) await services.consents.recordRegistrationConsents(manager, demo.id, 'WEB', termsVersion);
    }
  });
  runtime.logger.info({ inserted: missing.length }, 'demo subscribers seeded');
  return missing.length;
}

const WELCOME = {
  KK: { title: 'Жеке кабинетке қош келдіңіз', body: 'Мұнда теңгерімді, тарифті, қызметтерді және шығындар егжей-тегжейін көре аласыз (2.1-тармақ).' },
  RU: { title: 'Добро пожаловать в личный кабинет', body: 'Здесь вы видите баланс, тариф, услуги и детализацию расходов (п. 2.1).' },
  EN: { title: 'Welcome to the Personal Cabinet', body: 'Here you see your balance, tariff, services and usage details (clause 2.1).' },
};

/** A welcome notice for each demo subscriber present; idempotent (one per key). */
export async function seedDemoNotices(services: IdentityServices): Promise<void> {
  const ids = demoSubscribers.map((s) => s.id);
  await services.runtime.database.transaction(async (manager) => {
    const present = await manager.find(SubscriberEntity, { where: { id: In(ids) }, select: { id: true, language: true } });
    for (const subscriber of present) {
      const text = WELCOME[subscriber.language] ?? WELCOME.RU;
      await services.notices.notify(manager, subscriber.id, { ...text, texts: WELCOME, key: 'demo-welcome' });
    }
  });
}

/** The embedded default's demo data: subscribers, then their welcome notices. */
export async function seedDemoData(services: IdentityServices): Promise<void> {
  await seedDemoSubscribers(services);
  await seedDemoNotices(services);
}
