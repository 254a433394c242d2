/**
 * Removing a narrowing flag ("Restringir acesso aos chamados") gives access back, so it is a grant:
 * nobody lifts a restriction they are under themselves, not directly, not by leaving (or being
 * taken out of) a group that carries it, not by taking it out of a group or deleting the group.
 * An editor who is not under it (the primary administrator, an unrestricted administrator) may.
 */
import { expect } from 'chai';
import { addMember, createAccount, PASSWORD } from '../support/fixtures';
import { loggedIn, sharedPortal, type TestPortal } from '../support/portal';
import { decode } from './helpers/contacts';
import { insertGroup, postForm, storedGrants } from './helpers/permissions';

const RESTRICTED = 'support.restricted';
const CANNOT_LIFT = 'Você não pode retirar uma restrição à qual você mesmo está sujeito.';

describe('Removing a narrowing flag is a grant', () => {
  let portal: TestPortal;
  before(async () => {
    portal = await sharedPortal();
  });

  /**
   * An account whose administrator Rita is restricted through the group "Restritos" (with the
   * member Mario), and whose custom contact Caio manages contacts and is restricted by an explicit grant.
   */
  async function setup() {
    const account = await createAccount(portal.db);
    const base = `/accounts/${account.accountId}`;
    const rita = await addMember(portal.db, account.accountId, { profile: 'administrator', name: 'Rita Restrita' });
    const mario = await addMember(portal.db, account.accountId, { profile: 'member', name: 'Mario Membro' });
    const caio = await addMember(portal.db, account.accountId, { profile: 'custom', name: 'Caio Custom' });
    await portal.db('contact_permissions').insert(['contacts.manage', 'support.portal', RESTRICTED].map((permission_key) => ({ contact_id: caio.contactId, permission_key })));
    const groupId = await insertGroup(portal.db, account.accountId, 'Restritos', [RESTRICTED, 'support.portal'], [rita.contactId, mario.contactId]);
    const session = (email: string) => loggedIn(portal, email, PASSWORD);
    return { account, base, rita, mario, caio, groupId, session, editor: (contactId: number) => `${base}/contacts/${contactId}/permissions` };
  }

  const membersOf = async (groupId: number) =>
    (await portal.db('group_members').where({ group_id: groupId }).orderBy('contact_id').select('contact_id')).map((r: { contact_id: number }) => r.contact_id);
  const groupFlags = async (groupId: number) =>
    (await portal.db('group_permissions').where({ group_id: groupId }).select('permission_key')).map((r: { permission_key: string }) => r.permission_key).sort();

  it('directly: a contact restricted by an explicit grant cannot take it off themselves nor off anyone else', async () => {
    const { account, caio, session, editor } = await setup();
    const other = await addMember(portal.db, account.accountId, { profile: 'custom', name: 'Olga Outra' });
    await portal.db('contact_permissions').insert({ contact_id: other.contactId, permission_key: RESTRICTED });
    const c = await session(caio.email);

    const self = await postForm(c.agent, editor(caio.contactId), c.csrf, { profile: 'custom', flags: ['contacts.manage', 'support.portal'] });
    expect(self.status).to.equal(403);
    expect(decode(self.text)).to.contain(CANNOT_LIFT);
    expect(await storedGrants(portal.db, caio.contactId)).to.deep.equal(['contacts.manage', RESTRICTED, 'support.portal'].sort());
    // A move to a built-in profile drops explicit grants: the same lifting.
    expect((await postForm(c.agent, editor(caio.contactId), c.csrf, { profile: 'member' })).status).to.equal(403);

    const others = await postForm(c.agent, editor(other.contactId), c.csrf, { profile: 'custom', flags: [] });
    expect(others.status).to.equal(403);
    expect(await storedGrants(portal.db, other.contactId)).to.deep.equal([RESTRICTED]);
    // Giving it, or saving without lifting it, stays possible.
    expect((await postForm(c.agent, editor(other.contactId), c.csrf, { profile: 'custom', flags: [RESTRICTED, 'support.portal'] })).status).to.equal(303);
    expect((await postForm(c.agent, editor(caio.contactId), c.csrf, { profile: 'custom', flags: ['contacts.manage', RESTRICTED] })).status).to.equal(303);
  });

  it('by leaving a group that carries it, or by taking someone else out of it', async () => {
    const { rita, mario, groupId, session, editor } = await setup();
    const r = await session(rita.email);
    const leave = await postForm(r.agent, editor(rita.contactId), r.csrf, { profile: 'administrator', groups: [] });
    expect(leave.status).to.equal(403);
    expect(decode(leave.text)).to.contain(CANNOT_LIFT);
    const takeOut = await postForm(r.agent, editor(mario.contactId), r.csrf, { profile: 'member', groups: [] });
    expect(takeOut.status).to.equal(403);
    expect(await membersOf(groupId)).to.deep.equal([rita.contactId, mario.contactId]);
    // Keeping the group, the rest of the contact can change.
    expect((await postForm(r.agent, editor(mario.contactId), r.csrf, { profile: 'observer', groups: [groupId] })).status).to.equal(303);
  });

  it('by taking it out of a group, or by deleting the group', async () => {
    const { base, rita, groupId, session } = await setup();
    const r = await session(rita.email);
    const edit = await postForm(r.agent, `${base}/groups/${groupId}`, r.csrf, { name: 'Restritos', flags: ['support.portal'] });
    expect(edit.status).to.equal(403);
    expect(decode(edit.text)).to.contain(CANNOT_LIFT);
    expect(await groupFlags(groupId)).to.deep.equal([RESTRICTED, 'support.portal'].sort());

    const remove = await postForm(r.agent, `${base}/groups/${groupId}/delete`, r.csrf);
    expect(remove.status).to.equal(403);
    expect(decode(remove.text)).to.contain(CANNOT_LIFT);
    expect(await groupFlags(groupId)).to.deep.equal([RESTRICTED, 'support.portal'].sort());
    expect(await membersOf(groupId)).to.have.length(2);
    // Renaming it, flags kept, is no lifting.
    expect((await postForm(r.agent, `${base}/groups/${groupId}`, r.csrf, { name: 'Restritos (suporte)', flags: [RESTRICTED, 'support.portal'] })).status).to.equal(303);
  });

  it('an editor who is not under the restriction lifts it every way', async () => {
    const { account, base, rita, mario, caio, groupId, session, editor } = await setup();
    const owner = await session(account.admin.email);
    expect((await postForm(owner.agent, editor(caio.contactId), owner.csrf, { profile: 'custom', flags: ['contacts.manage'] })).status).to.equal(303);
    expect(await storedGrants(portal.db, caio.contactId)).to.deep.equal(['contacts.manage']);
    expect((await postForm(owner.agent, editor(mario.contactId), owner.csrf, { profile: 'member', groups: [] })).status).to.equal(303);
    expect(await membersOf(groupId)).to.deep.equal([rita.contactId]);

    const free = await addMember(portal.db, account.accountId, { profile: 'administrator', name: 'Fabio Livre' });
    const f = await session(free.email);
    expect((await postForm(f.agent, `${base}/groups/${groupId}`, f.csrf, { name: 'Restritos', flags: ['support.portal'] })).status).to.equal(303);
    await portal.db('group_permissions').insert({ group_id: groupId, permission_key: RESTRICTED });
    expect((await postForm(f.agent, `${base}/groups/${groupId}/delete`, f.csrf)).status).to.equal(303);
    expect(await portal.db('groups').where({ id: groupId }).first()).to.equal(undefined);
  });
});
