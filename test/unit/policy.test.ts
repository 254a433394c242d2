import { expect } from 'chai';
import { coreManifest } from '../../server/plugins/core-manifest';
import { can, canGrant, effectivePermissions } from '../../server/permissions/policy';
import { definePlugin } from '../../server/plugins/contract';
import { Registry } from '../../server/plugins/registry';

const tickets = definePlugin({
  id: 'tickets',
  name: 'x',
  permissions: [
    { key: 'tickets.open', label: 'x' },
    { key: 'tickets.own-only', label: 'x', narrows: true },
  ],
  profiles: { member: ['tickets.open'], observer: ['tickets.own-only'] },
});
const registry = new Registry([coreManifest, tickets]);

describe('permission policy', () => {
  it('gives the administrator profile and the primary administrator every flag but the narrowing ones', () => {
    const admin = effectivePermissions(registry, { profile: 'administrator', isOwner: false });
    const owner = effectivePermissions(registry, { profile: 'observer', isOwner: true });
    for (const set of [admin, owner]) {
      expect(can(set, 'tickets.open')).to.equal(true);
      expect(can(set, 'contacts.manage')).to.equal(true);
      expect(can(set, 'tickets.own-only')).to.equal(false);
    }
  });

  it('is the union of the profile and the extra grants, ignoring keys no plugin declares (switched off)', () => {
    const set = effectivePermissions(registry, { profile: 'member', isOwner: false, extraFlags: ['audit.view', 'cloud.it-admin'] });
    expect([...set].sort()).to.deep.equal(['audit.view', 'documents.download', 'tickets.open']);
  });

  it('lets an editor grant what they hold, and any narrowing flag, but nothing else', () => {
    const owner = effectivePermissions(registry, { profile: 'administrator', isOwner: true });
    const member = effectivePermissions(registry, { profile: 'member', isOwner: false });
    expect(canGrant(registry, owner, 'tickets.own-only')).to.equal(true);
    expect(canGrant(registry, member, 'tickets.open')).to.equal(true);
    expect(canGrant(registry, member, 'contacts.manage')).to.equal(false);
    expect(canGrant(registry, member, 'unknown.flag')).to.equal(false);
  });
});
