import { In } from 'typeorm';
import { type SubgraphRuntime, demoSubscribers } from '@selfcare/shared';
import type { NoticeService } from './notices/notice.service';
import { SubscriberEntity } from './subscribers/subscriber.entity';

const WELCOME = {
  KK: { title: 'Жеке кабинетке қош келдіңіз', body: 'Мұнда теңгерімді, тарифті, қызметтерді және шығындар егжей-тегжейін көре аласыз (2.1-тармақ).' },
  RU: { title: 'Добро пожаловать в личный кабинет', body: 'Здесь вы видите баланс, тариф, услуги и детализацию расходов (п. 2.1).' },
  EN: { title: 'Welcome to the Personal Cabinet', body: 'Here you see your balance, tariff, services and usage details (clause 2.1).' },
};

/** Embedded default only: a welcome notice for each demo subscriber the core seeded; idempotent (one per key). */
export async function seedFeatureDemoData(runtime: SubgraphRuntime, notices: NoticeService): Promise<void> {
  const ids = demoSubscribers.map((s) => s.id);
  await runtime.database.transaction(async (manager) => {
    const present = await manager.find(SubscriberEntity, { where: { id: In(ids) }, select: { id: true, language: true } });
    for (const subscriber of present) {
      const text = WELCOME[subscriber.language] ?? WELCOME.RU;
      await notices.notify(manager, subscriber.id, { ...text, key: 'demo-welcome' });
    }
  });
}
