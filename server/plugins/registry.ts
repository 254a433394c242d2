import type { Knex } from 'knex';
import type { MigrationSet } from '../db/migrations';
import { isDatabaseUnavailable } from '../db/knex';
import { isRetryable } from '../db/transaction';
import { isDomainError, PluginHookFailed } from '../errors';
import type { Catalogs } from '../i18n';
import {
  BUILT_IN_PROFILES,
  type Hook,
  type HookActor,
  type HookContext,
  type HookEvents,
  type HookName,
  type MenuEntry,
  type PermissionDefinition,
  type PluginContext,
  type PluginManifest,
  type ProfileId,
} from './contract';

export interface RegisteredPermission extends PermissionDefinition {
  plugin: string;
}

/**
 * Everything the plugins declared, frozen at start-up: the flags, what each built-in profile
 * receives, the menu, the hooks. Nothing registers after the server listens.
 */
export class Registry {
  readonly permissions: RegisteredPermission[];
  readonly keys: ReadonlySet<string>;
  /** Every flag but the narrowing ones: what the administrator profile and the primary administrator hold. */
  readonly everything: ReadonlySet<string>;
  readonly menu: (MenuEntry & { plugin: string })[];
  private readonly profileFlags: Map<ProfileId, ReadonlySet<string>>;

  constructor(readonly plugins: PluginManifest[]) {
    this.permissions = plugins.flatMap((p) => p.permissions.map((perm) => ({ ...perm, plugin: p.id })));
    this.keys = new Set(this.permissions.map((p) => p.key));
    this.menu = plugins.flatMap((p) => (p.menu ?? []).map((m) => ({ ...m, path: p.id === 'core' ? m.path : mountPath(p.id, m.path), plugin: p.id })));
    this.profileFlags = new Map(
      BUILT_IN_PROFILES.map((profile) => [profile, new Set(plugins.flatMap((p) => p.profiles?.[profile] ?? []))]),
    );
    this.everything = new Set(this.permissions.filter((p) => !p.narrows).map((p) => p.key));
    // The administrator profile holds every flag, whatever a plugin forgot to declare, except
    // flags that narrow access (an administrator who got "restrict tickets" would see less).
    this.profileFlags.set('administrator', this.everything);
    Object.freeze(this);
  }

  flagsOfProfile(profile: string): ReadonlySet<string> {
    return this.profileFlags.get(profile as ProfileId) ?? new Set();
  }

  get catalogs(): Catalogs[] {
    return this.plugins.flatMap((p) => (p.locales ? [p.locales] : []));
  }

  migrationSets(): MigrationSet[] {
    return this.plugins
      .filter((p) => p.migrations)
      .map((p) => ({ owner: p.id, directory: p.migrations!, tableName: `knex_migrations_${p.id.replace(/[^a-z0-9]/g, '_')}` }));
  }

  /**
   * Awaited inside the caller's transaction: a hook that throws rolls the whole change back. Each
   * hook gets its plugin's context (`contextOf`), so it reads contacts through the directory.
   */
  async runHook<N extends HookName>(
    name: N, event: HookEvents[N], trx: Knex.Transaction,
    contextOf: (plugin: PluginManifest) => PluginContext, hookContextOf: (plugin: PluginManifest) => HookContext,
  ): Promise<void> {
    for (const plugin of this.plugins) {
      const hook = plugin.hooks?.[name] as Hook<N> | undefined;
      if (!hook) continue;
      try {
        await hook(event, trx, contextOf(plugin), hookContextOf(plugin));
      } catch (err) {
        // A refusal keeps its message, and a conflict or an absent database is core's to handle
        // (the transaction helper reruns a deadlock): only the plugin's own failure is named.
        if (isDomainError(err) || isRetryable(err) || isDatabaseUnavailable(err)) throw err;
        throw new PluginHookFailed(plugin.id, name, err);
      }
    }
  }
}

/**
 * What a service that fires hooks is handed at composition: the registry's hooks with their
 * plugins' contexts. `actor` is the service's audit actor (server/audit's Actor: it carries the
 * request's IP and browser too, which the hooks' events keep; plugins read only HookActor's part).
 */
export interface PluginHooks {
  run<N extends HookName>(name: N, event: HookEvents[N], trx: Knex.Transaction, actor: HookActor): Promise<void>;
}

/** Where a plugin's routes live below the account. */
export function mountPath(pluginId: string, path: string): string {
  return `/p/${pluginId}${path === '/' ? '' : path}`;
}
