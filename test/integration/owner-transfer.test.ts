import path from 'node:path';
import { expect } from 'chai';
import { addMember, createAccount, PASSWORD } from '../support/fixtures';
import { sharedSmtp, to } from '../support/mail';
import { loggedIn, sharedPortal, startPortal, type TestPortal } from '../support/portal';
import { received, refusedReceivers } from '../fixtures/confirming-plugins/receiver-test/index';
import { decode, expectCountersExact, flashes, newAdmin, type Admin } from './helpers/contacts';
import { ageSessions } from './helpers/security';

describe('owner transfer: "Transferir administração"', () => {
  let portal: TestPortal;
  const accountIds: number[] = [];

  before(async () => {
    portal = await sharedPortal();
  });

  after(async () => {
    await expectCountersExact(portal.db, accountIds);
  });

  const ownerOf = async (accountId: number) => Number((await portal.db('accounts').where({ id: accountId }).first('owner_contact_id')).owner_contact_id);
  const profileOf = async (contactId: number) => String((await portal.db('contacts').where({ id: contactId }).first('profile')).profile);
  const transferEvents = (accountId: number) => portal.db('audit_events').where({ account_id: accountId, action: 'owner.transferred' });
  const transfer = (s: { agent: Admin['agent']; csrf: string }, accountId: number, form: Record<string, string>) =>
    s.agent.post(`/accounts/${accountId}/owner`).type('form').send({ _csrf: s.csrf, ...form });
  const menuOf = (html: string) => {
    const nav = /<nav class="sidebar"[\s\S]*?<\/nav>/.exec(html)?.[0] ?? '';
    return [...nav.matchAll(/<a href="[^"]+">([^<]*)<\/a>/g)].map((m) => decode(m[1]!));
  };

  it('hands the administration to an active contact, who becomes Administrador; the former owner keeps Administrador; both are e-mailed; audited', async () => {
    const s = await newAdmin(portal, accountIds);
    const bia = await addMember(portal.db, s.accountId, { name: 'Bia Receptora', profile: 'member' });
    const page = await s.agent.get(`/accounts/${s.accountId}/owner`);
    expect(page.status).to.equal(200);
    expect(decode(page.text)).to.contain('Você tem certeza que deseja transferir a administração para este usuário?');
    expect(decode(page.text)).to.contain('Bia Receptora');
    expect(menuOf((await s.agent.get(`/accounts/${s.accountId}`)).text)).to.include('Transferir administração');

    const res = await transfer(s, s.accountId, { receiver: String(bia.contactId), formerProfile: 'administrator' });
    expect(res.status).to.equal(303);
    expect(flashes((await s.agent.get(res.headers.location!)).text)).to.include('A administração foi transferida para Bia Receptora, agora administrador(a) principal.');
    expect(await ownerOf(s.accountId)).to.equal(bia.contactId);
    expect(await profileOf(bia.contactId)).to.equal('administrator');
    expect(await profileOf(s.admin.contactId)).to.equal('administrator');

    const [event] = await transferEvents(s.accountId);
    expect(Number(event.actor_contact_id)).to.equal(s.admin.contactId);
    expect(JSON.parse(String(event.details))).to.deep.include({ after: { owner_contact_id: bia.contactId, former_profile: 'administrator', receiver_profile: 'administrator' } });

    await portal.deliverMail();
    const smtp = await sharedSmtp();
    expect((await smtp.waitFor(to(bia.email))).text).to.contain('transferiu para você a administração principal');
    expect((await smtp.waitFor(to(s.admin.email))).text).to.contain('passou de você para Bia Receptora');
  });

  it('a former owner who chose Membro loses the owner-only and administrator pages on the next request', async () => {
    const s = await newAdmin(portal, accountIds);
    const bia = await addMember(portal.db, s.accountId, { name: 'Bia Receptora' });
    const before = menuOf((await s.agent.get(`/accounts/${s.accountId}`)).text);
    expect(before).to.include.members(['Transferir administração', 'Usuários do Sistema']);

    expect((await transfer(s, s.accountId, { receiver: String(bia.contactId), formerProfile: 'member' })).status).to.equal(303);
    expect(await profileOf(s.admin.contactId)).to.equal('member');
    const after = menuOf((await s.agent.get(`/accounts/${s.accountId}`)).text);
    expect(after).to.not.include('Transferir administração');
    expect(after).to.not.include('Usuários do Sistema');
    expect((await s.agent.get(`/accounts/${s.accountId}/owner`)).status).to.equal(403);
    expect((await transfer(s, s.accountId, { receiver: String(bia.contactId) })).status).to.equal(403);
    expect(await ownerOf(s.accountId)).to.equal(bia.contactId);

    const newOwner = await loggedIn(portal, bia.email, PASSWORD);
    expect(menuOf((await newOwner.agent.get(`/accounts/${s.accountId}`)).text)).to.include('Transferir administração');
  });

  it('only the primary administrator: another administrator gets no entry and a 403', async () => {
    const s = await newAdmin(portal, accountIds);
    const other = await addMember(portal.db, s.accountId, { profile: 'administrator' });
    const session = await loggedIn(portal, other.email, PASSWORD);
    expect(menuOf((await session.agent.get(`/accounts/${s.accountId}`)).text)).to.not.include('Transferir administração');
    expect((await session.agent.get(`/accounts/${s.accountId}/owner`)).status).to.equal(403);
    expect((await transfer(session, s.accountId, { receiver: String(other.contactId) })).status).to.equal(403);
    expect(await ownerOf(s.accountId)).to.equal(s.admin.contactId);
  });

  it('refuses yourself, no choice, an inactive or pending receiver, and answers 404 for another company\'s contact; nothing changes', async () => {
    const s = await newAdmin(portal, accountIds);
    const bia = await addMember(portal.db, s.accountId);
    const off = await addMember(portal.db, s.accountId, { status: 'deactivated' });
    const pending = await addMember(portal.db, s.accountId, { status: 'pending' });
    const elsewhere = await createAccount(portal.db);
    accountIds.push(elsewhere.accountId);
    const outsider = await addMember(portal.db, elsewhere.accountId);

    const page = await s.agent.get(`/accounts/${s.accountId}/owner`);
    expect(page.text).to.contain(`value="${bia.contactId}"`);
    expect(page.text).to.not.contain(`value="${s.admin.contactId}"`);
    expect(page.text).to.not.contain(`value="${off.contactId}"`);
    expect(page.text).to.not.contain(`value="${pending.contactId}"`);

    const self = await transfer(s, s.accountId, { receiver: String(s.admin.contactId) });
    expect(self.status).to.equal(422);
    expect(decode(self.text)).to.contain('Escolha outro usuário.');
    const none = await transfer(s, s.accountId, { receiver: '' });
    expect(none.status).to.equal(422);
    expect(decode(none.text)).to.contain('Selecione o novo administrador principal.');
    for (const c of [off, pending]) {
      const res = await transfer(s, s.accountId, { receiver: String(c.contactId) });
      expect(res.status).to.equal(422);
      expect(decode(res.text)).to.contain('precisa ser um usuário ativo desta empresa');
    }
    expect((await transfer(s, s.accountId, { receiver: String(outsider.contactId) })).status).to.equal(404);

    expect(await ownerOf(s.accountId)).to.equal(s.admin.contactId);
    expect(await ownerOf(elsewhere.accountId)).to.equal(elsewhere.admin.contactId);
    expect(await profileOf(outsider.contactId)).to.equal('member');
    expect(await transferEvents(s.accountId)).to.have.length(0);
  });

  it('asks for the step-up confirmation when the sign-in is old', async () => {
    const s = await newAdmin(portal, accountIds);
    const bia = await addMember(portal.db, s.accountId);
    await ageSessions(portal.db, s.admin.userId, 16);
    const res = await transfer(s, s.accountId, { receiver: String(bia.contactId) });
    expect(res.status).to.equal(303);
    expect(res.headers.location).to.equal('/step-up');
    expect(await ownerOf(s.accountId)).to.equal(s.admin.contactId);
  });

  it('two transfers at once leave exactly one owner, the other refused', async () => {
    const s = await newAdmin(portal, accountIds);
    const bia = await addMember(portal.db, s.accountId, { name: 'Bia' });
    const caio = await addMember(portal.db, s.accountId, { name: 'Caio' });
    const tab2 = await loggedIn(portal, s.admin.email, PASSWORD);
    const [a, b] = await Promise.all([
      transfer(s, s.accountId, { receiver: String(bia.contactId), formerProfile: 'member' }),
      transfer(tab2, s.accountId, { receiver: String(caio.contactId), formerProfile: 'member' }),
    ]);
    // On MariaDB both pass the page's owner check and the account lock refuses the later one;
    // on SQLite writes queue, so the later request may already see another owner (403).
    expect([a.status, b.status]).to.include(303);
    const owner = await ownerOf(s.accountId);
    expect([bia.contactId, caio.contactId]).to.include(owner);
    expect(await transferEvents(s.accountId)).to.have.length(1);
    const loser = owner === bia.contactId ? caio : bia;
    expect(await profileOf(loser.contactId)).to.equal('member');
    expect(await profileOf(owner)).to.equal('administrator');
    const messages = [...flashes((await s.agent.get(`/accounts/${s.accountId}`)).text), ...flashes((await tab2.agent.get(`/accounts/${s.accountId}`)).text)];
    expect(messages.filter((m) => m.startsWith('A administração foi transferida para '))).to.have.length(1);
    if (a.status === 303 && b.status === 303) expect(messages).to.include('Somente o administrador principal pode transferir a administração.');
  });

  it('a transfer racing the receiver\'s deactivation never leaves a deactivated owner', async () => {
    const s = await newAdmin(portal, accountIds);
    const bia = await addMember(portal.db, s.accountId);
    const admin2 = await addMember(portal.db, s.accountId, { profile: 'administrator' });
    const other = await loggedIn(portal, admin2.email, PASSWORD);
    await Promise.all([
      transfer(s, s.accountId, { receiver: String(bia.contactId) }),
      other.agent.post(`/accounts/${s.accountId}/contacts/${bia.contactId}/deactivate`).type('form').send({ _csrf: other.csrf }),
    ]);
    const owner = await ownerOf(s.accountId);
    const status = String((await portal.db('contacts').where({ id: owner }).first('status')).status);
    expect(status).to.equal('active');
  });
});

describe('owner transfer: the owner.transferred hook', () => {
  let portal: TestPortal;

  before(async () => {
    portal = await startPortal({}, { builtInPluginsDir: path.resolve(import.meta.dirname, '../fixtures/confirming-plugins') });
  });

  beforeEach(() => {
    received.length = 0;
    refusedReceivers.clear();
  });

  const setup = async () => {
    const account = await createAccount(portal.db);
    const session = await loggedIn(portal, account.admin.email, PASSWORD);
    const bia = await addMember(portal.db, account.accountId, { name: 'Bia' });
    const post = (receiver: number) => session.agent.post(`/accounts/${account.accountId}/owner`).type('form').send({ _csrf: session.csrf, receiver: String(receiver), formerProfile: 'member' });
    return { ...account, session, bia, post };
  };
  const ownerOf = async (accountId: number) => Number((await portal.db('accounts').where({ id: accountId }).first('owner_contact_id')).owner_contact_id);

  it('plugins hear of the transfer inside its transaction', async () => {
    const s = await setup();
    expect((await s.post(s.bia.contactId)).status).to.equal(303);
    expect(received).to.deep.equal([{ hook: 'owner.transferred', contactId: s.bia.contactId, fields: {} }]);
    expect(await ownerOf(s.accountId)).to.equal(s.bia.contactId);
  });

  it('a hook that refuses keeps the owner, the profiles, the audit trail and the outbox as they were', async () => {
    const s = await setup();
    refusedReceivers.add(s.bia.contactId);
    const res = await s.post(s.bia.contactId);
    expect(res.status).to.equal(303);
    expect(flashes((await s.session.agent.get(res.headers.location!)).text)).to.include('Este recebedor não pode receber os itens.');
    expect(await ownerOf(s.accountId)).to.equal(s.admin.contactId);
    expect((await portal.db('contacts').where({ id: s.admin.contactId }).first('profile')).profile).to.equal('administrator');
    expect(await portal.db('audit_events').where({ account_id: s.accountId, action: 'owner.transferred' })).to.have.length(0);
    expect(await portal.db('mail_outbox').where({ account_id: s.accountId })).to.have.length(0);
  });
});
