import { expect } from 'chai';
import { addMember, createAccount, PASSWORD } from '../support/fixtures';
import { loggedIn, sharedPortal, type TestPortal } from '../support/portal';
import { validContact } from './helpers/contacts';

describe('LGPD: "Meus dados" on Meu perfil', () => {
  let portal: TestPortal;
  before(async () => {
    portal = await sharedPortal();
  });

  it('the person downloads their login, their contacts in every company with permissions, and their own history; never another person\'s', async () => {
    const a = await createAccount(portal.db);
    const b = await createAccount(portal.db);
    const person = await addMember(portal.db, a.accountId, { name: 'Renata Titular' });
    await addMember(portal.db, b.accountId, { email: person.email, name: 'Renata Titular' });
    const colleague = await addMember(portal.db, a.accountId, { name: 'Otávio Colega' });
    // The owner edits both: the person's event is theirs, the colleague's is not.
    const owner = await loggedIn(portal, a.admin.email, PASSWORD);
    for (const who of [person, colleague]) {
      const res = await owner.agent.post(`/accounts/${a.accountId}/contacts/${who.contactId}/edit`).type('form').send({ _csrf: owner.csrf, ...validContact({ name: `${who.name} Silva`, email: who.email }) });
      expect(res.status).to.equal(303);
    }

    const me = await loggedIn(portal, person.email, PASSWORD);
    expect((await me.agent.get('/me')).text).to.contain('Baixar meus dados (JSON)');
    const res = await me.agent.get(`/me/data?userId=${colleague.userId}&contactId=${colleague.contactId}`).buffer(true).parse((r, done) => {
      let text = '';
      r.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
      r.on('end', () => done(null, text));
    });
    expect(res.status).to.equal(200);
    expect(res.headers['content-disposition']).to.match(/^attachment; filename="meus-dados-\d{4}-\d{2}-\d{2}\.json"$/);
    const text = res.body as string;
    const data = JSON.parse(text);
    expect(data.login.email).to.equal(person.email);
    expect(data.login).not.to.have.property('password_hash');
    expect(data.companies.map((c: { company: { id: number } }) => c.company.id).sort()).to.deep.equal([a.accountId, b.accountId].sort());
    expect(data.companies[0].permissions).to.have.property('profile', 'member');
    const edited = data.auditEvents.find((e: { action: string }) => e.action === 'contact.updated');
    expect(edited.details.after.name).to.equal('Renata Titular Silva');
    for (const other of [colleague.email, 'Otávio Colega', a.admin.email, a.admin.name]) expect(text, other).not.to.contain(other);

    const exported = await portal.db('audit_events').where({ action: 'me.data_exported', actor_user_id: person.userId });
    expect(exported).to.have.length(1);
    expect(JSON.parse(exported[0].details)).to.deep.equal({ companies: 2, events: data.auditEvents.length });
  });

  it('holds what plugins keep of the person (their support tickets and their own comments), not other people\'s', async () => {
    const a = await createAccount(portal.db);
    const person = await addMember(portal.db, a.accountId, { name: 'Tereza Chamados' });
    const colleague = await addMember(portal.db, a.accountId, { name: 'Ulisses Outro' });
    const now = new Date();
    const ticket = async (owner: number, subject: string) => (await portal.db('support_tickets').insert({
      account_id: a.accountId, owner_contact_id: owner, opened_by_contact_id: owner, subject, description: 'Descrição do chamado', category: 'question',
      priority: 'low', status: 'open', created_at: now, updated_at: now,
    }))[0];
    const mine = await ticket(person.contactId, 'Nota fiscal não chegou');
    await ticket(colleague.contactId, 'Chamado do colega');
    await portal.db('support_ticket_entries').insert([
      { ticket_id: mine, kind: 'comment', actor_contact_id: person.contactId, actor_name: 'Tereza Chamados', body: 'Meu comentário', created_at: now },
      { ticket_id: mine, kind: 'comment', actor_contact_id: colleague.contactId, actor_name: 'Ulisses Outro', body: 'Comentário do colega', created_at: now },
    ]);
    const me = await loggedIn(portal, person.email, PASSWORD);
    const res = await me.agent.get('/me/data').buffer(true).parse((r, done) => {
      let text = '';
      r.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
      r.on('end', () => done(null, text));
    });
    const text = res.body as string;
    const support = JSON.parse(text).companies[0].plugins.support;
    expect(support.tickets.map((t: { subject: string }) => t.subject)).to.deep.equal(['Nota fiscal não chegou']);
    expect(support.tickets[0].yourEntries.map((e: { body: string }) => e.body)).to.deep.equal(['Meu comentário']);
    for (const other of ['Chamado do colega', 'Comentário do colega', 'Ulisses Outro']) expect(text, other).not.to.contain(other);
  });

  it('signed out, nothing is handed out', async () => {
    const res = await (await import('supertest')).default(portal.app).get('/me/data');
    expect(res.status).to.be.oneOf([302, 303, 401]);
    expect(res.headers['content-disposition']).to.equal(undefined);
  });
});
