import type { EntityManager } from 'typeorm';
import { AfterCommit } from '../payments/after-commit';
import { LedgerEntryEntity } from './entities';

/**
 * The last few ledger entries this process committed, per account: what a `balanceChanged` feed woken by a posting
 * here would read back from the database a moment later. Entries are kept only once their transaction has
 * committed (never one that may roll back) and are never rewritten (the ledger is append-only), so a feed takes
 * them when they follow its cursor without a gap — `seq` is dense per account — and reads the database otherwise
 * (a posting by another replica, an older cursor, a restart). At 1,000 postings a second the read per event was a
 * fifth of billing's time (bench/subscriptions.js). Bounded: the longest-idle accounts go first.
 */
export class RecentLedgerEntries {
  static readonly PER_ACCOUNT = 8;
  static readonly MAX_ACCOUNTS = 50_000;
  private readonly afterCommit = new AfterCommit();
  private readonly byAccount = new Map<string, LedgerEntryEntity[]>();

  /** Entries inserted in `manager`'s transaction: kept when it commits, in the commit itself (before a woken feed reads). */
  written(manager: EntityManager, rows: readonly LedgerEntryEntity[]): void {
    this.afterCommit.atCommit(manager, () => {
      for (const row of rows) this.keep(row);
    });
  }

  /** Up to `limit` committed entries right after `seq`, without a gap; null when they are not all here to say. */
  after(accountId: string, seq: number, limit: number): LedgerEntryEntity[] | null {
    const kept = this.byAccount.get(accountId);
    if (!kept || kept.length === 0) return null;
    const first = kept.findIndex((row) => row.seq === seq + 1);
    if (first === -1) return null;
    return kept.slice(first, first + limit);
  }

  private keep(row: LedgerEntryEntity): void {
    const kept = this.byAccount.get(row.accountId) ?? [];
    // Commits of one account are ordered by its row lock; keep them ascending and contiguous.
    if (kept.length > 0 && row.seq !== kept[kept.length - 1]!.seq + 1) kept.length = 0;
    kept.push(row);
    if (kept.length > RecentLedgerEntries.PER_ACCOUNT) kept.shift();
    this.byAccount.delete(row.accountId);
    this.byAccount.set(row.accountId, kept);
    while (this.byAccount.size > RecentLedgerEntries.MAX_ACCOUNTS) this.byAccount.delete(this.byAccount.keys().next().value!);
  }
}
