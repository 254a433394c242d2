import type { PluginContext, PluginManifest } from '../plugins/contract';
import type { PluginHooks, Registry } from '../plugins/registry';

/** The hooks the services fire (a contact deleted or deactivated, the owner transferred), each with its plugin's context. */
export function pluginHooks(registry: Registry, contextOf: (plugin: PluginManifest) => PluginContext): PluginHooks {
  return { run: (name, event, trx) => registry.runHook(name, event, trx, contextOf) };
}
