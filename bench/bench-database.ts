/**
 * The database each bench owns on the MariaDB/MySQL server `BENCH_MYSQL_URL` names (default
 * mysql://root@127.0.0.1:3306/test: only the server part is used), and the portal's production
 * configuration pointed at it. A bench drops and recreates its own database and touches no other.
 */
import { randomBytes } from 'node:crypto';
import knexFactory from 'knex';

export const BENCH_SERVER_URL = process.env.BENCH_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/test';

/** The server's URL with `name` as its database. */
export function benchDatabaseUrl(name: string): string {
  return Object.assign(new URL(BENCH_SERVER_URL), { pathname: `/${name}` }).toString();
}

/** DROP + CREATE of the database `name` (unless `keep`, to reuse a seeded one); returns the server's version. */
export async function recreateDatabase(name: string, options: { keep?: boolean } = {}): Promise<string> {
  const admin = knexFactory({ client: 'mysql2', connection: BENCH_SERVER_URL, pool: { min: 0, max: 1 } });
  try {
    const [[{ v }]] = (await admin.raw('SELECT VERSION() AS v')) as [[{ v: string }]];
    if (!options.keep) {
      await admin.raw(`DROP DATABASE IF EXISTS \`${name}\``);
      await admin.raw(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
    }
    return v;
  } finally {
    await admin.destroy();
  }
}

/** The portal's configuration in production on `databaseUrl`, silent; nothing a bench does sends mail. */
export function benchPortalEnv(databaseUrl: string): Record<string, string> {
  return {
    NODE_ENV: 'production', DATABASE_URL: databaseUrl, LOG_LEVEL: 'silent',
    SESSION_SECRET: process.env.SESSION_SECRET ?? randomBytes(32).toString('hex'),
    // Required in production.
    PUBLIC_URL: 'https://portal.bench.invalid', SMTP_URL: 'smtp://127.0.0.1:2525',
  };
}
