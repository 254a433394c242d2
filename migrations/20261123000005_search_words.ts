import type { Knex } from 'knex';
import { SearchIndexRepository } from '../server/contacts/search-index.repository';
import { nameWordsOf, searchTermsOf } from '../server/contacts/search-terms';

/**
 * `contact_search_words`: how many contacts of an account have each name word. A search plans
 * by it: a word shared by many contacts ("maria", "silva") is read in list order from the term
 * index, only the first page's worth, instead of being sorted with every other match.
 *
 * The search terms are rebuilt too, because e-mails that only repeat a name word are now marked
 * (`SHADOWED_EMAIL`): both tables are derived from `contacts`, so this runs the current rules.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('contact_search_words', (t) => {
    t.integer('account_id').unsigned().notNullable().references('accounts.id').onDelete('CASCADE');
    t.string('word', 100).notNullable();
    t.integer('contacts').notNullable().defaultTo(0);
    t.primary(['account_id', 'word']);
  });
  await rebuild(knex, true);
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('contact_search_words');
  await rebuild(knex, false);
}

const BATCH = 1000;

async function rebuild(knex: Knex, withWords: boolean): Promise<void> {
  const counts = new Map<string, { account_id: number; word: string; contacts: number }>();
  for (let after = 0; ; ) {
    const contacts = await knex('contacts').select('id', 'account_id', 'status', 'name', 'email', 'document_number').where('id', '>', after).orderBy('id').limit(BATCH);
    if (contacts.length === 0) break;
    after = contacts[contacts.length - 1].id;
    const rows = contacts.flatMap((c) =>
      (withWords ? searchTermsOf(c) : legacyTermsOf(c)).map((term) => ({ account_id: c.account_id, term, contact_id: c.id, status: c.status, name: c.name })),
    );
    await knex('contact_search_terms').whereIn('contact_id', contacts.map((c) => c.id)).delete();
    for (let i = 0; i < rows.length; i += 200) await knex('contact_search_terms').insert(rows.slice(i, i + 200)).onConflict().ignore();
    if (!withWords) continue;
    for (const c of contacts) {
      for (const word of nameWordsOf(c.name)) {
        const key = `${c.account_id} ${word}`;
        const entry = counts.get(key) ?? { account_id: c.account_id, word, contacts: 0 };
        entry.contacts++;
        counts.set(key, entry);
      }
    }
  }
  // Words that only MySQL's collation makes equal ("strauß"/"straus") add up in one row there.
  await new SearchIndexRepository().addWordCounts(knex, [...counts.values()]);
}

/** Migration 0002's terms: the e-mail always as typed. */
function legacyTermsOf(c: { name: string; email: string; document_number?: string | null }): string[] {
  return searchTermsOf(c).map((t) => (t.startsWith('@') ? t.slice(1) : t));
}
