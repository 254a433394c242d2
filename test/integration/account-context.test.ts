import { expect } from 'chai';
import { addMember, createAccount, PASSWORD } from '../support/fixtures';
import { loggedIn, sharedPortal, type TestPortal } from '../support/portal';

/** The statements the database receives while `action` runs. */
async function statementsDuring(portal: TestPortal, action: () => Promise<unknown>): Promise<string[]> {
  const sent: string[] = [];
  const listener = (q: { sql: string }) => sent.push(q.sql);
  portal.db.on('query', listener);
  try {
    await action();
  } finally {
    portal.db.off('query', listener);
  }
  return sent;
}

const sessionCookie = (portal: TestPortal) => portal.db('sessions').select('sid', 'sess');

describe('account context: the session and the membership on every account page', () => {
  let portal: TestPortal;
  before(async () => {
    portal = await sharedPortal();
  });

  it('a list page costs three statements: the session, membership with extra flags, the list', async () => {
    const account = await createAccount(portal.db);
    const { agent } = await loggedIn(portal, account.admin.email, PASSWORD);
    const path = `/accounts/${account.accountId}/contacts`;
    await agent.get(path).expect(200); // the first view after login may renew the session's expiry
    const sent = await statementsDuring(portal, () => agent.get(path).expect(200));
    expect(sent, sent.join('\n---\n')).to.have.length(3);
    expect(sent[0]).to.match(/from [`"]?sessions[`"]?/);
    expect(sent[1]).to.match(/join accounts a/).and.to.match(/join contact_permissions/).and.to.match(/join group_permissions/);
    expect(sent[2]).to.match(/from [`"]?contacts[`"]?/);
  });

  it('a session ended elsewhere (another process logged it out) has no access on its next request', async () => {
    const account = await createAccount(portal.db);
    const { agent } = await loggedIn(portal, account.admin.email, PASSWORD);
    const path = `/accounts/${account.accountId}/contacts`;
    await agent.get(path).expect(200);
    const before = await sessionCookie(portal);
    const mine = before.filter((s: { sess: string }) => JSON.parse(s.sess).passport?.user?.id === account.admin.userId);
    expect(mine).to.have.length(1);
    await portal.db('sessions').where({ sid: mine[0].sid }).delete();
    const res = await agent.get(path);
    expect(res.status).to.equal(302);
    expect(res.headers.location).to.equal('/login');
  });

  it('a contact deactivated by someone else loses the account on the very next request', async () => {
    const account = await createAccount(portal.db);
    const member = await addMember(portal.db, account.accountId, { profile: 'administrator' });
    const { agent } = await loggedIn(portal, member.email, PASSWORD);
    const path = `/accounts/${account.accountId}/contacts`;
    await agent.get(path).expect(200);
    await portal.db('contacts').where({ id: member.contactId }).update({ status: 'deactivated' });
    await agent.get(path).expect(404);
  });

  it('the membership read with the session is the session user\'s, in the account of the address', async () => {
    const a = await createAccount(portal.db, { name: 'Empresa Alfa' });
    const b = await createAccount(portal.db, { name: 'Empresa Beta' });
    // The same person: administrator in A, plain member in B.
    const inB = await addMember(portal.db, b.accountId, { email: a.admin.email, profile: 'member' });
    expect(inB.userId).to.equal(a.admin.userId);
    const { agent } = await loggedIn(portal, a.admin.email, PASSWORD);
    expect((await agent.get(`/accounts/${a.accountId}/contacts`)).status).to.equal(200);
    expect((await agent.get(`/accounts/${b.accountId}/contacts`)).status).to.equal(403);
    const home = await agent.get(`/accounts/${b.accountId}`);
    expect(home.status).to.equal(200);
    expect(home.text).to.include('Empresa Beta');
    // Someone else's account: not found, as if it did not exist.
    const c = await createAccount(portal.db);
    expect((await agent.get(`/accounts/${c.accountId}/contacts`)).status).to.equal(404);
  });
});
