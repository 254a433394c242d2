/**
 * `npm run migrate` (latest) and `npm run migrate:rollback`: core migrations, then every enabled
 * plugin's, each set with its own knex migrations table. Works on SQLite and MySQL/MariaDB alike.
 */
import { loadConfig } from '../config';
import { createDb, type Db } from '../db/knex';
import { coreMigrations, migrateLatest, migrateRollback } from '../db/migrations';
import { loadRegistry } from '../plugins/loader';
import type { Registry } from '../plugins/registry';
import { CliError, describeDatabase, isMain, runCli, type Print } from './common';

export type Direction = 'latest' | 'rollback';

/** Runs core + plugin migrations in one direction; answers the names that ran ("owner/name"). */
export function runMigrations(db: Db, registry: Registry, direction: Direction): Promise<string[]> {
  const sets = [coreMigrations, ...registry.migrationSets()];
  return direction === 'latest' ? migrateLatest(db, sets) : migrateRollback(db, sets);
}

export async function migrateCommand(args: string[], env: NodeJS.ProcessEnv = process.env, print: Print = console.log): Promise<number> {
  const direction = args[0];
  if (args.length !== 1 || (direction !== 'latest' && direction !== 'rollback')) {
    throw new CliError('usage: tsx server/cli/migrate.ts latest|rollback (npm run migrate, npm run migrate:rollback)');
  }
  const config = loadConfig(env);
  const registry = await loadRegistry({ extra: config.extraPlugins, disabled: config.disabledPlugins });
  const db = createDb(config.database);
  try {
    print(`Database: ${describeDatabase(config.database)}`);
    const names = await runMigrations(db, registry, direction);
    if (direction === 'latest') {
      print(names.length ? `Ran ${names.length} migration(s):` : 'Already up to date: no migration to run.');
    } else {
      print(names.length ? `Rolled back ${names.length} migration(s) (the last batch of each set):` : 'Nothing to roll back.');
    }
    for (const name of names) print(`  ${name}`);
    return 0;
  } finally {
    await db.destroy();
  }
}

if (isMain(import.meta.url)) runCli('migrate', () => migrateCommand(process.argv.slice(2)));
