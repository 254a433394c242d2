/**
 * What the operator commands under server/cli share: "is this file the script being run" (so tests
 * can import the commands without running them), one-line errors, and a printable database name.
 */
import { realpathSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Knex } from 'knex';
import { ConfigError, type DatabaseConfig } from '../config';
import { PluginError } from '../plugins/loader';

/** A problem the operator fixes (bad argument, unknown account…): printed as one line, exit code 1. */
export class CliError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CliError';
  }
}

export type Print = (line: string) => void;

const real = (p: string) => {
  try {
    return realpathSync(p);
  } catch {
    return path.resolve(p);
  }
};

/** True when the module with this `import.meta.url` is the script node/tsx was started with. */
export function isMain(importMetaUrl: string): boolean {
  const script = process.argv[1];
  return !!script && real(script) === real(fileURLToPath(importMetaUrl));
}

// Errors of the database drivers that mean "cannot reach / cannot use the database".
const CONNECTION_CODES = new Set([
  'ECONNREFUSED', 'ENOTFOUND', 'ETIMEDOUT', 'EHOSTUNREACH', 'ECONNRESET', 'PROTOCOL_CONNECTION_LOST',
  'ER_ACCESS_DENIED_ERROR', 'ER_BAD_DB_ERROR', 'ER_DBACCESS_DENIED_ERROR', 'SQLITE_CANTOPEN',
]);

/** The message an operator should see, or null when only the stack trace helps (a bug). */
export function describeError(err: unknown): string | null {
  if (err instanceof ConfigError) return `invalid configuration: ${err.problems.join('; ')}`;
  if (err instanceof PluginError || err instanceof CliError) return err.message;
  const e = err as { code?: string; message?: string; name?: string } | null;
  if (e?.code && CONNECTION_CODES.has(e.code)) return `cannot use the database (${e.code}): ${e.message ?? e.code}`;
  if (e?.name === 'KnexTimeoutError') return `cannot use the database: ${e.message}`;
  return null;
}

/** Runs a command's main function and exits with its code; known problems print as one line. */
export function runCli(name: string, main: () => Promise<number | void>): void {
  main().then(
    (code) => process.exit(code ?? 0),
    (err: unknown) => {
      const message = describeError(err);
      if (message) console.error(`${name}: ${message}`);
      else console.error(err);
      process.exit(1);
    },
  );
}

/** "SQLite /path/portal.sqlite" or "MySQL host:3306/database" (never the password). */
export function describeDatabase(database: DatabaseConfig): string {
  if (database.client === 'sqlite') return `SQLite ${database.filename}`;
  const url = new URL(database.url);
  return `MySQL ${url.hostname}:${url.port || '3306'}/${database.database}`;
}

/** Operator commands other than `migrate` need the schema: say so instead of "no such table". */
export async function assertMigrated(db: Knex): Promise<void> {
  if (!(await db.schema.hasTable('accounts'))) {
    throw new CliError('the database has no portal tables yet: run `npm run migrate` (or `npm start`) first');
  }
}
