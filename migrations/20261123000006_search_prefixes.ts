import type { Knex } from 'knex';
import { rebuildSearchIndex, searchRulesV2, searchRulesV3 } from './frozen/search-terms';

/**
 * Every prefix of the leading letters of each name word, e-mail and document is stored as a term
 * (`>mari`), and `contact_search_words` counts contacts per prefix: a search
 * word of letters becomes one exact term read in list order ("mari" was a UNION of one ordered
 * read per frequent word it starts plus a sorted read of the rest), and another word of the
 * search one primary-key lookup per contact. Both tables are derived from `contacts`: rebuilt.
 */
export async function up(knex: Knex): Promise<void> {
  await rebuildSearchIndex(knex, searchRulesV3);
}

export async function down(knex: Knex): Promise<void> {
  await rebuildSearchIndex(knex, searchRulesV2);
}
