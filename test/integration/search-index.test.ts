import { expect } from 'chai';
import type { Knex } from 'knex';
import { ContactRepository, type NewContact } from '../../server/contacts/contacts.repository';
import { countedPrefixesOf, searchTermsOf } from '../../server/contacts/search-terms';
import { loadConfig } from '../../server/config';
import { createDb } from '../../server/db/knex';
import { coreMigrations, migrateLatest, migratorOptions } from '../../server/db/migrations';
import { freshDatabaseUrl } from '../support/databases';
import { createAccount } from '../support/fixtures';
import { sharedPortal, type TestPortal } from '../support/portal';

/** The prefix counts a recount of the account's contacts gives (prefixes no contact has left are 0 or absent). */
async function expectWordCountsExact(db: Knex, accountId: number) {
  const want = new Map<string, number>();
  for (const c of await db('contacts').select('name', 'email', 'document_number').where({ account_id: accountId })) {
    for (const w of countedPrefixesOf(searchTermsOf(c))) want.set(w, (want.get(w) ?? 0) + 1);
  }
  const stored = new Map<string, number>();
  for (const r of await db('contact_search_words').where({ account_id: accountId })) if (Number(r.contacts) !== 0) stored.set(r.word, Number(r.contacts));
  expect(Object.fromEntries([...stored].sort())).to.deep.equal(Object.fromEntries([...want].sort()));
}

const contact = (accountId: number, name: string, email: string): NewContact => ({ account_id: accountId, user_id: null, status: 'active', profile: 'member', name, email, country: 'BR' });

describe('search index: prefix terms and their counts', () => {
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
    // Per contact, however many of its words start so: "mari" is Maria Silva and Maria Mariana Souza.
    expect(await words()).to.include({ maria: 2, mari: 2, silva: 2, mariana: 1, souza: 1, jose: 1, da: 1, d: 1, contato: 1 });

    await repo.update(portal.db, accountId, ids[0]!, { name: 'Maria Santos' });
    // Her e-mail (maria.silva@…) still says "silva".
    expect(await words()).to.include({ maria: 2, silva: 2, santos: 1 });
    await repo.update(portal.db, accountId, ids[1]!, { status: 'deactivated' });
    await repo.update(portal.db, accountId, ids[1]!, { email: 'mariana@x.test' });
    expect(await words()).to.include({ maria: 2, mariana: 1, contato: 0 });
    await repo.delete(portal.db, accountId, ids[2]!);
    expect(await words()).to.include({ silva: 1, jose: 0, da: 0 });
    await expectWordCountsExact(portal.db, accountId);
  });

  it('a word of letters is found by the prefixes of the name, the e-mail and the document; digits and "@" by the whole terms', async () => {
    const { accountId } = await createAccount(portal.db);
    const id = await repo.insert(portal.db, contact(accountId, 'Maria Silva', 'maria.silva@x.test'));
    const other = await repo.insert(portal.db, { ...contact(accountId, 'Ana Lima', 'contato@x.test'), document_type: 'passport', document_number: 'XY-9876' });
    const terms = async (contactId: number) => (await portal.db('contact_search_terms').where({ contact_id: contactId })).map((r) => r.term as string).sort();
    expect(await terms(id)).to.deep.equal(['>m', '>ma', '>mar', '>mari', '>maria', '>s', '>si', '>sil', '>silv', '>silva', 'maria.silva@x.test', 'silva@x.test']);
    expect(await terms(other)).to.deep.equal(['>a', '>an', '>ana', '>c', '>co', '>con', '>cont', '>conta', '>contat', '>contato', '>l', '>li', '>lim', '>lima', '>x', '>xy', 'contato@x.test', 'xy9876']);
    const names = async (...words: string[]) =>
      (await repo.list(portal.db, { accountId, status: 'active', terms: words, sort: 'name', offset: 0, limit: 25 })).map((r) => r.name);
    expect(await names('maria.silva@x')).to.deep.equal(['Maria Silva']);
    expect(await names('maria')).to.deep.equal(['Maria Silva']);
    expect(await names('contato@')).to.deep.equal(['Ana Lima']);
    expect(await names('cont')).to.deep.equal(['Ana Lima']);
    expect(await names('xy')).to.deep.equal(['Ana Lima']);
    expect(await names('xy98')).to.deep.equal(['Ana Lima']);
    expect(await names('ana', 'xy9')).to.deep.equal(['Ana Lima']);
    expect(await names('m', 'cont')).to.deep.equal([]);
    // Renamed, Maria is still found by her e-mail's letters.
    await repo.update(portal.db, accountId, id, { name: 'Beatriz Souza' });
    expect(await terms(id)).to.include.members(['>mari', '>silva', '>beatriz', 'maria.silva@x.test']).and.not.include('>santos');
    expect(await names('mari')).to.deep.equal(['Beatriz Souza']);
    expect(await names('silva@')).to.deep.equal(['Beatriz Souza']);
    expect(await names('souza')).to.deep.equal(['Beatriz Souza']);
    expect(await names('lima')).to.deep.equal(['Ana Lima']);
    await expectWordCountsExact(portal.db, accountId);
  });

  it('migrations 0005 and 0006 rebuild the terms and counts of existing contacts; rolling each back restores the terms before it', async () => {
    const db = createDb(loadConfig({ ...process.env, DATABASE_URL: await freshDatabaseUrl() }).database);
    try {
      await migrateLatest(db, [coreMigrations]);
      const { accountId } = await createAccount(db);
      const ids = [await repo.insert(db, contact(accountId, 'Maria Silva', 'maria.silva@x.test')), await repo.insert(db, contact(accountId, 'Mario Silva', 'contato@x.test'))];
      const allTerms = async () => (await db('contact_search_terms').whereIn('contact_id', ids).select('contact_id', 'term')).map((r) => `${r.contact_id} ${r.term}`).sort();
      const counts = async () => Object.fromEntries((await db('contact_search_words').where({ account_id: accountId }).select('word', 'contacts')).map((r) => [r.word, Number(r.contacts)]));
      const [a, b] = ids;
      const now = await allTerms();
      expect(now).to.include.members([`${a} >mari`, `${b} >mari`, `${b} >cont`, `${a} maria.silva@x.test`]);

      await db.migrate.down(migratorOptions(coreMigrations)); // 0006: whole words, e-mails repeating a name word marked
      expect(await allTerms()).to.deep.equal([`${a} @maria.silva@x.test`, `${a} maria`, `${a} silva`, `${b} contato@x.test`, `${b} mario`, `${b} silva`].sort());
      expect(await counts()).to.include({ maria: 1, mario: 1, silva: 2 }).and.not.have.property('mari'); // name words only

      await db.migrate.down(migratorOptions(coreMigrations)); // 0005: e-mails as typed, no counts
      expect(await db.schema.hasTable('contact_search_words')).to.equal(false);
      expect(await allTerms()).to.deep.equal([`${a} maria`, `${a} maria.silva@x.test`, `${a} silva`, `${b} contato@x.test`, `${b} mario`, `${b} silva`].sort());

      await db.migrate.up(migratorOptions(coreMigrations));
      expect(await counts()).to.include({ maria: 1, mario: 1, silva: 2 }).and.not.have.property('mari');
      await db.migrate.up(migratorOptions(coreMigrations));
      expect(await allTerms()).to.deep.equal(now);
      await expectWordCountsExact(db, accountId);
    } finally {
      await db.destroy();
    }
  });
});
