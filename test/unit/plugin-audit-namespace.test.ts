import { expect } from 'chai';
import { pluginEvent } from '../../server/composition/plugin-hooks';
import type { PluginManifest } from '../../server/plugins/contract';

describe('a plugin\'s audit events', () => {
  const plugin = { id: 'support', name: 'x', permissions: [] } as PluginManifest;

  it('are written in the plugin\'s own namespace', () => {
    expect(pluginEvent(plugin, { action: 'support.tickets_handed_over' }).action).to.equal('support.tickets_handed_over');
  });

  it('cannot pass for core\'s or another plugin\'s (the trail names the writer from the action)', () => {
    for (const action of ['contact.deleted', 'cloud.environment_restarted', 'supportx.done', 'support']) {
      expect(() => pluginEvent(plugin, { action }), action).to.throw(/support\.<name>/);
    }
  });
});
