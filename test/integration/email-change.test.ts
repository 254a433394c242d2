import { expect } from 'chai';
import { addMember, createAccount, PASSWORD, uniqueEmail } from '../support/fixtures';
import { agent, loggedIn, login, sharedPortal, type Agent, type TestPortal } from '../support/portal';
import { mailFor } from './helpers/security';

describe('e-mail change on "Meu perfil"', () => {
  let portal: TestPortal;
  before(async () => {
    portal = await sharedPortal();
  });

  const request = (a: Agent, csrf: string, newEmail: string, password = PASSWORD) => a.post('/me/email').type('form').send({ _csrf: csrf, newEmail, password });

  /** The confirmation link that arrived at the real SMTP listener for the new address. */
  async function confirmPathFor(email: string): Promise<string> {
    const mail = await mailFor(portal, email);
    const url = /https?:\/\/\S+\/me\/email\/confirm\/[A-Za-z0-9_-]+/.exec(mail.text ?? '')?.[0];
    if (!url) throw new Error(`no confirmation link in: ${mail.text}`);
    return new URL(url).pathname;
  }

  it('nothing changes until the new address confirms; then the login and every linked contact change', async () => {
    const first = await createAccount(portal.db);
    const second = await createAccount(portal.db);
    const inSecond = await addMember(portal.db, second.accountId, { email: first.admin.email });
    const { agent: a, csrf } = await loggedIn(portal, first.admin.email, PASSWORD);
    const newEmail = uniqueEmail('novo');

    const res = await request(a, csrf, newEmail.toUpperCase());
    expect(res.status).to.equal(303);
    expect((await a.get('/me')).text).to.contain(`Enviamos um link de confirmação para ${newEmail}`);
    expect((await portal.db('users').where({ id: first.admin.userId }).first('email')).email).to.equal(first.admin.email);
    expect((await login(agent(portal), newEmail, PASSWORD)).status).to.equal(401);

    const path = await confirmPathFor(newEmail);
    const page = await a.get(path);
    expect(page.status).to.equal(200);
    expect(page.text).to.contain(`Confirme a troca do seu e-mail para ${newEmail}`);
    const confirmed = await a.post(path).type('form').send({ _csrf: csrf });
    expect(confirmed.status).to.equal(303);
    expect((await a.get('/me')).text).to.contain(`E-mail alterado para ${newEmail}.`);

    expect((await portal.db('users').where({ id: first.admin.userId }).first('email')).email).to.equal(newEmail);
    const contacts = await portal.db('contacts').whereIn('id', [first.admin.contactId, inSecond.contactId]).select('email', 'search');
    expect(contacts.map((c) => c.email)).to.deep.equal([newEmail, newEmail]);
    expect(contacts[0].search).to.contain(newEmail);
    expect((await login(agent(portal), newEmail, PASSWORD)).status).to.equal(303);
    expect((await login(agent(portal), first.admin.email, PASSWORD)).status).to.equal(401);

    const events = await portal.db('audit_events').where({ actor_user_id: first.admin.userId }).whereIn('action', ['user.email_confirmed', 'contact.email_changed']).select('action', 'account_id');
    expect(events.map((e) => e.action).sort()).to.deep.equal(['contact.email_changed', 'contact.email_changed', 'user.email_confirmed']);
    expect(JSON.stringify(events)).not.to.contain(path.split('/').pop()!);

    // A link works once.
    expect((await a.post(path).type('form').send({ _csrf: csrf })).status).to.equal(404);
  });

  it('an address used by another login is refused', async () => {
    const { admin } = await createAccount(portal.db);
    const other = await createAccount(portal.db);
    const { agent: a, csrf } = await loggedIn(portal, admin.email, PASSWORD);
    const res = await request(a, csrf, other.admin.email);
    expect(res.status).to.equal(422);
    expect(res.text).to.contain('Este e-mail já é usado por outro usuário.');
    expect(await portal.db('user_tokens').where({ user_id: admin.userId })).to.have.length(0);
  });

  it('an address another contact of the same company has is refused', async () => {
    const { admin, accountId } = await createAccount(portal.db);
    const colleague = await addMember(portal.db, accountId);
    await portal.db('contacts').where({ id: colleague.contactId }).update({ user_id: null });
    await portal.db('users').where({ id: colleague.userId }).delete();
    const { agent: a, csrf } = await loggedIn(portal, admin.email, PASSWORD);
    expect((await request(a, csrf, colleague.email)).status).to.equal(422);
  });

  it('asks for the current password, a valid address and a different one', async () => {
    const { admin } = await createAccount(portal.db);
    const { agent: a, csrf } = await loggedIn(portal, admin.email, PASSWORD);
    expect((await request(a, csrf, uniqueEmail(), 'wrong password')).text).to.contain('Senha atual incorreta.');
    expect((await request(a, csrf, 'not-an-email')).status).to.equal(422);
    const same = await request(a, csrf, admin.email);
    expect(same.status).to.equal(422);
    expect(same.text).to.contain('Este já é o seu e-mail.');
  });

  it("an expired link, a forged one and another person's are refused", async () => {
    const { admin } = await createAccount(portal.db);
    const { agent: a, csrf } = await loggedIn(portal, admin.email, PASSWORD);
    const newEmail = uniqueEmail('novo');
    await request(a, csrf, newEmail);
    const path = await confirmPathFor(newEmail);

    const stranger = await createAccount(portal.db);
    const s = await loggedIn(portal, stranger.admin.email, PASSWORD);
    expect((await s.agent.post(path).type('form').send({ _csrf: s.csrf })).status).to.equal(404);
    expect((await a.get('/me/email/confirm/forged-token')).status).to.equal(404);

    await portal.db('user_tokens').where({ user_id: admin.userId, purpose: 'email_change' }).update({ expires_at: new Date(Date.now() - 1000) });
    const expired = await a.post(path).type('form').send({ _csrf: csrf });
    expect(expired.status).to.equal(404);
    expect(expired.text).to.contain('inválido, expirou ou já foi usado');
    expect((await portal.db('users').where({ id: admin.userId }).first('email')).email).to.equal(admin.email);
  });
});
