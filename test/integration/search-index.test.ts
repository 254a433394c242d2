import { expect } from 'chai';
import { ContactRepository, type NewContact } from '../../server/contacts/contacts.repository';
import { searchTextOf } from '../../server/contacts/search-text';
import { loadConfig } from '../../server/config';
import { createDb } from '../../server/db/knex';
import { coreMigrations, migrateLatest, migratorOptions } from '../../server/db/migrations';
import { freshDatabaseUrl } from '../support/databases';
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
    expect(await names('x.test')).to.deep.equal([]); // the domain alone is no word's start
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

  it('migration 0007 fills the column from existing contacts and drops the term tables; rolled back, it rebuilds the terms', async () => {
    const db = createDb(loadConfig({ ...process.env, DATABASE_URL: await freshDatabaseUrl() }).database);
    // Named: later migrations exist, and this one is stepped on its own.
    const migration0007 = { ...migratorOptions(coreMigrations), name: '20261201000007_contact_search_column' };
    try {
      await migrateLatest(db, [coreMigrations]);
      const { accountId } = await createAccount(db);
      await db.migrate.down(migration0007);
      expect(await db.schema.hasColumn('contacts', 'search')).to.equal(false);
      // Contacts written by the previous version (without the column), with their terms.
      const now = new Date();
      const rows = [
        { name: 'Maria Silva', email: 'maria.silva@x.test', document_number: null },
        { name: 'Mário Souza', email: 'contato@x.test', document_number: '01234567890' },
      ];
      const ids: number[] = [];
      for (const r of rows) {
        const [id] = await db('contacts').insert({ ...contact(accountId, r.name, r.email), document_type: r.document_number ? 'cpf' : null, document_number: r.document_number, created_at: now, updated_at: now });
        ids.push(Number(id));
      }
      await db('contact_permissions').insert({ contact_id: ids[0], permission_key: 'core.contacts.manage' });
      await db.migrate.up(migration0007);
      expect(await db.schema.hasTable('contact_search_terms')).to.equal(false);
      expect(await db.schema.hasTable('contact_search_words')).to.equal(false);
      const stored = await db('contacts').whereIn('id', ids).orderBy('id').select('search');
      expect(stored.map((r) => r.search)).to.deep.equal(rows.map((r) => searchTextOf(r)));
      const names = async (...words: string[]) => (await repo.list(db, { accountId, status: 'active', words, sort: 'name', offset: 0, limit: 25 })).map((r) => r.name);
      expect(await names('mario')).to.deep.equal(['Mário Souza']);
      expect(await names('silva@')).to.deep.equal(['Maria Silva']);

      await db.migrate.down(migration0007);
      const terms = (await db('contact_search_terms').whereIn('contact_id', ids).select('contact_id', 'term')).map((r) => `${r.contact_id} ${r.term}`);
      expect(terms).to.include.members([`${ids[0]} >mari`, `${ids[0]} silva@x.test`, `${ids[1]} >mario`, `${ids[1]} 01234567890`]);
      const counts = Object.fromEntries((await db('contact_search_words').where({ account_id: accountId }).select('word', 'contacts')).map((r) => [r.word, Number(r.contacts)]));
      expect(counts).to.include({ mari: 2, maria: 1, mario: 1 });
      await db.migrate.up(migration0007);
      expect(await names('maria', 'silva')).to.deep.equal(['Maria Silva']);
      // Both ways kept every contact's grants (SQLite rewrites the whole table to drop a column).
      expect(await db('contact_permissions').where({ contact_id: ids[0] }).pluck('permission_key')).to.deep.equal(['core.contacts.manage']);
    } finally {
      await db.destroy();
    }
  });
});
