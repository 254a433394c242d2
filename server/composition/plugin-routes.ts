import { Router } from 'express';
import { requirePermission, requireStepUp } from '../http/guards';
import type { PluginContext, PluginManifest, PluginRequest } from '../plugins/contract';
import { mountPath, type Registry } from '../plugins/registry';

/**
 * Mounts every plugin route below the account router, each behind the guard of the flag it
 * declared (and the step-up when it asks for one): the same declaration drives the guard, the
 * menu and the route matrix test.
 */
export function pluginRoutes(registry: Registry, contextOf: (plugin: PluginManifest) => PluginContext) {
  const router = Router({ mergeParams: true });
  for (const plugin of registry.plugins) {
    const ctx = contextOf(plugin);
    for (const route of plugin.routes ?? []) {
      // A route declared `stepUp` asks for the confirmation after its flag's guard, as core's do.
      const guards = route.stepUp ? [requirePermission(route.requires), requireStepUp] : [requirePermission(route.requires)];
      router[route.method](mountPath(plugin.id, route.path), ...guards, async (req, res) => {
        // The account context ran before the guard, so `req.ctx` is set here.
        await route.handler(req as PluginRequest, res, ctx);
      });
    }
  }
  return router;
}
