import { expect } from 'chai';
import { readableDetails } from '../../server/audit/event-format';
import { addMember, createAccount, PASSWORD, uniqueEmail } from '../support/fixtures';
import { agent, loggedIn, login, sharedPortal, type Agent, type TestPortal } from '../support/portal';
import { sharedSmtp, to } from '../support/mail';
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

  /** What the person sees after asking: the answer's status and target, then the page it leads to, with the address blanked. */
  async function answerTo(a: Agent, csrf: string, newEmail: string) {
    const res = await request(a, csrf, newEmail);
    const page = await a.get(res.headers.location ?? '/me');
    return { status: res.status, location: res.headers.location, page: page.text.split(newEmail).join('<address>') };
  }

  it("an address another login has gets exactly the answer a free one gets; that address is told it is in use, with nothing to click", async () => {
    const { admin } = await createAccount(portal.db);
    const other = await createAccount(portal.db);
    const { agent: a, csrf } = await loggedIn(portal, admin.email, PASSWORD);
    const free = uniqueEmail('livre');

    const taken = await answerTo(a, csrf, other.admin.email);
    const answered = await answerTo(a, csrf, free);
    expect(taken).to.deep.equal(answered);
    expect(taken.status).to.equal(303);
    expect(taken.page).to.contain('Enviamos um link de confirmação para <address>').and.not.to.contain('Este e-mail já é usado');

    const notice = await mailFor(portal, other.admin.email);
    expect(notice.subject).to.equal('Seu e-mail já está em uso no Portal');
    expect(notice.text).to.contain(`Alguém pediu para usar ${other.admin.email} como e-mail de entrada de outra conta no Portal do Cliente`);
    expect(notice.text).not.to.match(/https?:\/\//);
    expect(notice.html).not.to.match(/<a\b/);
    expect(await confirmPathFor(free)).to.match(/^\/me\/email\/confirm\//);

    expect(await portal.db('user_tokens').where({ user_id: admin.userId, new_email: other.admin.email })).to.have.length(0);
    expect((await portal.db('users').where({ id: admin.userId }).first('email')).email).to.equal(admin.email);
    expect((await portal.db('users').where({ id: other.admin.userId }).first('email')).email).to.equal(other.admin.email);
    const asked = await portal.db('audit_events').where({ actor_user_id: admin.userId, action: 'user.email_change_requested' }).orderBy('id').select('details', 'personal');
    expect(asked.map((e) => readableDetails(e))).to.deep.equal([{ to: other.admin.email, inUse: true }, { to: free }]);
  });

  it('an address another contact of the same company has gets the same answer, and nothing changes', async () => {
    const { admin, accountId } = await createAccount(portal.db);
    const colleague = await addMember(portal.db, accountId);
    await portal.db('contacts').where({ id: colleague.contactId }).update({ user_id: null });
    await portal.db('users').where({ id: colleague.userId }).delete();
    const { agent: a, csrf } = await loggedIn(portal, admin.email, PASSWORD);
    const taken = await answerTo(a, csrf, colleague.email);
    expect(taken).to.deep.equal(await answerTo(a, csrf, uniqueEmail('livre')));
    expect((await mailFor(portal, colleague.email)).subject).to.equal('Seu e-mail já está em uso no Portal');
    expect(await portal.db('user_tokens').where({ user_id: admin.userId, new_email: colleague.email })).to.have.length(0);
    expect((await portal.db('users').where({ id: admin.userId }).first('email')).email).to.equal(admin.email);
  });

  it('two people ask for the same free address: the first to confirm gets it, the other link is refused', async () => {
    const first = await createAccount(portal.db);
    const second = await createAccount(portal.db);
    const one = await loggedIn(portal, first.admin.email, PASSWORD);
    const two = await loggedIn(portal, second.admin.email, PASSWORD);
    const wanted = uniqueEmail('disputado');
    expect((await request(one.agent, one.csrf, wanted)).status).to.equal(303);
    const firstPath = await confirmPathFor(wanted);
    expect((await request(two.agent, two.csrf, wanted)).status).to.equal(303);
    await portal.deliverMail();
    const smtp = await sharedSmtp();
    const links = smtp.messages.filter(to(wanted)).map((m) => /\/me\/email\/confirm\/[A-Za-z0-9_-]+/.exec(m.text ?? '')?.[0]).filter(Boolean);
    const secondPath = links.find((p) => p !== firstPath)!;
    expect(secondPath).to.be.a('string');

    expect((await one.agent.post(firstPath).type('form').send({ _csrf: one.csrf })).status).to.equal(303);
    const refused = await two.agent.post(secondPath).type('form').send({ _csrf: two.csrf });
    expect(refused.status).to.equal(409);
    expect(refused.text).to.contain('Este e-mail já é usado por outro usuário.');
    expect((await portal.db('users').where({ id: second.admin.userId }).first('email')).email).to.equal(second.admin.email);
    expect((await portal.db('users').where({ id: first.admin.userId }).first('email')).email).to.equal(wanted);
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
