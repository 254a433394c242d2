import { mkdirSync } from 'node:fs';
import path from 'node:path';
import knexFactory, { type Knex } from 'knex';
import type { DatabaseConfig } from '../config';

export type Db = Knex;

const PREPARED_PER_CONNECTION = 64;
export const GROUP_CONCAT_MAX_LEN = 1_048_576;

/** One knex instance per process; SQLite is the embedded default, MySQL/MariaDB the production one. */
export function createDb(config: DatabaseConfig): Db {
  if (config.client === 'sqlite') {
    mkdirSync(path.dirname(config.filename), { recursive: true });
    return knexFactory({
      client: 'better-sqlite3',
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
    connection: {
      uri: config.url,
      charset: 'utf8mb4',
      timezone: 'Z',
      supportBigNumbers: true,
      dateStrings: false,
      // Hot reads are prepared (selectRows): bounded, so that processes x pool connections x
      // this stays far under MariaDB's max_prepared_stmt_count (16,382 by default).
      maxPreparedStatements: PREPARED_PER_CONNECTION,
    } as Knex.MySql2ConnectionConfig,
    pool: {
      min: 0,
      max: 10,
      // MySQL 8 cuts group_concat at 1,024 bytes by default (MariaDB: 1 MiB): the member context
      // reads a contact's flags as one list and must never lose one.
      afterCreate(conn: { query(sql: string, cb: (err: Error | null) => void): void }, done: (err: Error | null, c: unknown) => void) {
        conn.query(`SET SESSION group_concat_max_len = ${GROUP_CONCAT_MAX_LEN}`, (err) => done(err, conn));
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

export async function pingDb(db: Db): Promise<boolean> {
  try {
    await db.raw('select 1');
    return true;
  } catch {
    return false;
  }
}

/** Both MySQL and SQLite answer an insert with the new auto-increment id. */
export async function insertId(q: Knex | Knex.Transaction, table: string, row: Record<string, unknown>): Promise<number> {
  const [id] = await q(table).insert(row);
  return Number(id);
}

/**
 * The rows of a raw statement: knex hands back `[rows, fields]` from mysql2 and the bare rows from
 * better-sqlite3. For the few per-request statements written as SQL, not built, on every call.
 */
export async function rawRows<T>(q: Knex | Knex.Transaction, sql: string, bindings: readonly Knex.Value[]): Promise<T[]> {
  if (isMysql(q) && !q.isTransaction) return executePrepared<T>(q, sql, bindings);
  const result: unknown = await q.raw(sql, bindings as Knex.Value[]);
  return (isMysql(q) ? (result as [T[], unknown])[0] : result) as T[];
}

interface PreparingConnection {
  execute(sql: string, values: unknown[], callback: (err: Error | null, rows: unknown) => void): void;
}

/** The rows of a read that runs on every page view: built with knex, run prepared on MySQL. */
export async function selectRows<T>(q: Knex | Knex.Transaction, statement: Knex.QueryBuilder): Promise<T[]> {
  if (!isMysql(q) || q.isTransaction) return (await statement) as T[];
  const { sql, bindings } = statement.toSQL().toNative();
  return executePrepared<T>(q, sql, bindings);
}

/**
 * A server-side prepared statement (mysql2 keeps up to PREPARED_PER_CONNECTION per connection, by
 * text): MariaDB parses it once per connection instead of on every request (the session and
 * member statement cost it ~400 µs of CPU a time unprepared, ~250 prepared), and no values are
 * spliced into the SQL on our side (Node: ~150 µs less per page in all). Emits knex's `query`
 * event like every other statement, so logging and the statement-counting tests see it.
 */
async function executePrepared<T>(db: Knex, sql: string, bindings: readonly Knex.Value[]): Promise<T[]> {
  db.emit('query', { method: 'raw', sql, bindings, options: {} });
  const connection = (await db.client.acquireConnection()) as PreparingConnection;
  try {
    return await new Promise<T[]>((resolve, reject) => connection.execute(sql, bindings as unknown[], (err, rows) => (err ? reject(err) : resolve(rows as T[]))));
  } finally {
    await db.client.releaseConnection(connection);
  }
}
