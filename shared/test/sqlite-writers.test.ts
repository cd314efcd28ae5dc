import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Database } from '../src';

/**
 * Two processes on one SQLite file (a CLI, a test, or a second replica beside a service): a transaction that reads
 * and then writes must wait for the other process's writer, not fail with "database is locked" (SQLITE_BUSY_SNAPSHOT,
 * which a deferred BEGIN gets when another process committed between its read and its write).
 */
describe('SQLite: a read-then-write transaction beside another process', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sqlite-writers-'));
  const file = join(dir, 'shared.sqlite');
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('waits for the other writer and commits both rows', async () => {
    const db = await new Database({ service: 'test', url: `sqlite:${file}`, entities: [], migrations: [] }).open();
    try {
      await db.dataSource.query('CREATE TABLE postings (reference TEXT PRIMARY KEY, amount INTEGER NOT NULL)');
      // The other process takes the write lock, writes, holds it a moment and commits.
      const other = spawn(
        process.execPath,
        [
          '-e',
          `const db = new (require('better-sqlite3'))(process.argv[1]);
           db.pragma('journal_mode = WAL'); db.pragma('busy_timeout = 5000');
           db.exec('BEGIN IMMEDIATE'); db.prepare("INSERT INTO postings VALUES ('other', 1)").run();
           process.stdout.write('locked\\n');
           Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 300);
           db.exec('COMMIT'); db.close();`,
          file,
        ],
        { cwd: process.cwd(), stdio: ['ignore', 'pipe', 'inherit'] },
      );
      const exited = new Promise<number | null>((resolve) => other.once('exit', resolve));
      await new Promise<void>((resolve) => other.stdout!.once('data', () => resolve()));

      const seen = await db.transaction(async (manager) => {
        const [{ n }] = await manager.query('SELECT COUNT(*) AS n FROM postings');
        await manager.query("INSERT INTO postings VALUES ('ours', 2)");
        return Number(n);
      });
      expect(await exited).toBe(0);
      // Ours began after the other committed, so it saw the other's row.
      expect(seen).toBe(1);
      expect(await db.dataSource.query('SELECT reference, amount FROM postings ORDER BY reference')).toEqual([
        { reference: 'other', amount: 1 },
        { reference: 'ours', amount: 2 },
      ]);
    } finally {
      await db.close();
    }
  });
});
