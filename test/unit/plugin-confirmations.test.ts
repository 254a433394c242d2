import { expect } from 'chai';
import type { PluginManifest } from '../../server/plugins/contract';
import { PluginError, validatePlugins } from '../../server/plugins/loader';

/** The loader's check of `confirmations`: the questions a plugin adds to the delete / deactivate dialog. */
function manifest(confirmations: unknown): PluginManifest {
  return {
    id: 'acme',
    name: 'plugins.acme.name',
    permissions: [],
    locales: { 'pt-BR': { plugins: { acme: { name: 'Acme' } } } },
    confirmations: confirmations as PluginManifest['confirmations'],
  };
}

const problemOf = (m: PluginManifest): string => {
  try {
    validatePlugins([m]);
  } catch (err) {
    expect(err).to.be.instanceOf(PluginError);
    return (err as Error).message;
  }
  return 'accepted';
};

describe('plugin loader: confirmations', () => {
  it('accepts a question for contact.deleting and for contact.deactivated', () => {
    const ask = async () => null;
    expect(problemOf(manifest({ 'contact.deleting': ask, 'contact.deactivated': ask }))).to.equal('accepted');
  });

  it('refuses a question for a change core does not confirm, and one that is not a function', () => {
    expect(problemOf(manifest({ 'owner.transferred': async () => null }))).to.match(/^Plugin "acme": confirmations: .*owner\.transferred/);
    expect(problemOf(manifest({ 'contact.deleting': 'receiver' }))).to.match(/^Plugin "acme": confirmations\.contact\.deleting: must be a function/);
  });
});
