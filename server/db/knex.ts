import { mkdirSync } from 'node:fs';
import path from 'node:path';
import knexFactory, { type Knex } from 'knex';
import type { DatabaseConfig } from '../config';

export type Db = Knex;

// A failed statement's error message quotes it; with the values bound in, CPFs, e-mails and names
// would reach the logs. Placeholders (`?`) say as much about what failed.
const compileSqlOnError = false;

/** One knex instance per process; SQLite is the embedded default, MySQL/MariaDB the production one. */
export function createDb(config: DatabaseConfig): Db {
  if (config.client === 'sqlite') {
    mkdirSync(path.dirname(config.filename), { recursive: true });
    return knexFactory({
      client: 'better-sqlite3',
      compileSqlOnError,
      connection: { filename: config.filename },
      useNullAsDefault: true,
      // One connection: SQLite serializes writers anyway, and a single connection makes a
      // transaction an exclusive section, which is what the seat check relies on.
      pool: {
        min: 1,
        max: 1,
        afterCreate(conn: { pragma(s: string): unknown }, done: (err: Error | null, c: unknown) => void) {
          conn.pragma('journal_mode = WAL');
          conn.pragma('foreign_keys = ON');
          conn.pragma('busy_timeout = 5000');
          conn.pragma('synchronous = NORMAL');
          done(null, conn);
        },
      },
    });
  }
  return knexFactory({
    client: 'mysql2',
    compileSqlOnError,
    connection: {
      uri: config.url,
      charset: 'utf8mb4',
      timezone: 'Z',
      supportBigNumbers: true,
      dateStrings: false,
    } as Knex.MySql2ConnectionConfig,
    pool: {
      min: 0,
      max: 10,
      // The membership read joins a contact's grants with group_concat, which MySQL cuts at 1,024
      // bytes by default (MariaDB at 1 MB): set once per connection, never per request.
      afterCreate(conn: { query(sql: string, done: (err: Error | null) => void): void }, done: (err: Error | null, c: unknown) => void) {
        conn.query('SET SESSION group_concat_max_len = 1048576', (err) => done(err, conn));
      },
    },
    acquireConnectionTimeout: 10_000,
  });
}

export const isMysql = (db: Knex | Knex.Transaction) => db.client.config.client === 'mysql2';

/** Locks a row until the transaction ends. SQLite needs no lock: it has one writer at a time. */
export function forUpdate<T extends Knex.QueryBuilder>(db: Knex | Knex.Transaction, query: T): T {
  return (isMysql(db) ? query.forUpdate() : query) as T;
}

/** Both drivers hand back dates differently (Date on MySQL, epoch ms on SQLite). */
export function toDate(value: unknown): Date | null {
  if (value === null || value === undefined) return null;
  if (value instanceof Date) return value;
  if (typeof value === 'number') return new Date(value);
  const s = String(value);
  return new Date(/^\d+$/.test(s) ? Number(s) : s.includes('T') || s.endsWith('Z') ? s : `${s.replace(' ', 'T')}Z`);
}

/** Driver and pool errors that mean "no database to talk to now" (not a wrong statement): answered 503. */
const UNREACHABLE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'EPIPE', 'PROTOCOL_CONNECTION_LOST', 'PROTOCOL_SEQUENCE_TIMEOUT', 'ER_CON_COUNT_ERROR']);
// 1047: a Galera node that is not part of the primary component ("WSREP has not yet prepared node
// for application use"); 1053: the server is shutting down.
const UNREACHABLE_ERRNOS = new Set([1047, 1053]);

export function isDatabaseUnavailable(err: unknown): boolean {
  const e = err as { code?: unknown; errno?: unknown; name?: unknown; message?: unknown; fatal?: unknown } | null;
  if (!e) return false;
  // mysql2 marks `fatal` what leaves the connection unusable: e.g. the ROLLBACK knex sends after its
  // node was killed mid-transaction ("Can't add new command when connection is in closed state").
  return UNREACHABLE_CODES.has(String(e.code)) || UNREACHABLE_ERRNOS.has(Number(e.errno)) || e.name === 'KnexTimeoutError' || e.fatal === true
    || (typeof e.message === 'string' && e.message.startsWith('Unable to acquire a connection'));
}

/** Whether the database answers within `timeoutMs` (a balancer's check must not hang on a silent host). */
export async function pingDb(db: Db, timeoutMs = 3000): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      db.raw('select 1'),
      new Promise((_, reject) => { timer = setTimeout(() => reject(new Error('ping timed out')), timeoutMs); }),
    ]);
    return true;
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
  }
}

/** Both MySQL and SQLite answer an insert with the new auto-increment id. */
export async function insertId(q: Knex | Knex.Transaction, table: string, row: Record<string, unknown>): Promise<number> {
  const [id] = await q(table).insert(row);
  return Number(id);
}
