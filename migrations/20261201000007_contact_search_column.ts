import type { Knex } from 'knex';
import { rebuildSearchIndex, searchRulesV3 } from './frozen/search-terms';

/**
 * The contact search becomes one column of the contact's own row: `contacts.search`, the folded
 * words a contact is found by, each after a space, last in the list index so that a search reads
 * the account's slice of that index in list order and stops after one page. The term tables
 * (`contact_search_terms`, `contact_search_words`: ~20-35 rows and as many counts per contact)
 * go. The rule below is this migration's frozen copy of `searchTextOf` (server/contacts/search-text.ts).
 */
const SEARCH_TEXT_MAX = 500;
const BATCH = 1000;

const fold = (s: string) => s.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase();

function emailWordStarts(email: string): string[] {
  const at = email.lastIndexOf('@');
  const local = at < 0 ? email : email.slice(0, at);
  return [...local.matchAll(/[^\p{L}\p{N}]+/gu)].map((m) => m.index + m[0].length).filter((start) => start < local.length).map((start) => email.slice(start));
}

function searchTextOf(contact: { name: string; email: string; document_number: string | null }): string {
  const email = fold(contact.email.trim());
  const document = contact.document_number ? fold(contact.document_number).replace(/[^\p{L}\p{N}]/gu, '') : '';
  const words = new Set([...fold(contact.name).split(/[^\p{L}\p{N}]+/u), document, ...(email ? [email, ...emailWordStarts(email)] : [])]);
  let text = '';
  for (const word of words) {
    if (!word || text.length + 1 + word.length > SEARCH_TEXT_MAX) continue;
    text += ` ${word}`;
  }
  return text;
}

/**
 * SQLite drops a column by copying the table; knex switches foreign keys off around the copy only
 * outside a transaction (inside one the pragma is ignored and dropping the old table would cascade
 * to every contact's grants and group memberships).
 */
export const config = { transaction: false };

export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('contacts', (t) => {
    t.string('search', SEARCH_TEXT_MAX).notNullable().defaultTo('');
  });
  for (let after = 0; ; ) {
    const contacts: { id: number; name: string; email: string; document_number: string | null }[] = await knex('contacts').select('id', 'name', 'email', 'document_number').where('id', '>', after).orderBy('id').limit(BATCH);
    if (contacts.length === 0) break;
    after = contacts[contacts.length - 1]!.id;
    for (const c of contacts) await knex('contacts').where({ id: c.id }).update({ search: searchTextOf(c) });
  }
  await knex.schema.alterTable('contacts', (t) => {
    t.dropIndex([], 'contacts_list_by_name');
  });
  await knex.schema.alterTable('contacts', (t) => {
    t.index(['account_id', 'status', 'name', 'id', 'search'], 'contacts_list_by_name');
  });
  await knex.schema.dropTable('contact_search_words');
  await knex.schema.dropTable('contact_search_terms');
}

/** Back to 0006: the list index without the column, and the term tables as they were, rebuilt by 0006's rules. */
export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('contacts', (t) => {
    t.dropIndex([], 'contacts_list_by_name');
  });
  await knex.schema.alterTable('contacts', (t) => {
    t.dropColumn('search');
  });
  await knex.schema.alterTable('contacts', (t) => {
    t.index(['account_id', 'status', 'name', 'id'], 'contacts_list_by_name');
  });
  await knex.schema.createTable('contact_search_terms', (t) => {
    t.integer('account_id').unsigned().notNullable();
    t.string('term', 100).notNullable();
    t.integer('contact_id').unsigned().notNullable().references('contacts.id').onDelete('CASCADE');
    t.string('status', 12).notNullable().defaultTo('active');
    t.string('name', 150).notNullable().defaultTo('');
    t.primary(['account_id', 'term', 'contact_id']);
    t.index(['contact_id']);
    t.index(['account_id', 'status', 'term', 'name', 'contact_id'], 'contact_search_terms_by_name');
    t.index(['account_id', 'status', 'term', 'contact_id'], 'contact_search_terms_by_creation');
  });
  await knex.schema.createTable('contact_search_words', (t) => {
    t.integer('account_id').unsigned().notNullable().references('accounts.id').onDelete('CASCADE');
    t.string('word', 100).notNullable();
    t.integer('contacts').notNullable().defaultTo(0);
    t.primary(['account_id', 'word']);
  });
  await rebuildSearchIndex(knex, searchRulesV3);
}
