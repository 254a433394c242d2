import path from 'node:path';
import type { Knex } from 'knex';
import { actorFrom } from '../audit/actor';
import { inTransaction } from '../db/transaction';
import type { AuditService } from '../audit/audit.service';
import { NotFound } from '../errors';
import type { PermissionService } from '../permissions/permissions.service';
import { contactsDirectory } from './contacts-directory';
import type { PluginContext, PluginManifest } from '../plugins/contract';
import { mountPath } from '../plugins/registry';
import { pluginEvent } from './plugin-hooks';

export interface PluginContextDeps {
  db: Knex;
  audit: AuditService;
  permissions: PermissionService;
  /** DATA_DIR, absolute: each plugin gets a folder below it. */
  dataDir: string;
}

/**
 * What core hands one plugin's handlers (routes, confirmation questions): the same object for
 * every request, each method reading the account from the request it is given.
 */
export function createPluginContext(plugin: PluginManifest, deps: PluginContextDeps): PluginContext {
  const views = plugin.views;
  return {
    db: deps.db,
    transaction: (work) => inTransaction(deps.db, work),
    render: (res, view, locals = {}, status = 200) => {
      if (!views) throw new Error(`plugin ${plugin.id} declares no views folder`);
      return res.renderPage(path.join(views, view), locals, status);
    },
    audit: (trx, req, event) => deps.audit.record(trx, actorFrom(req), { accountId: req.ctx!.account.id, ...pluginEvent(plugin, event) }),
    notFound: () => {
      throw new NotFound();
    },
    holders: (req, key) => deps.permissions.holders(req.ctx!.account.id, key),
    baseUrl: (req) => `/accounts/${req.ctx!.account.id}${mountPath(plugin.id, '/')}`,
    contacts: contactsDirectory(deps.db, deps.permissions),
    filesDir: path.join(deps.dataDir, 'plugins', plugin.id),
  };
}

/** One context per plugin, made on first use: routes, confirmation questions and hooks share it. */
export function pluginContexts(deps: PluginContextDeps): (plugin: PluginManifest) => PluginContext {
  const made = new Map<string, PluginContext>();
  return (plugin) => {
    if (!made.has(plugin.id)) made.set(plugin.id, createPluginContext(plugin, deps));
    return made.get(plugin.id)!;
  };
}
