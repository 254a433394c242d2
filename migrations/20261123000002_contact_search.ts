import type { Knex } from 'knex';

/**
 * Indexes for the contacts list, and a search-term table: every word of a contact's name
 * (lower-case, accents removed), the e-mail and the document digits, so "silva", "joao" or
 * "123.456" find a contact through an index prefix range instead of scanning the account.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('contacts', (t) => {
    t.index(['account_id', 'status', 'name', 'id'], 'contacts_list_by_name');
    t.index(['account_id', 'status', 'id'], 'contacts_list_by_creation');
  });
  await knex.schema.createTable('contact_search_terms', (t) => {
    t.integer('account_id').unsigned().notNullable();
    t.string('term', 100).notNullable();
    t.integer('contact_id').unsigned().notNullable().references('contacts.id').onDelete('CASCADE');
    t.primary(['account_id', 'term', 'contact_id']);
    t.index(['contact_id']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('contact_search_terms');
  await knex.schema.alterTable('contacts', (t) => {
    t.dropIndex([], 'contacts_list_by_name');
    t.dropIndex([], 'contacts_list_by_creation');
  });
}
