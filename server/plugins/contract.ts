/**
 * The plugin contract: the only core file a plugin imports. A plugin declares its permission
 * flags, which built-in profiles receive them, its menu entries, routes, migrations, views,
 * locales and hooks; the loader validates the declaration before the server listens.
 */
import type { Request, Response } from 'express';
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
  /**
   * A flag that takes access away (e.g. "see only your own tickets"). Not part of "everything":
   * the administrator profile and the primary administrator never hold it.
   */
  narrows?: boolean;
}

export interface MenuEntry {
  label: string;
  /** A plugin's path is below its mount (`/` is `/accounts/:a/p/<id>`); core's is below the account. */
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

/**
 * What a plugin's route handlers are handed. `req.ctx` holds the account, the contact and `can()`;
 * the guard for the route's declared flag has already run.
 */
export interface PluginContext {
  db: Knex;
  /** Renders `<plugin views>/<view>.ejs` inside the portal layout. */
  render(res: Response, view: string, locals?: Record<string, unknown>, status?: number): Promise<void>;
  /** Writes an audit event for the current account, signed by the current contact, in `trx`. */
  audit(trx: Knex.Transaction, req: Request, event: { action: string; target?: { type: string; id: number | string }; details?: Record<string, unknown> }): Promise<void>;
  /** Answers the portal's 404 page (an id of another account, a missing record). */
  notFound(): never;
  /** Active contacts of the current account who hold `key`. */
  holders(req: Request, key: string): Promise<{ id: number; name: string; email: string }[]>;
}

export interface RouteDeclaration {
  method: 'get' | 'post';
  /** Below `/accounts/:accountId/p/<plugin id>`. */
  path: string;
  /** The flag the route needs; the guard, the route matrix test and the menu all read it. */
  requires: string;
  handler: (req: Request, res: Response, ctx: PluginContext) => unknown;
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
  /**
   * Demo data for one account, called by `npm run seed:demo` inside its transaction; `grants`
   * gives the plugin's flags to the demo's contacts without the plugin touching core's tables.
   */
  seedDemo?: (trx: Knex.Transaction, account: { id: number; index: number }, grants: DemoGrants) => Promise<void>;
}

/** What `seed:demo` lets a plugin grant in the demo account it is seeding. */
export interface DemoGrants {
  /**
   * A permission group granting `flags`, with the account's first active member in it. Does
   * nothing when the account already has a group of that name, so a second seed run adds nothing.
   */
  group(name: string, description: string, flags: string[]): Promise<void>;
}

/**
 * Thrown by a hook to refuse the change with a message the user reads (an i18n key of the
 * plugin's locales), e.g. "transfer the open tickets first". The core transaction rolls back.
 */
// The same global symbol core's errors carry (server/errors.ts): recognised across module copies.
const DOMAIN_ERROR: unique symbol = Symbol.for('portal.domain-error') as never;

export class HookRefusal extends Error {
  readonly [DOMAIN_ERROR] = true;
  readonly status = 409;
  constructor(
    readonly messageKey: string,
    readonly params: Record<string, unknown> = {},
  ) {
    super(messageKey);
    this.name = 'HookRefusal';
  }
}

export function definePlugin(manifest: PluginManifest): PluginManifest {
  return manifest;
}
