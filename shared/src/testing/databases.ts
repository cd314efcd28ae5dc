import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Test databases: with TEST_DATABASE_URL (mysql://root@127.0.0.1:3306) each call creates its own MariaDB
 * database and `drop` removes it; without it, a fresh SQLite file in a temporary folder.
 */
export interface TestDatabase {
  url: string;
  drop(): Promise<void>;
}

export function usingMariaDb(): boolean {
  return !!process.env.TEST_DATABASE_URL;
}

export async function createTestDatabase(service: string): Promise<TestDatabase> {
  const server = process.env.TEST_DATABASE_URL;
  if (!server) {
    const dir = mkdtempSync(join(tmpdir(), `selfcare-${service}-`));
    return {
      url: `sqlite:${join(dir, `${service}.sqlite`)}`,
      drop: async () => rmSync(dir, { recursive: true, force: true }),
    };
  }
  const name = `t_${process.pid}_${randomBytes(4).toString('hex')}_${service}`.slice(0, 64);
  const base = new URL(server);
  base.pathname = `/${name}`;
  const mysql = await import('mysql2/promise');
  const connect = () =>
    mysql.createConnection({
      host: base.hostname,
      port: Number(base.port || 3306),
      user: decodeURIComponent(base.username || 'root'),
      password: decodeURIComponent(base.password),
    });
  const connection = await connect();
  try {
    await connection.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
  } finally {
    await connection.end();
  }
  return {
    url: base.toString(),
    drop: async () => {
      const c = await connect();
      try {
        await c.query(`DROP DATABASE IF EXISTS \`${name}\``);
      } finally {
        await c.end();
      }
    },
  };
}
