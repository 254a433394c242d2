import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { addMember, PASSWORD, uniqueEmail } from '../support/fixtures';
import { agent, csrfFrom, login, sharedPortal, type Agent, type TestPortal } from '../support/portal';
import { auditEventsOf, countersOf, decode, expectCountersExact, fieldError, newAdmin, type Admin } from './helpers/contacts';
import { confirmEmail, invite, mailedLink, registration } from './helpers/invitations';

describe('invitations: accept, register, confirm', () => {
  let portal: TestPortal;
  const accountIds: number[] = [];

  before(async () => {
    portal = await sharedPortal();
  });

  after(async () => {
    await expectCountersExact(portal.db, accountIds);
  });

  const newAccount = () => newAdmin(portal, accountIds);

  /** Invites `email` and answers the link the person received. */
  async function invited(s: Admin, email: string, form: Record<string, string | string[]> = {}): Promise<string> {
    const res = await invite(s, { addresses: email, ...form });
    expect(res.status, decode(res.text)).to.equal(200);
    return (await mailedLink(portal, email, '/invitations/')).path;
  }

  const register = async (a: Agent, path: string, form: Record<string, string>) => {
    const csrf = await csrfFrom(a, path);
    return a.post(path).type('form').send({ _csrf: csrf, ...form });
  };

  it('registration → confirmation e-mail → active in the company with exactly the invited permissions → first page', async () => {
    const s = await newAccount();
    const email = uniqueEmail('novo');
    const path = await invited(s, email, { profile: 'custom', flags: ['documents.download', 'audit.view'], locale: 'pt-BR' });
    const person = agent(portal);
    const form = await person.get(path);
    expect(form.status).to.equal(200);
    expect(decode(form.text)).to.contain('<h1>Aceitar convite</h1>').and.to.contain(`value="${email}" readonly`);

    const res = await register(person, path, registration({ name: 'Nina Nova' }));
    expect(res.status, decode(res.text)).to.equal(200);
    expect(decode(res.text)).to.contain(`Enviamos um link de confirmação para ${email}.`);
    const contact = await portal.db('contacts').where({ account_id: s.accountId, email }).first();
    expect(contact).to.deep.include({ status: 'pending', name: 'Nina Nova', profile: 'custom' });
    expect(contact.user_id).to.be.a('number');
    expect(await countersOf(portal.db, s.accountId)).to.deep.equal({ active: 1, pending: 1, deactivated: 0 });

    const confirm = await mailedLink(portal, email, '/invitations/confirm/');
    expect(confirm.mail.subject).to.equal('Confirme seu e-mail no Portal do Cliente');
    // Opening the link (as a mail scanner does) confirms nothing: the button does.
    const opened = await agent(portal).get(confirm.path);
    expect(decode(opened.text)).to.contain('<h1>Confirmar e-mail</h1>');
    expect(await portal.db('contacts').where({ id: contact.id }).first('status')).to.deep.equal({ status: 'pending' });
    const done = await confirmEmail(person, confirm.path);
    expect(done.status).to.equal(200);
    expect(decode(done.text)).to.contain('E-mail confirmado! Seu acesso está ativo.');
    // "Entrar" opens the login with the e-mail filled in.
    expect(decode(done.text)).to.contain(`href="/login?email=${encodeURIComponent(contact.email)}"`);
    expect(await portal.db('contacts').where({ id: contact.id }).first('status')).to.deep.equal({ status: 'active' });
    expect(await countersOf(portal.db, s.accountId)).to.deep.equal({ active: 2, pending: 0, deactivated: 0 });
    const grants = await portal.db('contact_permissions').where({ contact_id: contact.id }).orderBy('permission_key');
    expect(grants.map((g) => g.permission_key)).to.deep.equal(['audit.view', 'documents.download']);
    expect((await portal.db('users').where({ id: contact.user_id }).first('verified_at')).verified_at).not.to.equal(null);

    // The link worked once: again it says so.
    expect(decode((await agent(portal).get(confirm.path)).text)).to.contain('Este convite já foi usado.');
    expect(decode((await agent(portal).get(path)).text)).to.contain('Este convite já foi usado.');
    // Whoever opens it now already has access: offered "Entrar", not told to ask for a new invitation.
    const used = decode((await agent(portal).get(path)).text);
    expect(used).to.contain('Você já tem acesso: entre com seu e-mail e senha.');
    expect(used).to.match(/<a class="button primary" href="\/login[^"]*">Entrar<\/a>/);
    expect(used).not.to.contain('pode enviar um novo convite');

    const signedIn = agent(portal);
    const loginRes = await login(signedIn, email, 'vaga-lume azul no telhado');
    expect(loginRes.status).to.equal(303);
    const home = await signedIn.get('/accounts').redirects(2);
    expect(home.status).to.equal(200);
    expect(decode(home.text)).to.contain('Bem-vindo(a), Nina Nova');
    const actions = (await auditEventsOf(portal.db, s.accountId, contact.id)).map((e) => e.action);
    expect(actions).to.deep.equal(['invitation.sent', 'invitation.accepted', 'invitation.email_confirmed']);
  });

  describe('registration rules: 422 with the message next to the field, nothing written', () => {
    const cases: [string, Record<string, string>, string, string][] = [
      ['a password under 10 characters', { password: 'curta123', passwordConfirmation: 'curta123' }, 'password', 'A senha precisa ter pelo menos 10 caracteres.'],
      ['a common password', { password: 'password123', passwordConfirmation: 'password123' }, 'password', 'Esta senha é muito comum ou fácil de adivinhar. Escolha outra.'],
      ['a keyboard row', { password: 'qwertyuiop', passwordConfirmation: 'qwertyuiop' }, 'password', 'Esta senha é muito comum ou fácil de adivinhar. Escolha outra.'],
      ['a confirmation that differs', { passwordConfirmation: 'outra senha bem longa' }, 'passwordConfirmation', 'A confirmação não confere com a senha.'],
      ['a CPF with a wrong check digit', { document: '123.456.789-00' }, 'document', 'CPF inválido: confira os dígitos.'],
    ];
    for (const [title, override, field, message] of cases) {
      it(title, async () => {
        const s = await newAccount();
        const email = uniqueEmail('regra');
        const path = await invited(s, email);
        const person = agent(portal);
        const res = await register(person, path, registration(override));
        expect(res.status).to.equal(422);
        expect(fieldError(res.text, field)).to.equal(message);
        expect(await portal.db('users').where({ email }).first()).to.equal(undefined);
      });
    }

    it('the e-mail as the password', async () => {
      const s = await newAccount();
      const email = uniqueEmail('mesmo');
      const path = await invited(s, email);
      const res = await register(agent(portal), path, registration({ password: email, passwordConfirmation: email }));
      expect(res.status).to.equal(422);
      expect(fieldError(res.text, 'password')).to.equal('A senha não pode conter o seu e-mail.');
    });
  });

  describe('a link that no longer works gets a page saying which, and who can send a new one', () => {
    it('expired', async () => {
      const s = await newAccount();
      const email = uniqueEmail('vencido');
      const path = await invited(s, email);
      await portal.db('invitations').where({ email }).update({ expires_at: new Date(Date.now() - 1000) });
      const res = await agent(portal).get(path);
      expect(res.status).to.equal(410);
      expect(decode(res.text)).to.contain('Este convite expirou.').and.to.contain('O administrador da empresa pode enviar um novo convite.');
      const a = agent(portal);
      const csrf = await csrfFrom(a, '/login');
      expect((await a.post(path).type('form').send({ _csrf: csrf, ...registration() })).status).to.equal(410);
    });

    it('forged, or malformed', async () => {
      for (const path of [`/invitations/${randomBytes(32).toString('base64url')}`, '/invitations/abc', '/invitations/confirm/xyz']) {
        const res = await agent(portal).get(path);
        expect(res.status, path).to.equal(410);
        expect(decode(res.text)).to.contain('Este link de convite não é válido.');
      }
    });
  });

  it('an e-mail that already has a login: sign in, come back, accept → joins the company', async () => {
    const s = await newAccount();
    const elsewhere = await newAccount();
    const person = await addMember(portal.db, elsewhere.accountId, { name: 'Pedro Existente' });
    const path = await invited(s, person.email);
    const a = agent(portal);
    const page = await a.get(path);
    expect(decode(page.text)).to.contain('Este e-mail já tem acesso ao portal. Entre com ele para aceitar o convite.');
    const back = await login(a, person.email, PASSWORD);
    expect(back.headers.location).to.equal(path);
    const accept = await a.get(path);
    expect(decode(accept.text)).to.contain(`Você está conectado como ${person.email}.`);
    const csrf = await csrfFrom(a, path);
    const res = await a.post(`${path}/accept`).type('form').send({ _csrf: csrf });
    expect(res.status).to.equal(303);
    expect(res.headers.location).to.equal(`/accounts/${s.accountId}`);
    const contact = await portal.db('contacts').where({ account_id: s.accountId, email: person.email }).first();
    expect(contact).to.deep.include({ status: 'active', user_id: person.userId });
    expect(await countersOf(portal.db, s.accountId)).to.deep.equal({ active: 2, pending: 0, deactivated: 0 });
    // Now in two companies: the picker lists both, and the layout offers the switch.
    const picker = decode((await a.get('/accounts')).text);
    expect(picker).to.contain('Escolha a empresa');
    expect(decode((await a.get(`/accounts/${s.accountId}`)).text)).to.contain('Trocar de empresa');
  });

  it('registered but the confirmation lost: "Reenviar convite" sends a new confirmation link, the old one stops working', async () => {
    const s = await newAccount();
    const email = uniqueEmail('perdido');
    const path = await invited(s, email);
    await register(agent(portal), path, registration());
    const lost = (await mailedLink(portal, email, '/invitations/confirm/')).path;
    const id = Number((await portal.db('contacts').where({ account_id: s.accountId, email }).first('id')).id);
    await s.agent.post(`/accounts/${s.accountId}/invitations/contacts/${id}/resend`).type('form').send({ _csrf: s.csrf });
    const again = (await mailedLink(portal, email, '/invitations/confirm/')).path;
    expect(again).not.to.equal(lost);
    expect((await agent(portal).get(lost)).status).to.equal(410);
    expect(decode((await confirmEmail(agent(portal), again)).text)).to.contain('E-mail confirmado! Seu acesso está ativo.');
    expect(await portal.db('contacts').where({ id }).first('status')).to.deep.equal({ status: 'active' });
  });

  it('signed in as someone else, the link is refused and names the invited e-mail', async () => {
    const s = await newAccount();
    const email = uniqueEmail('outro');
    await addMember(portal.db, (await newAccount()).accountId, { email });
    const path = await invited(s, email);
    const other = await addMember(portal.db, (await newAccount()).accountId);
    const a = agent(portal);
    await login(a, other.email, PASSWORD);
    const csrf = await csrfFrom(a, path);
    const res = await a.post(`${path}/accept`).type('form').send({ _csrf: csrf });
    expect(res.status).to.equal(409);
    expect(decode(res.text)).to.contain(`Este convite é para ${email}.`);
    expect(await portal.db('contacts').where({ account_id: s.accountId, email }).first('status')).to.deep.equal({ status: 'pending' });
  });

  it('many registrations of one link at once create one login; the link works once', async () => {
    const s = await newAccount();
    const email = uniqueEmail('corrida');
    const path = await invited(s, email);
    const agents = await Promise.all(Array.from({ length: 6 }, async () => { const a = agent(portal); return { a, csrf: await csrfFrom(a, path) }; }));
    const results = await Promise.all(agents.map(({ a, csrf }) => a.post(path).type('form').send({ _csrf: csrf, ...registration() })));
    expect(results.filter((r) => r.status === 200)).to.have.length(1);
    expect(results.filter((r) => r.status !== 200).every((r) => r.status === 410 || r.status === 303)).to.equal(true);
    expect(await portal.db('users').where({ email })).to.have.length(1);
  });

  it("two companies' invitations for one e-mail, registered at once, make one login", async () => {
    const email = uniqueEmail('duas');
    const paths = [await invited(await newAccount(), email), await invited(await newAccount(), email)];
    const agents = await Promise.all(paths.map(async (p) => { const a = agent(portal); return { a, p, csrf: await csrfFrom(a, p) }; }));
    const results = await Promise.all(agents.map(({ a, p, csrf }) => a.post(p).type('form').send({ _csrf: csrf, ...registration() })));
    expect(results.map((r) => r.status).sort()).to.deep.equal([200, 303]);
    expect(await portal.db('users').where({ email })).to.have.length(1);
  });

  it('audit events never hold a token', async () => {
    const s = await newAccount();
    const email = uniqueEmail('auditoria');
    const path = await invited(s, email);
    await register(agent(portal), path, registration());
    const confirm = await mailedLink(portal, email, '/invitations/confirm/');
    await confirmEmail(agent(portal), confirm.path);
    const all = JSON.stringify(await auditEventsOf(portal.db, s.accountId));
    for (const token of [path.split('/').pop()!, confirm.path.split('/').pop()!]) expect(all).not.to.contain(token);
    const hashes = await portal.db('invitations').where({ email }).first('token_hash', 'confirm_token_hash');
    expect(all).not.to.contain(hashes.token_hash);
    expect(all).not.to.contain(hashes.confirm_token_hash);
  });
});
