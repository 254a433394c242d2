import { readableActorName, readableDetails } from '../../server/audit/event-format';
/**
 * "Transferir chamados": who may move tickets, to whom, the answer with its count, the history on
 * each ticket, a ticket changed meanwhile left out and named, and the receiver asked in the
 * delete / deactivate confirmation of a contact who still owns open tickets.
 */
import { AuditService } from '../../server/audit/audit.service';
import { createPluginContext } from '../../server/composition/plugin-context';
import { PermissionService } from '../../server/permissions/permissions.service';
import { expect } from 'chai';
import { HookRefusal } from '../../server/plugins/contract';
import { handOverOpenTickets } from '../../plugins/support/transfer';
import { addMember, createAccount, PASSWORD } from '../support/fixtures';
import { loggedIn, sharedPortal, type TestPortal } from '../support/portal';
import { decode, flashes } from './helpers/contacts';
import { postForm } from './helpers/permissions';
import { ageSessions, postReplay } from './helpers/security';
import { insertTicket, listedSubjects, ownerOf } from './helpers/support';

describe('Transferir chamados', () => {
  let portal: TestPortal;
  before(async () => {
    portal = await sharedPortal();
  });

  /** Maria owns three open tickets and a closed one; Bruno may receive them. */
  const numberOf = async (id: number) => Number((await portal.db('support_tickets').where({ id }).first('number')).number);

  async function company() {
    const account = await createAccount(portal.db);
    const base = `/accounts/${account.accountId}/p/support`;
    const maria = await addMember(portal.db, account.accountId, { name: 'Maria Saindo' });
    const bruno = await addMember(portal.db, account.accountId, { name: 'Bruno Recebe' });
    const tickets = [
      await insertTicket(portal.db, account.accountId, maria.contactId, 'Primeiro chamado'),
      await insertTicket(portal.db, account.accountId, maria.contactId, 'Segundo chamado'),
      await insertTicket(portal.db, account.accountId, maria.contactId, 'Terceiro chamado'),
    ];
    const closed = await insertTicket(portal.db, account.accountId, maria.contactId, 'Chamado encerrado', { status: 'closed' });
    const admin = await loggedIn(portal, account.admin.email, PASSWORD);
    return { account, base, maria, bruno, tickets, closed, admin };
  }

  it('moves the ticked tickets, answers with the count, and each ticket tells who moved it, from whom, to whom', async () => {
    const { account, base, maria, bruno, tickets, closed, admin } = await company();
    const page = decode((await admin.agent.get(`${base}/transfer?from=${maria.contactId}`).expect(200)).text);
    for (const subject of ['Primeiro chamado', 'Segundo chamado', 'Terceiro chamado']) expect(page).to.contain(subject);
    expect(page).not.to.contain('Chamado encerrado');
    expect((page.match(/name="tickets" value="\d+" checked/g) ?? []).length).to.equal(3);

    const res = await postForm(admin.agent, `${base}/transfer`, admin.csrf, { from: maria.contactId, to: bruno.contactId, tickets: [tickets[0]!, tickets[2]!] }).expect(200);
    expect(flashes(res.text)).to.deep.equal(['Chamados transferidos com sucesso! 2 chamados agora são de Bruno Recebe.']);
    expect(await ownerOf(portal.db, tickets[0]!)).to.equal(bruno.contactId);
    expect(await ownerOf(portal.db, tickets[1]!)).to.equal(maria.contactId);
    expect(await ownerOf(portal.db, tickets[2]!)).to.equal(bruno.contactId);
    expect(await ownerOf(portal.db, closed)).to.equal(maria.contactId);

    const show = decode((await admin.agent.get(`${base}/${tickets[0]}`)).text);
    expect(show).to.contain('Ana Administradora transferiu de Maria Saindo para Bruno Recebe.');
    const b = await loggedIn(portal, bruno.email, PASSWORD);
    expect(listedSubjects((await b.agent.get(`${base}?status=open`)).text)).to.include.members(['Primeiro chamado', 'Terceiro chamado']);
    const audit = await portal.db('audit_events').where({ account_id: account.accountId, action: 'support.tickets_transferred' });
    expect(audit).to.have.length(1);
  });

  it('is a mass change: a session whose last confirmation is stale is asked to confirm, and nothing moves until it does', async () => {
    const { account, base, maria, bruno, tickets, admin } = await company();
    await ageSessions(portal.db, account.admin.userId, 16);
    const asked = await postForm(admin.agent, `${base}/transfer`, admin.csrf, { from: maria.contactId, to: bruno.contactId, tickets: [tickets[0]!] });
    expect(asked.status).to.equal(303);
    expect(asked.headers.location).to.equal('/step-up');
    expect(await ownerOf(portal.db, tickets[0]!)).to.equal(maria.contactId);

    expect((await admin.agent.post('/step-up').type('form').send({ _csrf: admin.csrf, password: PASSWORD })).headers.location).to.equal('/step-up/continue');
    const replayed = await postReplay(admin.agent, (await admin.agent.get('/step-up/continue')).text);
    expect(replayed.status).to.equal(200);
    expect(flashes(replayed.text)).to.deep.equal(['Chamados transferidos com sucesso! 1 chamado agora é de Bruno Recebe.']);
    expect(await ownerOf(portal.db, tickets[0]!)).to.equal(bruno.contactId);
  });

  it('refuses, with a clear message and moving nothing: same contact, inactive, pending, another company, no portal flag', async () => {
    const { account, base, maria, tickets, admin } = await company();
    const inactive = await addMember(portal.db, account.accountId, { name: 'Inês Inativa', status: 'deactivated' });
    const pending = await addMember(portal.db, account.accountId, { name: 'Paulo Pendente', status: 'pending' });
    const noPortal = await addMember(portal.db, account.accountId, { name: 'Sem Portal', profile: 'custom' });
    const other = await createAccount(portal.db);
    const cases: [number, string][] = [
      [maria.contactId, 'Escolha um contato diferente de quem tem os chamados.'],
      [inactive.contactId, 'Esse contato está desativado: ele não pode receber chamados.'],
      [pending.contactId, 'Esse contato ainda não aceitou o convite: ele não pode receber chamados.'],
      [other.admin.contactId, 'Esse contato não pertence a esta empresa.'],
      [noPortal.contactId, 'Esse contato não tem "Portal de Clientes Autoatendimento": ele não pode receber chamados.'],
    ];
    for (const [to, message] of cases) {
      const res = await postForm(admin.agent, `${base}/transfer`, admin.csrf, { from: maria.contactId, to, tickets }).expect(422);
      expect(flashes(res.text)).to.deep.equal([message]);
    }
    for (const id of tickets) expect(await ownerOf(portal.db, id)).to.equal(maria.contactId);
  });

  it('leaves out, and names, a ticket whose owner changed meanwhile; two transfers at once move each ticket once', async () => {
    const { account, base, maria, bruno, tickets, admin } = await company();
    const carla = await addMember(portal.db, account.accountId, { name: 'Carla Chegou Antes' });
    await portal.db('support_tickets').where({ id: tickets[1] }).update({ owner_contact_id: carla.contactId });
    const res = await postForm(admin.agent, `${base}/transfer`, admin.csrf, { from: maria.contactId, to: bruno.contactId, tickets }).expect(200);
    expect(flashes(res.text)[0]).to.equal('Chamados transferidos com sucesso! 2 chamados agora são de Bruno Recebe.');
    expect(decode(res.text)).to.contain('#2 Segundo chamado'); // the company's own number
    expect(await ownerOf(portal.db, tickets[1]!)).to.equal(carla.contactId);

    // Race: both administrators post Maria's remaining tickets at once, to different receivers.
    const second = await company();
    const other = await addMember(portal.db, second.account.accountId, { name: 'Outra Receptora' });
    const [r1, r2] = await Promise.all([
      postForm(second.admin.agent, `${second.base}/transfer`, second.admin.csrf, { from: second.maria.contactId, to: second.bruno.contactId, tickets: second.tickets }),
      postForm(second.admin.agent, `${second.base}/transfer`, second.admin.csrf, { from: second.maria.contactId, to: other.contactId, tickets: second.tickets }),
    ]);
    expect([r1.status, r2.status]).to.deep.equal([200, 200]);
    const owners = await Promise.all(second.tickets.map((id) => ownerOf(portal.db, id)));
    const toBruno = owners.filter((o) => o === second.bruno.contactId).length;
    const toOther = owners.filter((o) => o === other.contactId).length;
    expect(toBruno + toOther).to.equal(3);
    const counts = [r1, r2].map((r) => Number(/sucesso! (\d+)/.exec(decode(r.text))?.[1]));
    expect(counts.sort()).to.deep.equal([toBruno, toOther].sort());
    const entries = await portal.db('support_ticket_entries').whereIn('ticket_id', second.tickets).where({ kind: 'transferred' });
    expect(entries).to.have.length(3);
  });

  it('is for administrators and holders of "Transferir chamados" only', async () => {
    const { account, base, maria, bruno, tickets } = await company();
    const m = await loggedIn(portal, bruno.email, PASSWORD);
    await m.agent.get(`${base}/transfer`).expect(403);
    await postForm(m.agent, `${base}/transfer`, m.csrf, { from: maria.contactId, to: bruno.contactId, tickets }).expect(403);
    expect(await ownerOf(portal.db, tickets[0]!)).to.equal(maria.contactId);

    const holder = await addMember(portal.db, account.accountId, { name: 'Tânia Transfere', profile: 'custom' });
    await portal.db('contact_permissions').insert(['support.portal', 'support.transfer'].map((permission_key) => ({ contact_id: holder.contactId, permission_key })));
    const h = await loggedIn(portal, holder.email, PASSWORD);
    await postForm(h.agent, `${base}/transfer`, h.csrf, { from: maria.contactId, to: bruno.contactId, tickets: [tickets[0]!] }).expect(200);
    expect(await ownerOf(portal.db, tickets[0]!)).to.equal(bruno.contactId);
  });

  describe('sees and moves only tickets the actor may see, to a receiver who may see them', () => {
    /** A custom-profile contact holding exactly `flags`. */
    async function holder(accountId: number, name: string, flags: string[]) {
      const c = await addMember(portal.db, accountId, { name, profile: 'custom' });
      await portal.db('contact_permissions').insert(flags.map((permission_key) => ({ contact_id: c.contactId, permission_key })));
      return c;
    }

    it('a restricted holder of "Transferir chamados" lists only their own tickets, and cannot take anyone else\'s', async () => {
      const { account, base, maria, tickets } = await company();
      const bpo = await insertTicket(portal.db, account.accountId, maria.contactId, 'Folha terceirizada sigilosa', { bpo: true });
      const rita = await holder(account.accountId, 'Rita Restrita', ['support.portal', 'support.restricted', 'support.transfer']);
      const own = await insertTicket(portal.db, account.accountId, rita.contactId, 'Chamado da Rita');
      const r = await loggedIn(portal, rita.email, PASSWORD);

      const page = decode((await r.agent.get(`${base}/transfer`).expect(200)).text);
      expect(page).not.to.contain('Maria Saindo');
      expect(page).to.match(new RegExp(`<option value="${rita.contactId}"[^>]*>Rita Restrita</option>`));
      const listed = decode((await r.agent.get(`${base}/transfer?from=${maria.contactId}`).expect(200)).text);
      for (const subject of ['Primeiro chamado', 'Folha terceirizada sigilosa']) expect(listed).not.to.contain(subject);
      expect(decode((await r.agent.get(`${base}/transfer?from=${rita.contactId}`).expect(200)).text)).to.contain('Chamado da Rita');

      // Posting Maria's ticket ids anyway (to herself): nothing moves, and no subject comes back.
      const res = await postForm(r.agent, `${base}/transfer`, r.csrf, { from: maria.contactId, to: rita.contactId, tickets: [bpo, tickets[0]!] });
      expect(decode(res.text)).not.to.contain('Folha terceirizada sigilosa');
      expect(decode(res.text)).not.to.contain('Primeiro chamado');
      expect(await ownerOf(portal.db, bpo)).to.equal(maria.contactId);
      expect(await ownerOf(portal.db, tickets[0]!)).to.equal(maria.contactId);
      await r.agent.get(`${base}/${bpo}`).expect(404);
      expect(await ownerOf(portal.db, own)).to.equal(rita.contactId);
    });

    it('refuses a BPO ticket to a receiver without "Acesso completo a chamados BPO", naming why, and moves nothing', async () => {
      const { account, base, maria, bruno, tickets, admin } = await company();
      const bpo = await insertTicket(portal.db, account.accountId, maria.contactId, 'Folha terceirizada', { bpo: true });
      const res = await postForm(admin.agent, `${base}/transfer`, admin.csrf, { from: maria.contactId, to: bruno.contactId, tickets: [tickets[0]!, bpo] }).expect(422);
      expect(flashes(res.text)).to.deep.equal([
        `Bruno Recebe não tem "Acesso completo a chamados BPO" e não veria estes chamados BPO: #${await numberOf(bpo)} Folha terceirizada. Escolha outro contato ou desmarque esses chamados.`,
      ]);
      expect(await ownerOf(portal.db, bpo)).to.equal(maria.contactId);
      expect(await ownerOf(portal.db, tickets[0]!)).to.equal(maria.contactId);
      await (await loggedIn(portal, bruno.email, PASSWORD)).agent.get(`${base}/${bpo}`).expect(404);
      expect(await portal.db('audit_events').where({ account_id: account.accountId, action: 'support.tickets_transferred' })).to.have.length(0);

      // A receiver who holds it gets the BPO ticket.
      const bia = await holder(account.accountId, 'Bia BPO', ['support.portal', 'support.bpo-full']);
      await postForm(admin.agent, `${base}/transfer`, admin.csrf, { from: maria.contactId, to: bia.contactId, tickets: [bpo] }).expect(200);
      expect(await ownerOf(portal.db, bpo)).to.equal(bia.contactId);
    });

    it('refuses a restricted receiver, who sees only their own tickets, naming why', async () => {
      const { account, base, maria, tickets, admin } = await company();
      const olga = await addMember(portal.db, account.accountId, { name: 'Olga Observadora', profile: 'observer' });
      const res = await postForm(admin.agent, `${base}/transfer`, admin.csrf, { from: maria.contactId, to: olga.contactId, tickets: [tickets[0]!] }).expect(422);
      expect(flashes(res.text)).to.deep.equal([
        'Olga Observadora tem "Restringir acesso aos chamados": vê apenas os próprios chamados e não pode receber os de outra pessoa.',
      ]);
      expect(await ownerOf(portal.db, tickets[0]!)).to.equal(maria.contactId);
    });

    it('a ticket of another account is neither moved nor named', async () => {
      const { base, maria, bruno, admin } = await company();
      const other = await createAccount(portal.db);
      const theirs = await insertTicket(portal.db, other.accountId, other.admin.contactId, 'Chamado de outra empresa');
      for (const from of [maria.contactId, other.admin.contactId]) {
        const res = await postForm(admin.agent, `${base}/transfer`, admin.csrf, { from, to: bruno.contactId, tickets: [theirs] });
        expect(decode(res.text)).not.to.contain('Chamado de outra empresa');
      }
      expect(await ownerOf(portal.db, theirs)).to.equal(other.admin.contactId);
    });
  });

  describe('a contact who leaves with open tickets', () => {
    for (const change of ['delete', 'deactivate'] as const) {
      it(`${change}: the confirmation asks who receives them; nothing changes until they have a new owner`, async () => {
        const { account, maria, bruno, tickets, closed, admin } = await company();
        const contacts = `/accounts/${account.accountId}/contacts`;
        const dialog = decode((await admin.agent.get(`${contacts}/${maria.contactId}/${change}`).expect(200)).text);
        expect(dialog).to.contain('Este contato tem 3 chamados abertos.');
        expect(dialog).to.contain('Quem recebe os chamados abertos');
        expect(dialog).to.match(new RegExp(`<option value="${bruno.contactId}"[^>]*>Bruno Recebe</option>`));
        expect(dialog).not.to.match(new RegExp(`<option value="${maria.contactId}"`));

        // No receiver, or one not offered: the dialog again, and Maria keeps everything.
        await postForm(admin.agent, `${contacts}/${maria.contactId}/${change}`, admin.csrf, { confirming: '1' }).expect(422);
        await postForm(admin.agent, `${contacts}/${maria.contactId}/${change}`, admin.csrf, { 'support.receiver': String(maria.contactId) }).expect(422);
        const stillThere = await portal.db('contacts').where({ id: maria.contactId }).first();
        expect(stillThere.status).to.equal('active');
        for (const id of tickets) expect(await ownerOf(portal.db, id)).to.equal(maria.contactId);

        await postForm(admin.agent, `${contacts}/${maria.contactId}/${change}`, admin.csrf, { 'support.receiver': String(bruno.contactId) }).expect(303);
        const after = await portal.db('contacts').where({ id: maria.contactId }).first();
        if (change === 'delete') expect(after).to.equal(undefined);
        else expect(after.status).to.equal('deactivated');
        for (const id of tickets) expect(await ownerOf(portal.db, id)).to.equal(bruno.contactId);
        expect(await ownerOf(portal.db, closed)).to.equal(maria.contactId); // history, not work to hand over
        const show = decode((await admin.agent.get(`/accounts/${account.accountId}/p/support/${tickets[0]}`)).text);
        expect(show).to.contain('Ana Administradora transferiu de Maria Saindo para Bruno Recebe.');
        // The hook leaves its own trace, signed by who deleted or deactivated, in the same transaction.
        const events = await portal.db('audit_events').where({ account_id: account.accountId, action: 'support.tickets_handed_over' });
        expect(events).to.have.length(1);
        expect(events[0]).to.include({ actor_contact_id: account.admin.contactId, target_type: 'contact', target_id: String(bruno.contactId) });
        expect(readableActorName(events[0])).to.equal('Ana Administradora');
        expect(events[0].ip, 'the request the deletion came from').to.be.a('string');
        expect(readableDetails(events[0])).to.deep.include({ from: maria.contactId, to: bruno.contactId, tickets, reason: change === 'delete' ? 'deleted' : 'deactivated' });
      });
    }

    it('offers only receivers who would see every ticket: not a restricted contact, and with a BPO ticket only holders of the BPO flag', async () => {
      const { account, maria, bruno, admin } = await company();
      const contacts = `/accounts/${account.accountId}/contacts`;
      const olga = await addMember(portal.db, account.accountId, { name: 'Olga Observadora', profile: 'observer' });
      const offered = async () => {
        const dialog = decode((await admin.agent.get(`${contacts}/${maria.contactId}/delete`).expect(200)).text);
        return [bruno.contactId, olga.contactId, account.admin.contactId].filter((id) => new RegExp(`<option value="${id}"`).test(dialog));
      };
      expect(await offered()).to.deep.equal([bruno.contactId, account.admin.contactId]);
      await insertTicket(portal.db, account.accountId, maria.contactId, 'Folha terceirizada', { bpo: true });
      expect(await offered()).to.deep.equal([account.admin.contactId]);
      // Answering with Bruno anyway: the dialog again, and Maria keeps everything.
      await postForm(admin.agent, `${contacts}/${maria.contactId}/delete`, admin.csrf, { 'support.receiver': String(bruno.contactId) }).expect(422);
      expect(await portal.db('contacts').where({ id: maria.contactId }).first()).to.not.equal(undefined);
    });

    it('a receiver deactivated after the dialog was shown is refused: nothing is deleted, the tickets stay', async () => {
      const { account, maria, bruno, tickets, admin } = await company();
      const contacts = `/accounts/${account.accountId}/contacts`;
      await portal.db('contacts').where({ id: bruno.contactId }).update({ status: 'deactivated' });
      const res = await postForm(admin.agent, `${contacts}/${maria.contactId}/delete`, admin.csrf, { 'support.receiver': String(bruno.contactId) });
      expect(res.status).to.equal(422);
      expect(await portal.db('contacts').where({ id: maria.contactId }).first()).to.not.equal(undefined);
      for (const id of tickets) expect(await ownerOf(portal.db, id)).to.equal(maria.contactId);
    });

    it('the hook itself, inside the transaction, refuses a missing or inactive receiver and moves nothing', async () => {
      const { account, maria, bruno, tickets } = await company();
      await portal.db('contacts').where({ id: bruno.contactId }).update({ status: 'deactivated' });
      const event = { accountId: account.accountId, contactId: maria.contactId, actorContactId: account.admin.contactId };
      const audit = new AuditService();
      const ctx = createPluginContext(portal.registry.plugins.find((p) => p.id === 'support')!, {
        db: portal.db, audit, permissions: new PermissionService(portal.db, portal.registry, audit), dataDir: portal.config.dataDir,
      });
      for (const fields of [{}, { 'support.receiver': String(bruno.contactId) }] as Record<string, string>[]) {
        const hook = { actor: { userId: account.admin.userId, contactId: account.admin.contactId, name: account.admin.name }, audit: () => Promise.reject(new Error('nothing to record')) };
        const refusal = await portal.db.transaction((trx) => handOverOpenTickets({ ...event, fields }, trx, ctx, hook)).then(() => null, (err: unknown) => err);
        expect(refusal).to.be.instanceOf(HookRefusal);
      }
      for (const id of tickets) expect(await ownerOf(portal.db, id)).to.equal(maria.contactId);
    });

    it('a contact without open tickets is deleted without a question', async () => {
      const { account, bruno, admin } = await company();
      const contacts = `/accounts/${account.accountId}/contacts`;
      expect(decode((await admin.agent.get(`${contacts}/${bruno.contactId}/delete`)).text)).not.to.contain('Quem recebe os chamados abertos');
      await postForm(admin.agent, `${contacts}/${bruno.contactId}/delete`, admin.csrf, {}).expect(303);
      expect(await portal.db('contacts').where({ id: bruno.contactId }).first()).to.equal(undefined);
    });
  });
});
