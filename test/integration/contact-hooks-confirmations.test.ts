import path from 'node:path';
import { expect } from 'chai';
import { addMember, createAccount, PASSWORD } from '../support/fixtures';
import { loggedIn, startPortal, type TestPortal } from '../support/portal';
import { FIELD, received, refusedReceivers } from '../fixtures/confirming-plugins/receiver-test/index';
import { decode, flashes, postForm, type Admin } from './helpers/contacts';

describe('contact hooks: a plugin asks for a receiver in the delete / deactivate confirmation', () => {
  let portal: TestPortal;

  before(async () => {
    portal = await startPortal({}, { builtInPluginsDir: path.resolve(import.meta.dirname, '../fixtures/confirming-plugins') });
  });

  beforeEach(() => {
    received.length = 0;
    refusedReceivers.clear();
  });

  const setup = async (): Promise<Admin & { owner: { contactId: number; name: string }; bia: { contactId: number }; plain: { contactId: number } }> => {
    const account = await createAccount(portal.db);
    const session = await loggedIn(portal, account.admin.email, PASSWORD);
    const owner = await addMember(portal.db, account.accountId, { name: 'Dono Dos Itens' });
    const bia = await addMember(portal.db, account.accountId, { name: 'Bia Recebedora' });
    const plain = await addMember(portal.db, account.accountId, { name: 'Sem Itens' });
    return { ...account, ...session, base: `/accounts/${account.accountId}/contacts`, owner, bia, plain };
  };
  const statusOf = async (id: number) => (await portal.db('contacts').where({ id }).first('status'))?.status as string | undefined;
  const selectOf = (html: string) => /<select[^>]*name="receiver-test\.receiver"[\s\S]*?<\/select>/.exec(html)?.[0];

  it('the delete dialog shows the plugin\'s question with the options it offers, only for the contact it asks about', async () => {
    const s = await setup();
    const dialog = await s.agent.get(`${s.base}/${s.owner.contactId}/delete`);
    expect(dialog.status).to.equal(200);
    expect(decode(dialog.text)).to.contain('Dono Dos Itens tem itens em aberto.');
    expect(decode(dialog.text)).to.contain('Quem recebe os itens');
    const select = selectOf(dialog.text);
    expect(select).to.contain(`value="${s.bia.contactId}"`);
    expect(select).to.not.contain(`value="${s.owner.contactId}"`);
    expect(selectOf((await s.agent.get(`${s.base}/${s.plain.contactId}/delete`)).text)).to.equal(undefined);
  });

  it('deleting without an answer, or with one not offered, shows the dialog again with the error and deletes nothing', async () => {
    const s = await setup();
    const elsewhere = await createAccount(portal.db);
    const answers: Record<string, string>[] = [{ confirming: '1' }, { [FIELD]: String(elsewhere.admin.contactId) }];
    for (const answer of answers) {
      const res = await postForm(s, `/${s.owner.contactId}/delete`, answer);
      expect(res.status).to.equal(422);
      expect(decode(res.text)).to.contain('Escolha uma das opções para continuar.');
      expect(selectOf(res.text)).to.contain('aria-invalid="true"');
    }
    expect(await statusOf(s.owner.contactId)).to.equal('active');
    expect(received).to.have.length(0);
  });

  it('the chosen receiver reaches the contact.deleting hook, and the contact is deleted', async () => {
    const s = await setup();
    const res = await postForm(s, `/${s.owner.contactId}/delete`, { [FIELD]: String(s.bia.contactId) });
    expect(res.status).to.equal(303);
    expect(await statusOf(s.owner.contactId)).to.equal(undefined);
    expect(received).to.deep.equal([{ hook: 'contact.deleting', contactId: s.owner.contactId, fields: { [FIELD]: String(s.bia.contactId) } }]);
  });

  it('a hook that refuses the receiver keeps the contact and shows the plugin\'s message', async () => {
    const s = await setup();
    refusedReceivers.add(s.bia.contactId);
    const res = await postForm(s, `/${s.owner.contactId}/delete`, { [FIELD]: String(s.bia.contactId) });
    expect(res.status).to.equal(303);
    expect(flashes((await s.agent.get(res.headers.location!)).text)).to.include('Este recebedor não pode receber os itens.');
    expect(await statusOf(s.owner.contactId)).to.equal('active');
  });

  it('deactivating asks the same question: no answer shows the confirmation, an answer reaches contact.deactivated', async () => {
    const s = await setup();
    // A bare POST (the row menu's button) is asked first: the question, no error before a choice.
    const asked = await postForm(s, `/${s.owner.contactId}/deactivate`);
    expect(asked.status).to.equal(200);
    expect(decode(asked.text)).to.contain('Tem certeza que deseja desativar este usuário?');
    expect(decode(asked.text)).not.to.contain('Escolha uma das opções para continuar.');
    // The confirmation submitted without a choice answers with the error.
    const unanswered = await postForm(s, `/${s.owner.contactId}/deactivate`, { confirming: '1' });
    expect(unanswered.status).to.equal(422);
    expect(decode(unanswered.text)).to.contain('Escolha uma das opções para continuar.');
    expect(selectOf(asked.text)).to.contain(`value="${s.bia.contactId}"`);
    expect(await statusOf(s.owner.contactId)).to.equal('active');

    const page = await s.agent.get(`${s.base}/${s.owner.contactId}/deactivate`);
    expect(page.status).to.equal(200);
    expect(selectOf(page.text)).to.contain(`value="${s.bia.contactId}"`);

    const res = await postForm(s, `/${s.owner.contactId}/deactivate`, { [FIELD]: String(s.bia.contactId) });
    expect(res.status).to.equal(303);
    expect(await statusOf(s.owner.contactId)).to.equal('deactivated');
    expect(received).to.deep.equal([{ hook: 'contact.deactivated', contactId: s.owner.contactId, fields: { [FIELD]: String(s.bia.contactId) } }]);
  });

  it('a refused receiver keeps the contact active; a contact nobody asks about is deactivated at once', async () => {
    const s = await setup();
    refusedReceivers.add(s.bia.contactId);
    const res = await postForm(s, `/${s.owner.contactId}/deactivate`, { [FIELD]: String(s.bia.contactId) });
    expect(flashes((await s.agent.get(res.headers.location!)).text)).to.include('Este recebedor não pode receber os itens.');
    expect(await statusOf(s.owner.contactId)).to.equal('active');

    expect((await postForm(s, `/${s.plain.contactId}/deactivate`)).status).to.equal(303);
    expect(await statusOf(s.plain.contactId)).to.equal('deactivated');
    expect(received.at(-1)).to.deep.equal({ hook: 'contact.deactivated', contactId: s.plain.contactId, fields: {} });
  });

  it('another company\'s contact: 404 on the confirmation pages and their posts, nothing asked or changed', async () => {
    const s = await setup();
    const elsewhere = await createAccount(portal.db);
    const theirs = await addMember(portal.db, elsewhere.accountId, { name: 'Dono De Outra Empresa' });
    for (const action of ['delete', 'deactivate']) {
      expect((await s.agent.get(`${s.base}/${theirs.contactId}/${action}`)).status).to.equal(404);
      expect((await postForm(s, `/${theirs.contactId}/${action}`, { [FIELD]: String(s.bia.contactId) })).status).to.equal(404);
    }
    expect(await statusOf(theirs.contactId)).to.equal('active');
    expect(received).to.have.length(0);
  });
});
