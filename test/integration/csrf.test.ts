import { expect } from 'chai';
import { addMember, createAccount, PASSWORD } from '../support/fixtures';
import { insertEnvironment, insertGroup } from './helpers/permissions';
import { agent, csrfFrom, loggedIn, sharedPortal, startPortal, type TestPortal } from '../support/portal';

const CSRF_MESSAGE = 'Sua sessão expirou ou o formulário é antigo. Recarregue a página e tente novamente.';

describe('CSRF protection', () => {
  let portal: TestPortal;
  before(async () => {
    portal = await sharedPortal();
  });

  const nameOf = async (userId: number) => (await portal.db('users').where({ id: userId }).first('name')).name as string;

  it('a POST without _csrf answers 403 with a message and changes nothing', async () => {
    const { admin } = await createAccount(portal.db);
    const { agent: a } = await loggedIn(portal, admin.email, PASSWORD);
    const res = await a.post('/me').type('form').send({ name: 'Nome Forjado' });
    expect(res.status).to.equal(403);
    expect(res.text).to.contain(CSRF_MESSAGE);
    expect(await nameOf(admin.userId)).to.equal(admin.name);
    const page = await a.get('/me');
    expect(page.text).not.to.contain('Nome Forjado');
  });

  it('a POST with a wrong _csrf answers 403 and changes nothing', async () => {
    const { admin } = await createAccount(portal.db);
    const { agent: a } = await loggedIn(portal, admin.email, PASSWORD);
    const res = await a.post('/me').type('form').send({ _csrf: 'not-the-token', name: 'Nome Forjado' });
    expect(res.status).to.equal(403);
    expect(await nameOf(admin.userId)).to.equal(admin.name);
  });

  it('the token sent in the x-csrf-token header (as HTMX does) is accepted', async () => {
    const { admin } = await createAccount(portal.db);
    const { agent: a, csrf } = await loggedIn(portal, admin.email, PASSWORD);
    const res = await a.post('/me').set('x-csrf-token', csrf).type('form').send({ name: 'Nome Pelo Cabeçalho' });
    expect(res.status).to.equal(303);
    expect(await nameOf(admin.userId)).to.equal('Nome Pelo Cabeçalho');
  });

  it("refuses another session's token", async () => {
    const victim = await createAccount(portal.db);
    const attacker = await createAccount(portal.db);
    const { agent: victimAgent } = await loggedIn(portal, victim.admin.email, PASSWORD);
    const { csrf: attackerToken } = await loggedIn(portal, attacker.admin.email, PASSWORD);
    const res = await victimAgent.post('/me').type('form').send({ _csrf: attackerToken, name: 'Nome Forjado' });
    expect(res.status).to.equal(403);
    expect(await nameOf(victim.admin.userId)).to.equal(victim.admin.name);
    const header = await victimAgent.post('/me').set('x-csrf-token', attackerToken).type('form').send({ name: 'Nome Forjado' });
    expect(header.status).to.equal(403);
    expect(await nameOf(victim.admin.userId)).to.equal(victim.admin.name);
  });

  it('login without _csrf answers 403 and does not log in', async () => {
    const { admin } = await createAccount(portal.db);
    const a = agent(portal);
    await a.get('/login');
    const res = await a.post('/login').type('form').send({ email: admin.email, password: PASSWORD });
    expect(res.status).to.equal(403);
    const after = await a.get('/accounts');
    expect(after.status).to.equal(302);
    expect(after.headers.location).to.equal('/login');
  });

  it('logout without _csrf answers 403 and the session stays open', async () => {
    const { admin, accountId } = await createAccount(portal.db);
    const { agent: a } = await loggedIn(portal, admin.email, PASSWORD);
    const res = await a.post('/logout').type('form').send({});
    expect(res.status).to.equal(403);
    expect((await a.get(`/accounts/${accountId}`)).status).to.equal(200);
  });

  it('the token of the anonymous session does not survive login', async () => {
    const { admin } = await createAccount(portal.db);
    const a = agent(portal);
    const before = await csrfFrom(a, '/login');
    const res = await a.post('/login').type('form').send({ _csrf: before, email: admin.email, password: PASSWORD });
    expect(res.status).to.equal(303);
    const forged = await a.post('/me').type('form').send({ _csrf: before, name: 'Nome Forjado' });
    expect(forged.status).to.equal(403);
    expect(await nameOf(admin.userId)).to.equal(admin.name);
  });
});

describe('a POST with no body, only the CSRF header', () => {
  it('every form of the portal answers 4xx or does its job, never a 500', async () => {
    const portal = await sharedPortal();
    const { accountId, admin } = await createAccount(portal.db);
    const member = await addMember(portal.db, accountId);
    const groupId = await insertGroup(portal.db, accountId, 'Grupo sem corpo', ['support.portal']);
    const environmentId = await insertEnvironment(portal.db, accountId);
    const { agent: a, csrf } = await loggedIn(portal, admin.email, PASSWORD);
    const base = `/accounts/${accountId}`;
    const urls = [
      `${base}/contacts`, `${base}/contacts/validate`, `${base}/contacts/form`, `${base}/contacts/${member.contactId}/edit`,
      `${base}/contacts/${member.contactId}/permissions`, `${base}/groups`, `${base}/groups/${groupId}`,
      `${base}/contacts/${member.contactId}/deactivate`, `${base}/contacts/${member.contactId}/reactivate`,
      `${base}/p/cloud/environments/${environmentId}/restart`, `${base}/groups/${groupId}/delete`,
      `${base}/contacts/${member.contactId}/delete`, '/me', '/me/password', '/setup', '/logout',
    ];
    const answers: string[] = [];
    for (const url of urls) answers.push(`${url} ${(await a.post(url).set('x-csrf-token', csrf)).status}`);
    expect(answers.filter((line) => / 5\d\d$/.test(line)), answers.join('\n')).to.deep.equal([]);
  });
});

describe('CSRF protection of /setup', () => {
  it('a POST /setup without _csrf answers 403 and creates nothing', async () => {
    const portal = await startPortal();
    const a = agent(portal);
    await a.get('/setup');
    const res = await a.post('/setup').type('form').send({
      companyName: 'Empresa Forjada', name: 'Admin Forjado', email: 'forjado@example.test',
      password: 'uma senha longa o bastante', passwordConfirmation: 'uma senha longa o bastante',
    });
    expect(res.status).to.equal(403);
    expect(await portal.db('accounts').count({ n: '*' }).first()).to.deep.include({ n: 0 });
    expect(await portal.db('users').count({ n: '*' }).first()).to.deep.include({ n: 0 });
    expect((await a.get('/setup')).status).to.equal(200);
  });
});
