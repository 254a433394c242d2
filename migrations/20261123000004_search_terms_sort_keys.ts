import type { Knex } from 'knex';

/**
 * Each search term carries its contact's status and name, so a search lists its matches by name
 * from one index: `(account_id, status, term, name, contact_id)` reads the first 26 active
 * contacts named "…silva…" in order, per distinct term, instead of materializing every match
 * (14,000 of 100,000 contacts for "silva") to sort them; `(…, term, contact_id)` does the same
 * for the newest-first order. Kept in step by ContactRepository: the
 * terms are rewritten with the contact, and a status change updates them in the same transaction.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('contact_search_terms', (t) => {
    t.string('status', 12).notNullable().defaultTo('active');
    t.string('name', 150).notNullable().defaultTo('');
  });
  const of = (column: string) => knex('contacts').select(column).where('contacts.id', knex.ref('contact_search_terms.contact_id'));
  await knex('contact_search_terms').update({ status: of('status'), name: of('name') });
  await knex.schema.alterTable('contact_search_terms', (t) => {
    t.index(['account_id', 'status', 'term', 'name', 'contact_id'], 'contact_search_terms_by_name');
    t.index(['account_id', 'status', 'term', 'contact_id'], 'contact_search_terms_by_creation');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('contact_search_terms', (t) => {
    t.dropIndex([], 'contact_search_terms_by_name');
    t.dropIndex([], 'contact_search_terms_by_creation');
  });
  await knex.schema.alterTable('contact_search_terms', (t) => {
    t.dropColumn('status');
    t.dropColumn('name');
  });
}
