import { expect } from 'chai';
import { MemberContextRepository } from '../../server/accounts/member-context.repository';
import { addMember, createAccount, PASSWORD } from '../support/fixtures';
import { TEST_DB } from '../support/databases';
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

  it('a list page costs two statements: the session read with the membership and extra flags, then the list', async () => {
    const account = await createAccount(portal.db);
    const { agent } = await loggedIn(portal, account.admin.email, PASSWORD);
    const path = `/accounts/${account.accountId}/contacts`;
    await agent.get(path).expect(200); // the first view after login may renew the session's expiry
    const sent = await statementsDuring(portal, () => agent.get(path).expect(200));
    expect(sent, sent.join('\n---\n')).to.have.length(2);
    expect(sent[0]).to.match(/from sessions s\s+left join contacts c/).and.to.match(/where s\.sid = \?/).and.to.match(/join accounts a/).and.to.match(/from contact_permissions/).and.to.match(/join group_permissions/);
    expect(sent[1]).to.match(/from [`"]?contacts[`"]?/);
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

  it('still works when the session keeps the user in an older shape (only the id): the membership is then read on its own', async () => {
    const account = await createAccount(portal.db);
    const { agent } = await loggedIn(portal, account.admin.email, PASSWORD);
    const rows = await sessionCookie(portal);
    const mine = rows.find((s: { sess: string }) => JSON.parse(s.sess).passport?.user?.id === account.admin.userId);
    const sess = JSON.parse(mine.sess);
    sess.passport.user = account.admin.userId;
    await portal.db('sessions').where({ sid: mine.sid }).update({ sess: JSON.stringify(sess) });
    const path = `/accounts/${account.accountId}/contacts`;
    let html = '';
    const sent = await statementsDuring(portal, async () => {
      html = (await agent.get(path).expect(200)).text;
    });
    expect(html).to.include('Ana Administradora');
    // The session (no membership found through it), the user, the membership on its own, the list.
    expect(sent.some((q) => /from sessions s\s+left join contacts/.test(q))).to.equal(true);
    expect(sent.some((q) => /where c\.account_id = \? and c\.user_id = \?/.test(q))).to.equal(true);
  });

  it('many requests at once, from two people in two companies, each see only their own company', async () => {
    const a = await createAccount(portal.db, { name: 'Empresa Simultânea A' });
    const b = await createAccount(portal.db, { name: 'Empresa Simultânea B' });
    const [ua, ub] = await Promise.all([loggedIn(portal, a.admin.email, PASSWORD), loggedIn(portal, b.admin.email, PASSWORD)]);
    const requests = Array.from({ length: 20 }, (_, i) =>
      i % 2 ? ua.agent.get(`/accounts/${a.accountId}/contacts`).then((r) => ['A', r] as const) : ub.agent.get(`/accounts/${b.accountId}/contacts`).then((r) => ['B', r] as const),
    );
    const crossed = Array.from({ length: 6 }, (_, i) => (i % 2 ? ua.agent.get(`/accounts/${b.accountId}/contacts`) : ub.agent.get(`/accounts/${a.accountId}/contacts`)));
    for (const [who, res] of await Promise.all(requests)) {
      expect(res.status).to.equal(200);
      expect(res.text).to.include(`Empresa Simultânea ${who}`).and.not.include(`Empresa Simultânea ${who === 'A' ? 'B' : 'A'}`);
    }
    for (const res of await Promise.all(crossed)) expect(res.status).to.equal(404);
  });

  it('an unreadable session row gets an error page, not a request left hanging, and the next login works', async () => {
    const account = await createAccount(portal.db);
    const { agent } = await loggedIn(portal, account.admin.email, PASSWORD);
    const rows = await sessionCookie(portal);
    const mine = rows.find((s: { sess: string }) => JSON.parse(s.sess).passport?.user?.id === account.admin.userId);
    await portal.db('sessions').where({ sid: mine.sid }).update({ sess: '{not json' });
    const res = await agent.get(`/accounts/${account.accountId}/contacts`).timeout(5000);
    expect(res.status).to.equal(500);
    const again = await loggedIn(portal, account.admin.email, PASSWORD);
    await again.agent.get(`/accounts/${account.accountId}/contacts`).expect(200);
  });

  it('reads every extra flag of the contact, granted or through groups, however long the list', async () => {
    const account = await createAccount(portal.db);
    const contactId = account.admin.contactId;
    const granted = Array.from({ length: 60 }, (_, i) => `plugin.section.granted-flag-${String(i).padStart(3, '0')}`);
    const viaGroups = Array.from({ length: 60 }, (_, i) => `plugin.section.group-flag-${String(i).padStart(3, '0')}`);
    const now = new Date();
    const [groupA] = await portal.db('groups').insert({ account_id: account.accountId, name: 'Grupo A', created_at: now, updated_at: now });
    const [groupB] = await portal.db('groups').insert({ account_id: account.accountId, name: 'Grupo B', created_at: now, updated_at: now });
    await portal.db('contact_permissions').insert(granted.map((permission_key) => ({ contact_id: contactId, permission_key })));
    await portal.db('group_members').insert([groupA, groupB].map((group_id) => ({ contact_id: contactId, group_id })));
    // Both groups grant the same flags: each is listed once.
    for (const group_id of [groupA, groupB]) await portal.db('group_permissions').insert(viaGroups.map((permission_key) => ({ group_id, permission_key })));
    expect([...granted, ...viaGroups].join(',').length).to.be.greaterThan(1024); // MySQL 8's default group_concat limit

    const member = await new MemberContextRepository(portal.db).load(account.accountId, account.admin.userId);
    expect([...member!.extraFlags].sort()).to.deep.equal([...granted, ...viaGroups].sort());
    const withSession = await new MemberContextRepository(portal.db).loadWithSession('no-such-session', account.accountId);
    expect(withSession).to.deep.equal({ sess: null, userId: null, member: undefined });
    if (TEST_DB === 'mysql') {
      const [[row]] = await portal.db.raw('select @@session.group_concat_max_len as n');
      expect(Number(row.n)).to.be.at.least(1_048_576);
    }
  });
});
