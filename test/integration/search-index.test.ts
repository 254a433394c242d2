import { expect } from 'chai';
import type { Knex } from 'knex';
import { ContactRepository, type NewContact } from '../../server/contacts/contacts.repository';
import { nameWordsOf } from '../../server/contacts/search-terms';
import { loadConfig } from '../../server/config';
import { createDb } from '../../server/db/knex';
import { coreMigrations, migrateLatest, migratorOptions } from '../../server/db/migrations';
import { freshDatabaseUrl } from '../support/databases';
import { createAccount } from '../support/fixtures';
import { sharedPortal, type TestPortal } from '../support/portal';

/** The word counts a recount of the account's contacts gives (words no contact has left are 0 or absent). */
async function expectWordCountsExact(db: Knex, accountId: number) {
  const want = new Map<string, number>();
  for (const c of await db('contacts').select('name').where({ account_id: accountId })) {
    for (const w of nameWordsOf(c.name)) want.set(w, (want.get(w) ?? 0) + 1);
  }
  const stored = new Map<string, number>();
  for (const r of await db('contact_search_words').where({ account_id: accountId })) if (Number(r.contacts) !== 0) stored.set(r.word, Number(r.contacts));
  expect(Object.fromEntries([...stored].sort())).to.deep.equal(Object.fromEntries([...want].sort()));
}

const contact = (accountId: number, name: string, email: string): NewContact => ({ account_id: accountId, user_id: null, status: 'active', profile: 'member', name, email, country: 'BR' });

describe('search index: name-word counts and marked e-mails', () => {
  let portal: TestPortal;
  const repo = new ContactRepository();

  before(async () => {
    portal = await sharedPortal();
  });

  it('counts follow adding, renaming, deactivating and deleting contacts', async () => {
    const { accountId } = await createAccount(portal.db);
    const ids: number[] = [];
    await portal.db.transaction(async (trx) => {
      ids.push(await repo.insert(trx, contact(accountId, 'Maria Silva', 'maria.silva@x.test')));
      ids.push(await repo.insert(trx, contact(accountId, 'Maria Mariana Souza', 'contato@x.test')));
      ids.push(await repo.insert(trx, contact(accountId, 'José da Silva Silva', 'jose@x.test')));
    });
    await expectWordCountsExact(portal.db, accountId);
    const words = async () => Object.fromEntries((await portal.db('contact_search_words').where({ account_id: accountId }).select('word', 'contacts')).map((r) => [r.word, Number(r.contacts)]));
    expect(await words()).to.include({ maria: 2, silva: 2, mariana: 1, souza: 1, jose: 1, da: 1 });

    await repo.update(portal.db, accountId, ids[0]!, { name: 'Maria Santos' });
    expect(await words()).to.include({ maria: 2, silva: 1, santos: 1 });
    await repo.update(portal.db, accountId, ids[1]!, { status: 'deactivated' });
    await repo.update(portal.db, accountId, ids[1]!, { email: 'mariana@x.test' });
    expect(await words()).to.include({ maria: 2, mariana: 1 });
    await repo.delete(portal.db, accountId, ids[2]!);
    expect(await words()).to.include({ silva: 0, jose: 0, da: 0 });
    await expectWordCountsExact(portal.db, accountId);
  });

  it('an e-mail that repeats a name word is stored marked, and the e-mail search still finds it', async () => {
    const { accountId } = await createAccount(portal.db);
    const id = await repo.insert(portal.db, contact(accountId, 'Maria Silva', 'maria.silva@x.test'));
    const other = await repo.insert(portal.db, contact(accountId, 'Ana Lima', 'contato@x.test'));
    const terms = async (contactId: number) => (await portal.db('contact_search_terms').where({ contact_id: contactId }).orderBy('term')).map((r) => r.term);
    expect(await terms(id)).to.deep.equal(['@maria.silva@x.test', 'maria', 'silva']);
    expect(await terms(other)).to.deep.equal(['ana', 'contato@x.test', 'lima']);
    const names = async (...words: string[]) =>
      (await repo.list(portal.db, { accountId, status: 'active', terms: words, sort: 'name', offset: 0, limit: 25 })).map((r) => r.name);
    expect(await names('maria.silva@x')).to.deep.equal(['Maria Silva']);
    expect(await names('maria')).to.deep.equal(['Maria Silva']);
    expect(await names('contato@')).to.deep.equal(['Ana Lima']);
    expect(await names('cont')).to.deep.equal(['Ana Lima']);
    // A rename that no longer covers the e-mail's letters unmarks it.
    await repo.update(portal.db, accountId, id, { name: 'Beatriz Souza' });
    expect(await terms(id)).to.deep.equal(['beatriz', 'maria.silva@x.test', 'souza']);
    expect(await names('mari')).to.deep.equal(['Beatriz Souza']);
  });

  it('migration 0005 rebuilds the terms of existing contacts and counts their words; rolling it back restores the old terms', async () => {
    const db = createDb(loadConfig({ ...process.env, DATABASE_URL: await freshDatabaseUrl() }).database);
    try {
      await migrateLatest(db, [coreMigrations]);
      const { accountId } = await createAccount(db);
      const ids = [await repo.insert(db, contact(accountId, 'Maria Silva', 'maria.silva@x.test')), await repo.insert(db, contact(accountId, 'Mario Silva', 'contato@x.test'))];
      const allTerms = async () => (await db('contact_search_terms').whereIn('contact_id', ids).orderBy(['contact_id', 'term'])).map((r) => r.term);
      const now = await allTerms();

      await db.migrate.down(migratorOptions(coreMigrations));
      expect(await db.schema.hasTable('contact_search_words')).to.equal(false);
      expect(await allTerms()).to.deep.equal(['maria', 'maria.silva@x.test', 'silva', 'contato@x.test', 'mario', 'silva']);

      await db.migrate.up(migratorOptions(coreMigrations));
      expect(await allTerms()).to.deep.equal(now);
      expect(now).to.include('@maria.silva@x.test');
      await expectWordCountsExact(db, accountId);
    } finally {
      await db.destroy();
    }
  });
});
