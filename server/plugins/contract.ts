/**
 * The plugin contract: the only core file a plugin imports. A plugin declares its permission
 * flags, which built-in profiles receive them, its menu entries, routes, migrations, views,
 * locales and hooks; the loader validates the declaration before the server listens.
 */
import type { Request, Response, NextFunction } from 'express';
import type { Knex } from 'knex';
import type { Catalogs } from '../i18n';

export type ProfileId = 'administrator' | 'member' | 'observer_download' | 'observer';
export const BUILT_IN_PROFILES: readonly ProfileId[] = ['administrator', 'member', 'observer_download', 'observer'];

export interface PermissionDefinition {
  /** `<plugin id>.<name>`, e.g. `support.portal`. */
  key: string;
  /** i18n keys. */
  label: string;
  description?: string;
  group?: string;
}

export interface MenuEntry {
  label: string;
  /** Path below the account: `/p/<plugin>/…` for a plugin, `/contacts` for core. */
  path: string;
  requires: string;
}

export interface HookEvents {
  'contact.deleting': { accountId: number; contactId: number; actorContactId: number | null; input: Record<string, unknown> };
  'contact.deactivated': { accountId: number; contactId: number; actorContactId: number | null };
  'owner.transferred': { accountId: number; fromContactId: number; toContactId: number };
}
export type HookName = keyof HookEvents;
export type Hook<N extends HookName> = (event: HookEvents[N], trx: Knex.Transaction) => Promise<void> | void;
export type Hooks = { [N in HookName]?: Hook<N> };

/** What a plugin's routes are handed: the request's account context and a guard. */
export interface PluginRouteContext {
  db: Knex;
  /** Express middleware that answers 403 unless the current contact holds `key`. */
  requirePermission(key: string): (req: Request, res: Response, next: NextFunction) => void;
}

export interface RouteDeclaration {
  method: 'get' | 'post';
  /** Below `/accounts/:accountId/p/<plugin id>`. */
  path: string;
  requires: string;
  handler: (req: Request, res: Response, next: NextFunction) => unknown;
}

export interface PluginManifest {
  id: string;
  name: string;
  permissions: PermissionDefinition[];
  profiles?: Partial<Record<ProfileId, string[]>>;
  menu?: MenuEntry[];
  routes?: RouteDeclaration[];
  /** Absolute path of the plugin's knex migrations folder. */
  migrations?: string;
  /** Absolute path of the plugin's views folder (rendered as `<id>/<view>`). */
  views?: string;
  locales?: Catalogs;
  hooks?: Hooks;
}

export function definePlugin(manifest: PluginManifest): PluginManifest {
  return manifest;
}
