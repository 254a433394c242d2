/**
 * The account context: on every page below /accounts/:id the signed-in user's contact in that
 * account, its account and its permissions are read afresh, so whatever someone else changed (in
 * this process or another) applies on the contact's very next request.
 */
import { expect } from 'chai';
import { addMember, createAccount, PASSWORD } from '../support/fixtures';
import { loggedIn, sharedPortal, type TestPortal } from '../support/portal';
import { insertGroup, menuLinks } from './helpers/permissions';

const sessionsOf = async (portal: TestPortal, userId: number): Promise<{ sid: string; sess: string }[]> =>
  (await portal.db('sessions').select('sid', 'sess')).filter((s: { sess: string }) => {
    try {
      const user = JSON.parse(s.sess).passport?.user;
      return (user?.id ?? user) === userId;
    } catch {
      return false;
    }
  });

describe('account context: the membership and the permissions on every account page', () => {
  let portal: TestPortal;
  before(async () => {
    portal = await sharedPortal();
  });

  it('a flag granted by someone else opens its page on the next request, and taking it back closes it', async () => {
    const account = await createAccount(portal.db);
    const member = await addMember(portal.db, account.accountId, { profile: 'member' });
    const { agent } = await loggedIn(portal, member.email, PASSWORD);
    const groups = `/accounts/${account.accountId}/groups`;
    await agent.get(groups).expect(403);
    expect(menuLinks((await agent.get(`/accounts/${account.accountId}`)).text)).not.to.include(groups);

    await portal.db('contact_permissions').insert({ contact_id: member.contactId, permission_key: 'contacts.manage' });
    await agent.get(groups).expect(200);
    expect(menuLinks((await agent.get(`/accounts/${account.accountId}`)).text)).to.include(groups);

    await portal.db('contact_permissions').where({ contact_id: member.contactId }).delete();
    await agent.get(groups).expect(403);
  });

  it("a group's flags reach its members on their next request: joining, the group's flags changing, leaving", async () => {
    const account = await createAccount(portal.db);
    const member = await addMember(portal.db, account.accountId, { profile: 'observer' });
    const { agent } = await loggedIn(portal, member.email, PASSWORD);
    const groups = `/accounts/${account.accountId}/groups`;

    const groupId = await insertGroup(portal.db, account.accountId, 'Gestores', ['contacts.manage'], [member.contactId]);
    await agent.get(groups).expect(200);
    await portal.db('group_permissions').where({ group_id: groupId }).delete();
    await agent.get(groups).expect(403);
    await portal.db('group_permissions').insert({ group_id: groupId, permission_key: 'contacts.manage' });
    await agent.get(groups).expect(200);
    await portal.db('group_members').where({ group_id: groupId, contact_id: member.contactId }).delete();
    await agent.get(groups).expect(403);
  });

  it('a flag held both granted and through a group stays while either remains', async () => {
    const account = await createAccount(portal.db);
    const member = await addMember(portal.db, account.accountId, { profile: 'member' });
    const { agent } = await loggedIn(portal, member.email, PASSWORD);
    const groups = `/accounts/${account.accountId}/groups`;
    await portal.db('contact_permissions').insert({ contact_id: member.contactId, permission_key: 'contacts.manage' });
    const groupId = await insertGroup(portal.db, account.accountId, 'Gestores', ['contacts.manage'], [member.contactId]);
    await agent.get(groups).expect(200);

    await portal.db('contact_permissions').where({ contact_id: member.contactId }).delete();
    await agent.get(groups).expect(200);
    await portal.db('group_members').where({ group_id: groupId }).delete();
    await agent.get(groups).expect(403);
  });

  it('a session ended elsewhere (another process logged it out) has no access on its next request', async () => {
    const account = await createAccount(portal.db);
    const { agent } = await loggedIn(portal, account.admin.email, PASSWORD);
    const path = `/accounts/${account.accountId}/groups`;
    await agent.get(path).expect(200);
    const mine = await sessionsOf(portal, account.admin.userId);
    expect(mine).to.have.length(1);
    await portal.db('sessions').where({ sid: mine[0]!.sid }).delete();
    const res = await agent.get(path);
    expect(res.status).to.equal(302);
    expect(res.headers.location).to.equal('/login');
  });

  it('a contact deactivated by someone else loses the account on the very next request', async () => {
    const account = await createAccount(portal.db);
    const member = await addMember(portal.db, account.accountId, { profile: 'administrator' });
    const { agent } = await loggedIn(portal, member.email, PASSWORD);
    const path = `/accounts/${account.accountId}/groups`;
    await agent.get(path).expect(200);
    await portal.db('contacts').where({ id: member.contactId }).update({ status: 'deactivated' });
    await agent.get(path).expect(404);
    await agent.get(`/accounts/${account.accountId}`).expect(404);
  });

  it('the same person in two accounts has there the profile they have there; an account they are not in is not found', async () => {
    const a = await createAccount(portal.db, { name: 'Empresa Alfa' });
    const b = await createAccount(portal.db, { name: 'Empresa Beta' });
    // The same person: administrator in A, plain member in B.
    const inB = await addMember(portal.db, b.accountId, { email: a.admin.email, profile: 'member' });
    expect(inB.userId).to.equal(a.admin.userId);
    const { agent } = await loggedIn(portal, a.admin.email, PASSWORD);
    expect((await agent.get(`/accounts/${a.accountId}/groups`)).status).to.equal(200);
    expect((await agent.get(`/accounts/${b.accountId}/groups`)).status).to.equal(403);
    const home = await agent.get(`/accounts/${b.accountId}`);
    expect(home.status).to.equal(200);
    expect(home.text).to.include('Empresa Beta');
    // Someone else's account: not found, as if it did not exist.
    const c = await createAccount(portal.db);
    expect((await agent.get(`/accounts/${c.accountId}/groups`)).status).to.equal(404);
    expect((await agent.get(`/accounts/${c.accountId}`)).status).to.equal(404);
  });

  it('"Trocar de empresa" is offered only to someone active in two companies or more (a deactivated contact elsewhere does not count)', async () => {
    const a = await createAccount(portal.db);
    const { agent } = await loggedIn(portal, a.admin.email, PASSWORD);
    const offers = async () => (await agent.get(`/accounts/${a.accountId}`)).text.includes('href="/accounts"');
    expect(await offers(), 'one company').to.equal(false);
    const b = await createAccount(portal.db);
    await addMember(portal.db, b.accountId, { email: a.admin.email, status: 'deactivated' });
    expect(await offers(), 'deactivated in the other company').to.equal(false);
    const c = await createAccount(portal.db);
    await addMember(portal.db, c.accountId, { email: a.admin.email });
    expect(await offers(), 'active in two companies').to.equal(true);
  });

  it('still works when the session keeps the user in an older shape (only the id)', async () => {
    const account = await createAccount(portal.db, { name: 'Empresa Antiga' });
    const { agent } = await loggedIn(portal, account.admin.email, PASSWORD);
    const [mine] = await sessionsOf(portal, account.admin.userId);
    const sess = JSON.parse(mine!.sess);
    sess.passport.user = account.admin.userId;
    await portal.db('sessions').where({ sid: mine!.sid }).update({ sess: JSON.stringify(sess) });
    const html = (await agent.get(`/accounts/${account.accountId}/groups`).expect(200)).text;
    expect(html).to.include('Ana Administradora').and.to.include('Empresa Antiga');
  });

  it('many requests at once, from two people in two companies, each see only their own company', async () => {
    const a = await createAccount(portal.db, { name: 'Empresa Simultânea A' });
    const b = await createAccount(portal.db, { name: 'Empresa Simultânea B' });
    const [ua, ub] = await Promise.all([loggedIn(portal, a.admin.email, PASSWORD), loggedIn(portal, b.admin.email, PASSWORD)]);
    const requests = Array.from({ length: 20 }, (_, i) =>
      i % 2 ? ua.agent.get(`/accounts/${a.accountId}/groups`).then((r) => ['A', r] as const) : ub.agent.get(`/accounts/${b.accountId}/groups`).then((r) => ['B', r] as const),
    );
    const crossed = Array.from({ length: 6 }, (_, i) => (i % 2 ? ua.agent.get(`/accounts/${b.accountId}/groups`) : ub.agent.get(`/accounts/${a.accountId}/groups`)));
    for (const [who, res] of await Promise.all(requests)) {
      expect(res.status).to.equal(200);
      expect(res.text).to.include(`Empresa Simultânea ${who}`).and.not.include(`Empresa Simultânea ${who === 'A' ? 'B' : 'A'}`);
    }
    for (const res of await Promise.all(crossed)) expect(res.status).to.equal(404);
  });

  it('an unreadable session row gets an error page, not a request left hanging, and the next login works', async () => {
    const account = await createAccount(portal.db);
    const { agent } = await loggedIn(portal, account.admin.email, PASSWORD);
    const [mine] = await sessionsOf(portal, account.admin.userId);
    await portal.db('sessions').where({ sid: mine!.sid }).update({ sess: '{not json' });
    const res = await agent.get(`/accounts/${account.accountId}/groups`).timeout(5000);
    expect(res.status).to.equal(500);
    const again = await loggedIn(portal, account.admin.email, PASSWORD);
    await again.agent.get(`/accounts/${account.accountId}/groups`).expect(200);
  });
});
