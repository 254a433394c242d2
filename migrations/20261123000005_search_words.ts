import type { Knex } from 'knex';
import { rebuildSearchIndex, searchRulesV1, searchRulesV2 } from './frozen/search-terms';

/**
 * `contact_search_words`: how many contacts of an account have each name word. A search plans
 * by it: a word shared by many contacts ("maria", "silva") is read in list order from the term
 * index, only the first page's worth, instead of being sorted with every other match.
 *
 * The search terms are rebuilt too, because e-mails that only repeat a name word are now marked
 * (the rules of this version, frozen in `searchRulesV2`).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('contact_search_words', (t) => {
    t.integer('account_id').unsigned().notNullable().references('accounts.id').onDelete('CASCADE');
    t.string('word', 100).notNullable();
    t.integer('contacts').notNullable().defaultTo(0);
    t.primary(['account_id', 'word']);
  });
  await rebuildSearchIndex(knex, searchRulesV2);
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('contact_search_words');
  await rebuildSearchIndex(knex, searchRulesV1);
}
