import { expect } from 'chai';
import { addMember, PASSWORD, uniqueEmail } from '../support/fixtures';
import { loggedIn, sharedPortal, type TestPortal } from '../support/portal';
import { auditEventsOf, contactsOf, countersOf, decode, expectCountersExact, flashes, listedNames, newAdmin, postForm } from './helpers/contacts';
import { invite, mailedLink, outcomes } from './helpers/invitations';

describe('invitations: "Convidar usuários"', () => {
  let portal: TestPortal;
  const accountIds: number[] = [];

  before(async () => {
    portal = await sharedPortal();
  });

  after(async () => {
    await expectCountersExact(portal.db, accountIds);
  });

  const newAccount = (options: { seatLimit?: number } = {}) => newAdmin(portal, accountIds, options);
  const outboxOf = (accountId: number) => portal.db('mail_outbox').where({ account_id: accountId });

  it('takes addresses separated by spaces, commas, semicolons, tabs and new lines, each invited as pending', async () => {
    const s = await newAccount();
    const emails = Array.from({ length: 6 }, (_, i) => uniqueEmail(`sep${i}`));
    const res = await invite(s, { addresses: `${emails[0]} ${emails[1]},${emails[2]}; ${emails[3]}\r\n${emails[4]}\t${emails[5]}` });
    expect(res.status).to.equal(200);
    expect(outcomes(res.text)).to.deep.equal(Object.fromEntries(emails.map((e) => [e, 'Convidado'])));
    expect(await countersOf(portal.db, s.accountId)).to.deep.equal({ active: 1, pending: 6, deactivated: 0 });
    const pending = (await contactsOf(portal.db, s.accountId)).filter((c) => c.status === 'pending');
    expect(pending.map((c) => c.email).sort()).to.deep.equal([...emails].sort());
    expect(pending.every((c) => c.user_id === null && c.profile === 'member')).to.equal(true);
    expect(await outboxOf(s.accountId)).to.have.length(6);
  });

  it('answers per address: invalid, repeated in the list, already a contact, already invited (with "Reenviar")', async () => {
    const s = await newAccount();
    const member = await addMember(portal.db, s.accountId);
    const gone = await addMember(portal.db, s.accountId, { status: 'deactivated' });
    const invited = uniqueEmail('ja');
    await invite(s, { addresses: invited });
    const fresh = uniqueEmail('novo');
    const res = await invite(s, { addresses: `nao-e-email, ${fresh} ${fresh.toUpperCase()} ana@ ${member.email} ${invited} ${gone.email}` });
    expect(res.status).to.equal(200);
    expect(outcomes(decode(res.text))).to.deep.equal({
      [fresh]: 'Convidado', 'nao-e-email': 'E-mail inválido', 'ana@': 'E-mail inválido', [fresh.toUpperCase()]: 'Repetido na lista',
      [member.email]: 'Já é usuário desta empresa', [invited]: 'Já convidado', [gone.email]: 'Desativado nesta empresa',
    });
    // The deactivated one is offered "Reativar" right there.
    expect(res.text).to.contain(`action="/accounts/${s.accountId}/contacts/${gone.contactId}/reactivate"`);
    expect(res.text).to.match(/<form method="post" action="\/accounts\/\d+\/invitations\/contacts\/\d+\/resend"[\s\S]*?Reenviar convite/);
    expect((await contactsOf(portal.db, s.accountId)).filter((c) => c.email === fresh)).to.have.length(1);
  });

  it('an empty box is refused next to the field', async () => {
    const s = await newAccount();
    const res = await invite(s, { addresses: ' ;, ' });
    expect(res.status).to.equal(422);
    expect(decode(res.text)).to.contain('Informe pelo menos um e-mail.');
  });

  it('a batch that needs more seats than are free sends nothing and says the numbers', async () => {
    const s = await newAccount({ seatLimit: 3 });
    await addMember(portal.db, s.accountId);
    const before = { contacts: await contactsOf(portal.db, s.accountId), mail: await outboxOf(s.accountId), events: await auditEventsOf(portal.db, s.accountId) };
    const res = await invite(s, { addresses: `${uniqueEmail('a')} ${uniqueEmail('b')}` });
    expect(res.status).to.equal(409);
    expect(decode(res.text)).to.contain('Recurso necessário: não há licenças disponíveis para todos os convites. São necessárias 2 e há 1 livre(s). Nenhum convite foi enviado.');
    expect({ contacts: await contactsOf(portal.db, s.accountId), mail: await outboxOf(s.accountId), events: await auditEventsOf(portal.db, s.accountId) }).to.deep.equal(before);
  });

  it('the e-mail names the company and the inviter, in the chosen language, HTML and text, with a single-use link whose token is not stored', async () => {
    const s = await newAccount();
    const email = uniqueEmail('idioma');
    await invite(s, { addresses: email, locale: 'en' });
    const { mail, path } = await mailedLink(portal, email, '/invitations/');
    const account = await portal.db('accounts').where({ id: s.accountId }).first('name');
    expect(mail.subject).to.equal(`${s.admin.name} invited you to the ${account.name} Customer Portal`);
    expect(mail.text).to.contain('The link is valid for 7 days and works once.');
    expect(mail.html).to.be.a('string').and.to.contain(`href="http://portal.test${path}"`);
    const token = path.split('/').pop()!;
    const rows = await portal.db('invitations').where({ account_id: s.accountId });
    expect(rows).to.have.length(1);
    expect(JSON.stringify(rows)).not.to.contain(token);
    expect(JSON.stringify(await auditEventsOf(portal.db, s.accountId))).not.to.contain(token);
  });

  it('the pending tab shows who invited, when, and until when the link works (expired shown as such); its only actions are resend and delete', async () => {
    const s = await newAccount();
    const [a, b] = [uniqueEmail('aberto'), uniqueEmail('vencido')];
    await invite(s, { addresses: `${a} ${b}` });
    await portal.db('invitations').where({ email: b }).update({ expires_at: new Date('2026-01-02T10:00:00Z') });
    const page = decode((await s.agent.get(`${s.base}?status=pending`)).text);
    expect(page).to.contain('Convidado por').and.to.contain('Link válido até');
    expect(page).to.contain(s.admin.name);
    expect(page).to.contain('Expirado em 02/01/2026');
    // Listed under the whole address (not its local part) until they register their name.
    expect(listedNames(page)).to.include.members([a, b]);
    const row = page.slice(page.indexOf(a.split('@')[0]!));
    const menu = row.slice(row.indexOf('<ul>'), row.indexOf('</ul>'));
    expect(menu).to.contain('Reenviar convite').and.to.contain('Excluir');
    expect(menu).not.to.contain('Editar perfil');
    expect(menu).not.to.contain('Permissões de acesso');
    expect(menu).not.to.contain('Desativar');
  });

  it("a pending contact's edit, permissions and deactivation are refused", async () => {
    const s = await newAccount();
    const email = uniqueEmail('proibido');
    await invite(s, { addresses: email });
    const id = Number((await portal.db('contacts').where({ email }).first('id')).id);
    const before = await portal.db('contacts').where({ id }).first();
    expect((await s.agent.get(`${s.base}/${id}/edit`)).status).to.equal(409);
    const edit = await postForm(s, `/${id}/edit`, { country: 'BR', name: 'Outro Nome', email });
    expect(flashes((await s.agent.get(edit.headers.location!)).text)[0]).to.contain('só é possível reenviá-lo ou excluir');
    const perms = await postForm(s, `/${id}/permissions`, { profile: 'administrator' });
    expect(perms.status).to.equal(409);
    const off = await postForm(s, `/${id}/deactivate`);
    expect(flashes((await s.agent.get(off.headers.location!)).text)[0]).to.contain('só é possível reenviá-lo ou excluir');
    expect(await portal.db('contacts').where({ id }).first()).to.deep.equal(before);
  });

  it('resending revokes the older link and is rate-limited per contact', async () => {
    const s = await newAccount();
    const email = uniqueEmail('reenvio');
    await invite(s, { addresses: email });
    const first = await mailedLink(portal, email, '/invitations/');
    const id = Number((await portal.db('contacts').where({ email }).first('id')).id);
    const resend = () => s.agent.post(`/accounts/${s.accountId}/invitations/contacts/${id}/resend`).type('form').send({ _csrf: s.csrf, returnTo: 'pending' });
    const ok = await resend();
    expect(ok.headers.location).to.equal(`${s.base}?status=pending`);
    expect(flashes((await s.agent.get(ok.headers.location!)).text)).to.include('Convite enviado.');
    const second = await mailedLink(portal, email, '/invitations/');
    expect(second.path).not.to.equal(first.path);
    expect(decode((await s.agent.get(first.path)).text)).to.contain('Este convite foi cancelado.');
    await resend();
    await resend();
    const limited = await resend();
    expect(flashes((await s.agent.get(limited.headers.location!)).text).pop()).to.match(/^Muitos convites enviados para esta pessoa. Tente novamente em \d+ minuto\(s\)\.$/);
    expect((await auditEventsOf(portal.db, s.accountId, id)).map((e) => e.action)).to.deep.equal(['invitation.sent', 'invitation.resent', 'invitation.resent', 'invitation.resent']);
  });

  it('deleting a pending contact revokes its link and frees its seat', async () => {
    const s = await newAccount();
    const email = uniqueEmail('excluido');
    await invite(s, { addresses: email });
    const { path } = await mailedLink(portal, email, '/invitations/');
    const id = Number((await portal.db('contacts').where({ email }).first('id')).id);
    expect((await postForm(s, `/${id}/delete`)).status).to.equal(303);
    expect(await countersOf(portal.db, s.accountId)).to.deep.equal({ active: 1, pending: 0, deactivated: 0 });
    const res = await s.agent.get(path);
    expect(res.status).to.equal(410);
    expect(decode(res.text)).to.contain('Este convite foi cancelado.').and.to.contain('O administrador da empresa pode enviar um novo convite.');
    expect((await auditEventsOf(portal.db, s.accountId, id)).map((e) => e.action)).to.include('invitation.revoked');
  });

  it('"Adicionar usuário" with an e-mail that already has a login creates a pending contact and links nothing', async () => {
    const s = await newAccount();
    const other = await newAccount();
    const person = await addMember(portal.db, other.accountId);
    const { validContact } = await import('./helpers/contacts');
    const res = await postForm(s, '', validContact({ email: person.email, emailConfirmation: person.email }));
    expect(res.status).to.equal(303);
    const row = await portal.db('contacts').where({ account_id: s.accountId, email: person.email }).first();
    expect(row).to.deep.include({ status: 'pending', user_id: null });
    const { path } = await mailedLink(portal, person.email, '/invitations/');
    expect(path).to.match(/^\/invitations\//);
    expect(listedNames((await s.agent.get(`${s.base}?status=pending`)).text)).to.include(row.name);
  });

  it('only holders of "Convidar usuários" open the form; another account\'s contact answers 404', async () => {
    const s = await newAccount();
    const member = await addMember(portal.db, s.accountId);
    const asMember = await loggedIn(portal, member.email, PASSWORD);
    expect((await asMember.agent.get(`/accounts/${s.accountId}/invitations`)).status).to.equal(403);
    const page = await s.agent.get(`/accounts/${s.accountId}/invitations`);
    expect(page.status).to.equal(200);
    expect(decode(page.text)).to.contain('<h1>Convidar usuários</h1>');
    const other = await newAccount();
    const stranger = await addMember(portal.db, other.accountId, { status: 'pending' });
    const res = await s.agent.post(`/accounts/${s.accountId}/invitations/contacts/${stranger.contactId}/resend`).type('form').send({ _csrf: s.csrf });
    expect(res.status).to.equal(404);
  });

  it("a linked contact's e-mail is read-only for the administrator: the person's login e-mail", async () => {
    const s = await newAccount();
    const member = await addMember(portal.db, s.accountId);
    const { valuesOf } = await import('../../server/contacts/contact-form');
    const form = decode((await s.agent.get(`${s.base}/${member.contactId}/edit`)).text);
    expect(form).to.contain(`value="${member.email}" readonly`);
    expect(form).to.contain('É o e-mail de acesso da pessoa: só ela pode alterá-lo, em "Meu perfil".');
    const row = await portal.db('contacts').where({ id: member.contactId }).first();
    const values = valuesOf({ ...row, document_type: 'cpf', document_number: '12345678062', area_code: '11', phone: '987654321' });
    const res = await postForm(s, `/${member.contactId}/edit`, { ...values, email: uniqueEmail('tomada'), consultingAuthorized: '' });
    expect(res.status, decode(res.text)).to.equal(303);
    expect((await portal.db('contacts').where({ id: member.contactId }).first('email')).email).to.equal(member.email);
  });

  it('"Enviar convite de acesso" is offered for an active contact without a login', async () => {
    const s = await newAccount();
    const email = uniqueEmail('semlogin');
    const [id] = await portal.db('contacts').insert({ account_id: s.accountId, user_id: null, status: 'active', profile: 'member', name: 'Sem Login', email, country: 'BR', search: ' sem login', created_at: new Date(), updated_at: new Date() });
    await portal.db('accounts').where({ id: s.accountId }).increment('active_count', 1);
    const page = decode((await s.agent.get(s.base)).text);
    expect(page).to.contain(`formaction="/accounts/${s.accountId}/invitations/contacts/${id}/resend"`);
    expect(page).to.contain('Enviar convite de acesso');
    await s.agent.post(`/accounts/${s.accountId}/invitations/contacts/${id}/resend`).type('form').send({ _csrf: s.csrf, returnTo: 'list' });
    expect((await mailedLink(portal, email, '/invitations/')).path).to.match(/^\/invitations\//);
  });
});
