import path from 'node:path';
import { Router } from 'express';
import type { Knex } from 'knex';
import { actorFrom } from './audit/actor';
import type { AuditService } from './audit/audit.service';
import { NotFound } from './errors';
import { requirePermission } from './accounts/permission-guard';
import type { PermissionService } from './permissions/permissions.service';
import type { PluginContext } from './plugins/contract';
import { mountPath, type Registry } from './plugins/registry';

/**
 * Mounts every plugin route below the account router, each behind the guard of the flag it
 * declared: the same declaration drives the guard, the menu and the route matrix test.
 */
export function pluginRoutes(registry: Registry, deps: { db: Knex; audit: AuditService; permissions: PermissionService }) {
  const router = Router({ mergeParams: true });
  for (const plugin of registry.plugins) {
    const views = plugin.views;
    const ctx: PluginContext = {
      db: deps.db,
      render: (res, view, locals = {}, status = 200) => {
        if (!views) throw new Error(`plugin ${plugin.id} declares no views folder`);
        return res.renderPage(path.join(views, view), locals, status);
      },
      audit: (trx, req, event) => deps.audit.record(trx, actorFrom(req), { accountId: req.ctx!.account.id, ...event }),
      notFound: () => {
        throw new NotFound();
      },
      holders: (req, key) => deps.permissions.holders(req.ctx!.account.id, key),
    };
    for (const route of plugin.routes ?? []) {
      router[route.method](mountPath(plugin.id, route.path), requirePermission(route.requires), async (req, res) => {
        await route.handler(req, res, ctx);
      });
    }
  }
  return router;
}
