import type { DataSource, EntityManager, EntitySubscriberInterface, QueryRunner } from 'typeorm';

/**
 * Work to start once the caller's transaction has committed (never if it rolls back): a payment inserted by an event
 * handler is driven only when other connections can see its row.
 */
export class AfterCommit {
  private readonly pending = new WeakMap<QueryRunner, (() => void)[]>();
  private readonly watched = new WeakSet<DataSource>();

  add(manager: EntityManager, work: () => void): void {
    const runner = manager.queryRunner;
    if (!runner?.isTransactionActive) {
      work();
      return;
    }
    this.watch(manager.connection);
    const list = this.pending.get(runner) ?? [];
    list.push(work);
    this.pending.set(runner, list);
  }

  private watch(dataSource: DataSource): void {
    if (this.watched.has(dataSource)) return;
    this.watched.add(dataSource);
    const subscriber: EntitySubscriberInterface = {
      afterTransactionCommit: ({ queryRunner }) => {
        const list = this.pending.get(queryRunner);
        if (!list) return;
        this.pending.delete(queryRunner);
        for (const work of list) setImmediate(work);
      },
      afterTransactionRollback: ({ queryRunner }) => {
        this.pending.delete(queryRunner);
      },
    };
    dataSource.subscribers.push(subscriber);
  }
}
