import { readdirSync, existsSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Knex } from 'knex';
import type { Db } from './knex';

export const CORE_MIGRATIONS = path.resolve(import.meta.dirname, '../../migrations');

/** A migration folder and the table that records it. */
export interface MigrationSet {
  owner: string;
  directory: string;
  tableName: string;
}

/**
 * Reads `*.ts` migrations from one folder and imports them through the running loader (tsx),
 * so migrations are TypeScript like the rest and need no build step.
 */
class FolderMigrationSource implements Knex.MigrationSource<string> {
  constructor(private readonly directory: string) {}
  async getMigrations(): Promise<string[]> {
    if (!existsSync(this.directory)) return [];
    return readdirSync(this.directory)
      .filter((f) => /\.(ts|js)$/.test(f) && !f.endsWith('.d.ts'))
      .sort();
  }
  getMigrationName(name: string): string {
    return name.replace(/\.(ts|js)$/, '');
  }
  async getMigration(name: string): Promise<Knex.Migration> {
    return import(pathToFileURL(path.join(this.directory, name)).href);
  }
}

/** knex migrator settings for one set (tests step single migrations with them). */
export const migratorOptions = (set: MigrationSet): Knex.MigratorConfig => ({
  migrationSource: new FolderMigrationSource(set.directory),
  tableName: set.tableName,
});

/**
 * Core first, then each plugin with its own migrations table: a shared table makes knex refuse to
 * run ("migration directory is corrupt") once a plugin is switched off or removed.
 */
export async function migrateLatest(db: Db, sets: MigrationSet[]): Promise<string[]> {
  const ran: string[] = [];
  for (const set of sets) {
    const [, names] = await db.migrate.latest(migratorOptions(set));
    ran.push(...(names as string[]).map((n) => `${set.owner}/${n}`));
  }
  return ran;
}

/** Rolls back the last batch of every set, plugins first (they depend on core tables). */
export async function migrateRollback(db: Db, sets: MigrationSet[]): Promise<string[]> {
  const undone: string[] = [];
  for (const set of [...sets].reverse()) {
    const [, names] = await db.migrate.rollback(migratorOptions(set));
    undone.push(...(names as string[]).map((n) => `${set.owner}/${n}`));
  }
  return undone;
}

export const coreMigrations: MigrationSet = { owner: 'core', directory: CORE_MIGRATIONS, tableName: 'knex_migrations' };
