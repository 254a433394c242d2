import { expect } from 'chai';
import type { AccountContext } from '../../server/accounts/account-context';
import { requirePermission } from '../../server/http/guards';
import { CORE_FLAGS, coreManifest } from '../../server/plugins/core-manifest';

describe('flag names', () => {
  it('core declares exactly the flags CORE_FLAGS names', () => {
    expect(coreManifest.permissions.map((p) => p.key)).to.deep.equal(Object.values(CORE_FLAGS));
  });

  it('a misspelt core flag does not compile; a name read at run time does (tsc checks the @ts-expect-error lines)', () => {
    const ctx = { can: () => true } as unknown as AccountContext;
    requirePermission(CORE_FLAGS.contactsManage);
    requirePermission('contacts.manage');
    // @ts-expect-error 'contacts.manag' is no flag of core's
    requirePermission('contacts.manag');
    ctx.can(CORE_FLAGS.accountSettings);
    // @ts-expect-error 'acount.settings' is no flag of core's
    ctx.can('acount.settings');
    const declared: string = 'support.portal'; // as a plugin's manifest hands it over
    requirePermission(declared);
    expect(ctx.can(declared)).to.equal(true);
  });
});
