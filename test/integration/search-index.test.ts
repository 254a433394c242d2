import { expect } from 'chai';
import { ContactRepository, type NewContact } from '../../server/contacts/contacts.repository';
import { createAccount } from '../support/fixtures';
import { sharedPortal, type TestPortal } from '../support/portal';

const contact = (accountId: number, name: string, email: string): NewContact => ({ account_id: accountId, user_id: null, status: 'active', profile: 'member', name, email, country: 'BR' });

describe('search column: what a contact is found by', () => {
  let portal: TestPortal;
  const repo = new ContactRepository();

  before(async () => {
    portal = await sharedPortal();
  });

  it('a word starts a word of the name or of the e-mail, or the e-mail or the document; all words must match', async () => {
    const { accountId } = await createAccount(portal.db);
    const id = await repo.insert(portal.db, contact(accountId, 'Maria Silva', 'maria.silva@x.test'));
    await repo.insert(portal.db, { ...contact(accountId, 'Ana Lima', 'contato@x.test'), document_type: 'passport', document_number: 'XY-9876' });
    await repo.insert(portal.db, { ...contact(accountId, 'João Gonçalves', 'jg@x.test'), document_type: 'cpf', document_number: '01234567890' });
    const names = async (...words: string[]) =>
      (await repo.list(portal.db, { accountId, status: 'active', words, sort: 'name', offset: 0, limit: 25 })).map((r) => r.name);
    expect(await names('maria.silva@x')).to.deep.equal(['Maria Silva']);
    expect(await names('maria')).to.deep.equal(['Maria Silva']);
    expect(await names('silva@x')).to.deep.equal(['Maria Silva']);
    expect(await names('x.test')).to.deep.equal(['Ana Lima', 'João Gonçalves', 'Maria Silva']); // the domain finds the company's people
    expect(await names('contato@')).to.deep.equal(['Ana Lima']);
    expect(await names('cont')).to.deep.equal(['Ana Lima']);
    expect(await names('xy98')).to.deep.equal(['Ana Lima']);
    expect(await names('ana', 'xy9')).to.deep.equal(['Ana Lima']);
    expect(await names('m', 'cont')).to.deep.equal([]);
    expect(await names('ilva')).to.deep.equal([]); // the middle of a word is not its start
    expect(await names('joao', 'goncalves')).to.deep.equal(['João Gonçalves']);
    expect(await names('012345')).to.deep.equal(['João Gonçalves']);
    // Renamed, Maria is still found by her e-mail, and no longer by her old surname alone.
    await repo.update(portal.db, accountId, id, { name: 'Beatriz Souza', email: 'maria.silva@x.test', country: 'BR' });
    expect(await names('mari')).to.deep.equal(['Beatriz Souza']);
    expect(await names('souza')).to.deep.equal(['Beatriz Souza']);
    await repo.update(portal.db, accountId, id, { name: 'Beatriz Souza', email: 'bia@x.test', country: 'BR' });
    expect(await names('mari')).to.deep.equal([]);
    expect(await names('silva')).to.deep.equal([]);
  });

  // Guards the write cost every later feature pays (CSV import, invitations): one row per contact,
  // where the term tables wrote 20-35 rows and as many counts.
  it('a contact is one row: adding one writes no other table', async () => {
    const { accountId } = await createAccount(portal.db);
    const writes: string[] = [];
    const listener = (q: { sql: string }) => {
      if (/^\s*(insert|update|delete)/i.test(q.sql)) writes.push(q.sql);
    };
    portal.db.on('query', listener);
    try {
      await repo.insert(portal.db, contact(accountId, 'Carla Dias', 'carla@x.test'));
    } finally {
      portal.db.off('query', listener);
    }
    expect(writes).to.have.length(1);
    expect(writes[0]).to.match(/insert into [`"]?contacts[`"]?/i);
  });
});
