import { existsSync, readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { z } from 'zod';
import { corePermissions } from '../permissions/core-permissions';
import { BUILT_IN_PROFILES, type PluginManifest } from './contract';
import { Registry } from './registry';

export const BUILT_IN_PLUGINS_DIR = path.resolve(import.meta.dirname, '../../plugins');

/** Refuses to start: one line naming the plugin and the problem. */
export class PluginError extends Error {
  constructor(plugin: string, problem: string) {
    super(`Plugin "${plugin}": ${problem}`);
    this.name = 'PluginError';
  }
}

const id = z.string().regex(/^[a-z][a-z0-9-]{1,30}$/, 'id must be lower-case letters, digits or "-" (2-31 characters)');
const i18nKey = z.string().min(1, 'missing label');
const fn = z.custom<(...args: never[]) => unknown>((v) => typeof v === 'function', 'must be a function');
const HOOK_NAMES = ['contact.deleting', 'contact.deactivated', 'owner.transferred'] as const;
const manifestSchema = z.object({
  id,
  name: i18nKey,
  permissions: z.array(
    z.object({ key: z.string().min(1), label: i18nKey, description: z.string().optional(), group: z.string().optional() }),
  ),
  profiles: z.partialRecord(z.enum(BUILT_IN_PROFILES as [string, ...string[]], { message: `unknown profile (known: ${BUILT_IN_PROFILES.join(', ')})` }), z.array(z.string())).optional(),
  menu: z.array(z.object({ label: i18nKey, path: z.string().startsWith('/'), requires: z.string() })).optional(),
  routes: z
    .array(z.object({ method: z.enum(['get', 'post']), path: z.string().startsWith('/'), requires: z.string(), handler: fn }))
    .optional(),
  migrations: z.string().optional(),
  views: z.string().optional(),
  locales: z.record(z.string(), z.any()).optional(),
  hooks: z.partialRecord(z.enum(HOOK_NAMES, { message: `unknown hook (known: ${HOOK_NAMES.join(', ')})` }), fn).optional(),
  seedDemo: fn.optional(),
});

async function importManifest(entry: string): Promise<PluginManifest> {
  const mod = await import(pathToFileURL(entry).href);
  return (mod.default ?? mod.plugin) as PluginManifest;
}

/** A folder (with index.ts or index.js) or an npm package name. */
function resolveEntry(spec: string): string {
  const folder = path.resolve(spec);
  if (existsSync(folder) && statSync(folder).isDirectory()) {
    for (const name of ['index.ts', 'index.js', 'index.mjs']) {
      if (existsSync(path.join(folder, name))) return path.join(folder, name);
    }
    throw new PluginError(spec, 'folder has no index.ts or index.js');
  }
  try {
    return createRequire(path.join(process.cwd(), 'package.json')).resolve(spec);
  } catch {
    throw new PluginError(spec, 'not found (neither a folder nor an installed npm package)');
  }
}

export function builtInPluginFolders(dir = BUILT_IN_PLUGINS_DIR): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .map((name) => path.join(dir, name))
    .filter((p) => statSync(p).isDirectory() && (existsSync(path.join(p, 'index.ts')) || existsSync(path.join(p, 'index.js'))))
    .sort();
}

/** Checks each manifest, then the set as a whole; throws PluginError on the first problem. */
export function validatePlugins(plugins: PluginManifest[]): void {
  const owners = new Map<string, string>();
  for (const perm of corePermissions.permissions) owners.set(perm.key, 'core');
  const ids = new Set<string>(['core']);

  for (const plugin of plugins) {
    const parsed = manifestSchema.safeParse(plugin);
    const name = typeof plugin?.id === 'string' ? plugin.id : '(unnamed)';
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw new PluginError(name, `${issue.path.join('.') || 'manifest'}: ${issue.message}`);
    }
    if (ids.has(plugin.id)) throw new PluginError(plugin.id, 'duplicate plugin id');
    ids.add(plugin.id);
    for (const perm of plugin.permissions) {
      if (!perm.key.startsWith(`${plugin.id}.`)) {
        throw new PluginError(plugin.id, `permission "${perm.key}" is outside the plugin's namespace "${plugin.id}."`);
      }
      const owner = owners.get(perm.key);
      if (owner) throw new PluginError(plugin.id, `duplicate permission "${perm.key}" (already declared by ${owner})`);
      owners.set(perm.key, plugin.id);
    }
  }

  const known = new Set(owners.keys());
  for (const plugin of plugins) {
    for (const [profile, keys] of Object.entries(plugin.profiles ?? {})) {
      for (const key of keys) if (!known.has(key)) throw new PluginError(plugin.id, `profile "${profile}" names unknown permission "${key}"`);
    }
    for (const m of plugin.menu ?? []) {
      if (!known.has(m.requires)) throw new PluginError(plugin.id, `menu entry "${m.path}" needs unknown permission "${m.requires}"`);
    }
    for (const r of plugin.routes ?? []) {
      if (!known.has(r.requires)) throw new PluginError(plugin.id, `route ${r.method.toUpperCase()} ${r.path} needs unknown permission "${r.requires}"`);
    }
    if (plugin.migrations && !existsSync(plugin.migrations)) {
      throw new PluginError(plugin.id, `migrations folder ${plugin.migrations} does not exist`);
    }
  }

  // Knex keys migrations by file name within a table; names that collide across plugins make
  // "which one ran" ambiguous for operators reading the tables, so refuse them.
  const migrationNames = new Map<string, string>();
  for (const plugin of plugins) {
    if (!plugin.migrations) continue;
    for (const file of readdirSync(plugin.migrations)) {
      const other = migrationNames.get(file);
      if (other) throw new PluginError(plugin.id, `migration "${file}" collides with plugin "${other}"`);
      migrationNames.set(file, plugin.id);
    }
  }
}

export interface LoadOptions {
  builtInDir?: string;
  extra?: string[];
  disabled?: string[];
}

/** Loads built-in and extra plugins, drops switched-off ones (their data stays), validates. */
export async function loadRegistry(options: LoadOptions = {}): Promise<Registry> {
  const entries = [
    ...builtInPluginFolders(options.builtInDir).map((folder) => resolveEntry(folder)),
    ...(options.extra ?? []).map(resolveEntry),
  ];
  const loaded: PluginManifest[] = [];
  for (const entry of entries) loaded.push(await importManifest(entry));
  const disabled = new Set(options.disabled ?? []);
  const enabled = loaded.filter((p) => !disabled.has(p?.id));
  validatePlugins(enabled);
  return new Registry([corePermissions, ...enabled]);
}
