import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import knexFactory from 'knex';

/**
 * The suite runs against SQLite, or against MySQL/MariaDB when TEST_DB=mysql (TEST_MYSQL_URL
 * names the server). Each database made here is fresh and is dropped when the run ends.
 */
export const TEST_DB = process.env.TEST_DB === 'mysql' ? 'mysql' : 'sqlite';
const made: (() => Promise<void>)[] = [];

export async function freshDatabaseUrl(): Promise<string> {
  const name = `portal_test_${process.pid}_${randomBytes(4).toString('hex')}`;
  if (TEST_DB === 'sqlite') {
    const file = path.join(os.tmpdir(), `${name}.sqlite`);
    made.push(async () => {
      for (const suffix of ['', '-wal', '-shm']) rmSync(file + suffix, { force: true });
    });
    return `sqlite:${file}`;
  }
  const server = process.env.TEST_MYSQL_URL;
  if (!server) throw new Error('TEST_DB=mysql needs TEST_MYSQL_URL, e.g. mysql://root@127.0.0.1:3306/test');
  const admin = knexFactory({ client: 'mysql2', connection: server });
  try {
    await admin.raw(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
  } finally {
    await admin.destroy();
  }
  made.push(async () => {
    const a = knexFactory({ client: 'mysql2', connection: server });
    try {
      await a.raw(`DROP DATABASE IF EXISTS \`${name}\``);
    } finally {
      await a.destroy();
    }
  });
  const url = new URL(server);
  url.pathname = `/${name}`;
  return url.toString();
}

export async function dropTestDatabases(): Promise<void> {
  while (made.length) await made.pop()!();
}
