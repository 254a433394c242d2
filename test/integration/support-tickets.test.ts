/**
 * Support tickets: opening one (validated), the list with its status filter and search, the ticket
 * page with comments and history, and who sees which ticket: the visibility table of
 * docs/plugins.md, row by row.
 */
import { AuditService } from '../../server/audit/audit.service';
import { contactsDirectory } from '../../server/composition/contacts-directory';
import { PermissionService } from '../../server/permissions/permissions.service';
import { expect } from 'chai';
import { seedDemoTickets } from '../../plugins/support/demo';
import { addMember, createAccount, PASSWORD } from '../support/fixtures';
import { loggedIn, sharedPortal, type TestPortal } from '../support/portal';
import { decode, fieldsWithErrors } from './helpers/contacts';
import { postForm } from './helpers/permissions';
import { insertTicket, listedSubjects } from './helpers/support';

describe('Support tickets', () => {
  let portal: TestPortal;
  before(async () => {
    portal = await sharedPortal();
  });

  /** Tickets of Maria (plain), Bruno (BPO) and Carla (plain), and one of another company. */
  async function company() {
    const account = await createAccount(portal.db);
    const base = `/accounts/${account.accountId}/p/support`;
    const maria = await addMember(portal.db, account.accountId, { name: 'Maria Membro' });
    const bruno = await addMember(portal.db, account.accountId, { name: 'Bruno BPO' });
    const carla = await addMember(portal.db, account.accountId, { name: 'Carla Cliente' });
    const tickets = {
      maria: await insertTicket(portal.db, account.accountId, maria.contactId, 'Chamado da Maria'),
      brunoBpo: await insertTicket(portal.db, account.accountId, bruno.contactId, 'Folha terceirizada do Bruno', { bpo: true }),
      carla: await insertTicket(portal.db, account.accountId, carla.contactId, 'Chamado da Carla', { status: 'resolved' }),
    };
    const other = await createAccount(portal.db);
    const foreign = await insertTicket(portal.db, other.accountId, other.admin.contactId, 'Chamado de outra empresa');
    return { account, base, maria, bruno, carla, tickets, foreign };
  }

  const grant = (contactId: number, keys: string[]) =>
    portal.db.transaction(async (trx) => {
      await trx('contacts').where({ id: contactId }).update({ profile: 'custom' });
      await trx('contact_permissions').insert(keys.map((permission_key) => ({ contact_id: contactId, permission_key })));
    });

  describe('visibility (the rule table)', () => {
    const rows: { who: string; flags: string[] | 'administrator'; sees: string[] }[] = [
      { who: '"Restringir acesso aos chamados"', flags: ['support.portal', 'support.restricted'], sees: ['Chamado da Maria'] },
      { who: '"Restringir" with "Acesso completo a chamados BPO" (the narrowing wins)', flags: ['support.portal', 'support.restricted', 'support.bpo-full'], sees: ['Chamado da Maria'] },
      { who: '"Acesso completo a chamados BPO"', flags: ['support.portal', 'support.bpo-full'], sees: ['Chamado da Carla', 'Folha terceirizada do Bruno', 'Chamado da Maria'] },
      { who: 'neither flag', flags: ['support.portal'], sees: ['Chamado da Carla', 'Chamado da Maria'] },
      { who: 'an administrator', flags: 'administrator', sees: ['Chamado da Carla', 'Folha terceirizada do Bruno', 'Chamado da Maria'] },
    ];
    for (const row of rows) {
      it(`${row.who}: sees ${row.sees.join(', ')}, and no other ticket even by its address`, async () => {
        const { base, maria, tickets, foreign } = await company();
        if (row.flags === 'administrator') await portal.db('contacts').where({ id: maria.contactId }).update({ profile: 'administrator' });
        else await grant(maria.contactId, row.flags);
        const m = await loggedIn(portal, maria.email, PASSWORD);
        const list = await m.agent.get(base).expect(200);
        expect(listedSubjects(list.text)).to.deep.equal(row.sees);
        const bySubject: Record<string, number> = { 'Chamado da Maria': tickets.maria, 'Folha terceirizada do Bruno': tickets.brunoBpo, 'Chamado da Carla': tickets.carla };
        for (const [subject, id] of Object.entries(bySubject)) {
          await m.agent.get(`${base}/${id}`).expect(row.sees.includes(subject) ? 200 : 404);
          await postForm(m.agent, `${base}/${id}/comments`, m.csrf, { body: 'Olá' }).expect(row.sees.includes(subject) ? 303 : 404);
        }
        await m.agent.get(`${base}/${foreign}`).expect(404);
      });
    }

    it('a contact without "Portal de Clientes Autoatendimento" cannot open the tickets pages', async () => {
      const { base, maria, tickets } = await company();
      await grant(maria.contactId, ['contacts.view']);
      const m = await loggedIn(portal, maria.email, PASSWORD);
      await m.agent.get(base).expect(403);
      await m.agent.get(`${base}/${tickets.maria}`).expect(403);
      await postForm(m.agent, base, m.csrf, { subject: 'x', description: 'y', category: 'question', priority: 'low' }).expect(403);
    });
  });

  it('opens a ticket: every field is checked first, then the ticket shows with its history and comments', async () => {
    const { account, base, maria } = await company();
    const m = await loggedIn(portal, maria.email, PASSWORD);
    expect((await m.agent.get(`${base}/new`).expect(200)).text).to.contain('Abrir chamado');

    const bad = await postForm(m.agent, base, m.csrf, { subject: ' ', description: '', category: 'nope', priority: 'x'.repeat(3) }).expect(422);
    expect(fieldsWithErrors(bad.text).sort()).to.deep.equal(['category', 'description', 'priority', 'subject']);
    expect(decode(bad.text)).to.contain('Informe o assunto (até 120 caracteres).');
    const before = await portal.db('support_tickets').where({ account_id: account.accountId }).count({ n: '*' }).first();

    const ok = await postForm(m.agent, base, m.csrf, { subject: 'Impressora fiscal <parada>', description: 'Não imprime o cupom.', category: 'incident', priority: 'high' }).expect(303);
    const page = await m.agent.get(ok.headers.location!).expect(200);
    const text = decode(page.text);
    expect(text).to.contain('Impressora fiscal <parada>');
    expect(page.text).not.to.contain('<parada>'); // escaped
    expect(text).to.contain('Aberto por Maria Membro.');
    expect(text).to.contain('Incidente');
    expect(text).to.contain('Alta');

    const ticketPath = ok.headers.location!.replace(/\?opened=1$/, ''); // the page right after opening says so
    await postForm(m.agent, `${ticketPath}/comments`, m.csrf, { body: '' }).expect(422);
    await postForm(m.agent, `${ticketPath}/comments`, m.csrf, { body: 'Reiniciei e continua.' }).expect(303);
    expect(decode((await m.agent.get(ok.headers.location!)).text)).to.contain('Reiniciei e continua.');

    const after = await portal.db('support_tickets').where({ account_id: account.accountId }).count({ n: '*' }).first();
    expect(Number(after!.n)).to.equal(Number(before!.n) + 1);
    const audit = await portal.db('audit_events').where({ account_id: account.accountId }).orderBy('id').select('action');
    expect(audit.map((e: { action: string }) => e.action)).to.include.members(['support.ticket_opened', 'support.ticket_commented']);
  });

  it('filters the list by status and finds tickets by words of the subject or by number', async () => {
    const { account, base } = await company();
    const a = await loggedIn(portal, account.admin.email, PASSWORD);
    expect(listedSubjects((await a.agent.get(`${base}?status=open`)).text)).to.deep.equal(['Folha terceirizada do Bruno', 'Chamado da Maria']);
    expect(listedSubjects((await a.agent.get(`${base}?status=resolved`)).text)).to.deep.equal(['Chamado da Carla']);
    expect(listedSubjects((await a.agent.get(`${base}?q=${encodeURIComponent('chamado maria')}`)).text)).to.deep.equal(['Chamado da Maria']);
    // "#3": the company's 3rd ticket (its own number, not the id).
    expect(listedSubjects((await a.agent.get(`${base}?q=%233`)).text)).to.deep.equal(['Chamado da Carla']);
    // % and _ are letters to a search, not wildcards.
    await insertTicket(portal.db, account.accountId, account.admin.contactId, 'Desconto de 50% no boleto', { status: 'closed' });
    expect(listedSubjects((await a.agent.get(`${base}?q=50%25`)).text)).to.deep.equal(['Desconto de 50% no boleto']);
    expect(listedSubjects((await a.agent.get(`${base}?q=%25`)).text)).to.deep.equal(['Desconto de 50% no boleto']);
    expect(listedSubjects((await a.agent.get(`${base}?q=chamado_da`)).text)).to.deep.equal([]);
    expect((await a.agent.get(`${base}?q=nada+disso`)).text).to.contain('Nenhum chamado encontrado.');
  });
  it('the demo seed spreads realistic tickets over the demo contacts, BPO ones included, and a second run adds nothing', async () => {
    const account = await createAccount(portal.db);
    await addMember(portal.db, account.accountId, { name: 'Demo Um' });
    await addMember(portal.db, account.accountId, { name: 'Demo Dois' });
    const directory = contactsDirectory(portal.db, new PermissionService(portal.db, portal.registry, new AuditService()));
    const seed = () => portal.db.transaction((trx) => seedDemoTickets(trx, { id: account.accountId, index: 0 }, directory.of(account.accountId, trx)));
    await seed();
    const rows = await portal.db('support_tickets').where({ account_id: account.accountId });
    expect(rows.length).to.be.greaterThan(5);
    expect(new Set(rows.map((r: { owner_contact_id: number }) => r.owner_contact_id)).size).to.equal(3);
    expect(rows.some((r: { bpo: unknown }) => Boolean(r.bpo))).to.equal(true);
    expect(new Set(rows.map((r: { status: string }) => r.status)).size).to.be.greaterThan(2);
    await seed();
    expect(await portal.db('support_tickets').where({ account_id: account.accountId })).to.have.length(rows.length);
    const a = await loggedIn(portal, account.admin.email, PASSWORD);
    expect(listedSubjects((await a.agent.get(`/accounts/${account.accountId}/p/support`)).text)).to.include('Erro ao emitir nota fiscal eletrônica');
  });
});
