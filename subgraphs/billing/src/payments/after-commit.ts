import type { DataSource, EntityManager, EntitySubscriberInterface, QueryRunner } from 'typeorm';

/**
 * Work to start once the caller's transaction has committed (never if it rolls back): a payment inserted by an event
 * handler is driven only when other connections can see its row.
 */
export class AfterCommit {
  private readonly pending = new WeakMap<QueryRunner, { work: () => void; atOnce: boolean }[]>();
  private readonly watched = new WeakSet<DataSource>();

  /** On the next turn of the event loop after the commit. */
  add(manager: EntityManager, work: () => void): void {
    this.queue(manager, work, false);
  }

  /** In the commit's own broadcast, before anything awaiting the commit (or woken by it) goes on. */
  atCommit(manager: EntityManager, work: () => void): void {
    this.queue(manager, work, true);
  }

  private queue(manager: EntityManager, work: () => void, atOnce: boolean): void {
    const runner = manager.queryRunner;
    if (!runner?.isTransactionActive) {
      work();
      return;
    }
    this.watch(manager.connection);
    const list = this.pending.get(runner) ?? [];
    list.push({ work, atOnce });
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
        for (const { work, atOnce } of list) {
          if (atOnce) work();
          else setImmediate(work);
        }
      },
      afterTransactionRollback: ({ queryRunner }) => {
        this.pending.delete(queryRunner);
      },
    };
    dataSource.subscribers.push(subscriber);
  }
}
