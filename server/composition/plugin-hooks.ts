import type { AuditService } from '../audit/audit.service';
import type { HookActor, HookContext, PluginAuditEvent, PluginContext, PluginManifest } from '../plugins/contract';
import type { PluginHooks, Registry } from '../plugins/registry';

/**
 * A plugin writes only in its own namespace (`support.*` for the support plugin): the trail names
 * the plugin from the action, so a plugin cannot pass its events off as core's or another's.
 */
export function pluginEvent(plugin: PluginManifest, event: PluginAuditEvent): PluginAuditEvent {
  if (!event.action.startsWith(`${plugin.id}.`) || event.action.length > 80) {
    throw new Error(`plugin ${plugin.id} may only write audit actions named "${plugin.id}.<name>" (got "${event.action}")`);
  }
  return event;
}

/**
 * The hooks the services fire (a contact deleted or deactivated, the owner transferred), each with
 * its plugin's context and a hook context: the actor, and an audit writer bound to the hook's
 * transaction and the event's account.
 */
export function pluginHooks(registry: Registry, contextOf: (plugin: PluginManifest) => PluginContext, audit: AuditService): PluginHooks {
  return {
    run: (name, event, trx, actor) => {
      // What the plugin reads of the actor; the audit writer keeps the whole one (IP, browser).
      const shown: HookActor = Object.freeze({ userId: actor.userId, contactId: actor.contactId, name: actor.name });
      const hookContextOf = (plugin: PluginManifest): HookContext => ({
        actor: shown,
        audit: (e) => audit.record(trx, actor, { accountId: event.accountId, ...pluginEvent(plugin, e) }),
      });
      return registry.runHook(name, event, trx, contextOf, hookContextOf);
    },
  };
}
