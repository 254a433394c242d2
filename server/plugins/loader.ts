import { existsSync, readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { z } from 'zod';
import { coreCatalogs, DEFAULT_LOCALE, type Catalog } from '../i18n';
import { coreManifest } from './core-manifest';
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
// Keys are joined with "," and written into attributes and JSON: one strict shape keeps any
// separator or quote out, so no key can stand for another.
const permissionKey = z.string().regex(/^[a-z][a-z0-9-]*(\.[a-z0-9-]+)+$/, 'key must be "<plugin id>.<name>" in lower-case letters, digits, "-" or "."');
const i18nKey = z.string({ message: 'missing label' }).min(1, 'missing label');
const fn = z.custom<(...args: never[]) => unknown>((v) => typeof v === 'function', 'must be a function');
const HOOK_NAMES = ['contact.deleting', 'contact.deactivated', 'owner.transferred', 'contact.erasing', 'contact.exporting'] as const;
// Strict: a misspelt field (`hook:` for `hooks:`) is refused, not silently ignored.
const manifestSchema = z.strictObject({
  id,
  name: i18nKey,
  permissions: z.array(
    z.strictObject({ key: permissionKey, label: i18nKey, description: z.string().optional(), group: z.string().optional(), narrows: z.boolean().optional() }),
  ),
  profiles: z.partialRecord(z.enum(BUILT_IN_PROFILES as [string, ...string[]]), z.array(z.string())).optional(),
  menu: z.array(z.object({ label: i18nKey, path: z.string().startsWith('/'), requires: z.string() })).optional(),
  routes: z
    .array(z.object({ method: z.enum(['get', 'post']), path: z.string().startsWith('/'), requires: z.string(), stepUp: z.boolean().optional(), handler: fn }))
    .optional(),
  migrations: z.string().optional(),
  views: z.string().optional(),
  locales: z.record(z.string(), z.any()).optional(),
  hooks: z.partialRecord(z.enum(HOOK_NAMES), fn).optional(),
  confirmations: z.strictObject({ 'contact.deleting': fn.optional(), 'contact.deactivated': fn.optional() }).optional(),
  seedDemo: fn.optional(),
});

/** One line for the first schema problem; unknown profiles and hooks listed with the known ones. */
function describeIssue(issue: z.core.$ZodIssue): string {
  const where = issue.path.join('.') || 'manifest';
  if (issue.code === 'unrecognized_keys' && (where === 'profiles' || where === 'hooks')) {
    const known = where === 'profiles' ? BUILT_IN_PROFILES : HOOK_NAMES;
    return `${where}: unknown ${where === 'profiles' ? 'profile' : 'hook'} ${issue.keys.map((k) => `"${k}"`).join(', ')} (known: ${known.join(', ')})`;
  }
  return `${where}: ${issue.message}`;
}

/** The package a plugin imports the contract (and its test kit) from. */
const CONTRACT_PACKAGE = /^portal(\/|$)/;

async function importManifest(entry: string): Promise<PluginManifest> {
  let mod;
  try {
    mod = await import(pathToFileURL(entry).href);
  } catch (err) {
    // A plugin outside this repository that cannot see the portal package: say how to fix it in one line.
    const missing = /Cannot find (?:module|package) '([^']+)'/.exec(String((err as Error)?.message ?? ''))?.[1];
    const code = (err as { code?: string })?.code;
    if (missing && CONTRACT_PACKAGE.test(missing) && (code === 'MODULE_NOT_FOUND' || code === 'ERR_MODULE_NOT_FOUND')) {
      throw new PluginError(entry, `cannot resolve "${missing}": install the portal beside the plugin (in its folder: npm install --save-dev <path to the portal>, see docs/plugins.md §1)`);
    }
    throw err;
  }
  const manifest = (mod.default ?? mod.plugin) as PluginManifest | undefined;
  // Without a manifest there is no id to name: name the file instead of "(unnamed)".
  if (!manifest || typeof manifest !== 'object') throw new PluginError(entry, 'exports no manifest (export default definePlugin({ … }))');
  return manifest;
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

/** The string at a dotted i18n key (`plugins.support.portal`) of a catalog, if any. */
function lookup(catalog: Catalog | undefined, key: string): string | undefined {
  let node: Catalog | string | undefined = catalog;
  for (const part of key.split('.')) {
    if (node === undefined || typeof node === 'string') return undefined;
    node = node[part];
  }
  return typeof node === 'string' ? node : undefined;
}

/**
 * Every text the editor and the menu print is an i18n key; one that has no pt-BR text (in the
 * plugin's own catalog or core's) would show the raw key to every user, so refuse it at start-up.
 */
function assertTranslated(plugin: PluginManifest): void {
  const own = plugin.locales?.[DEFAULT_LOCALE];
  const texts: [where: string, key: string | undefined][] = [
    ['name', plugin.name],
    ...plugin.permissions.flatMap((p): [string, string | undefined][] => [
      [`label of permission "${p.key}"`, p.label],
      [`description of permission "${p.key}"`, p.description],
      [`group of permission "${p.key}"`, p.group],
    ]),
    ...(plugin.menu ?? []).map((m): [string, string] => [`label of menu entry "${m.path}"`, m.label]),
  ];
  for (const [where, key] of texts) {
    if (key === undefined) continue;
    if (lookup(own, key) === undefined && lookup(coreCatalogs[DEFAULT_LOCALE], key) === undefined) {
      throw new PluginError(plugin.id, `${where}: i18n key "${key}" has no ${DEFAULT_LOCALE} translation`);
    }
  }
}

/** Checks each manifest, then the set as a whole; throws PluginError on the first problem. */
export function validatePlugins(plugins: PluginManifest[]): void {
  const owners = new Map<string, string>();
  for (const perm of coreManifest.permissions) owners.set(perm.key, 'core');
  const ids = new Set<string>(['core']);

  for (const plugin of plugins) {
    const parsed = manifestSchema.safeParse(plugin);
    const name = typeof plugin?.id === 'string' ? plugin.id : '(unnamed)';
    if (!parsed.success) {
      throw new PluginError(name, describeIssue(parsed.error.issues[0]!));
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
    assertTranslated(plugin);
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
  // Imported together (TypeScript's loader works on one while another is evaluated); a failure is
  // reported for the first plugin in order, as when they were imported one by one.
  const settled = await Promise.allSettled(entries.map(importManifest));
  const failed = settled.find((r) => r.status === 'rejected');
  if (failed) throw failed.reason;
  const loaded = settled.map((r) => (r as PromiseFulfilledResult<PluginManifest>).value);
  const disabled = new Set(options.disabled ?? []);
  for (const id of disabled) {
    if (!loaded.some((p) => p?.id === id)) throw new PluginError(id, 'PORTAL_DISABLED_PLUGINS names a plugin that is not installed');
  }
  const enabled = loaded.filter((p) => !disabled.has(p?.id));
  validatePlugins(enabled);
  return new Registry([coreManifest, ...enabled]);
}
