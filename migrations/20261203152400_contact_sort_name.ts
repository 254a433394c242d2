import type { Knex } from 'knex';

/**
 * The contacts list sorts by `sort_name`, the name folded the way people read a list (accents and
 * case ignored: "Álvaro" among the A, "beatriz" before "Bruno"), written with the row like
 * `search`. It replaces `name` in the list index, so a page by name is still one ordered read of
 * the account's slice and the "Próxima"/"Anterior" cursors seek in it. On MySQL the column compares
 * bytes (utf8mb4_bin), as SQLite does: the order, ties included, is the same on both databases.
 * The fold below is this migration's frozen copy of `sortNameOf` (server/contacts/search-text.ts).
 */
const NAME_MAX = 150;
const BATCH = 1000;

const sortNameOf = (name: string) => name.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase().trim().slice(0, NAME_MAX);

/** SQLite drops a column (in `down`) by copying the table: outside a transaction, as 0007 explains. */
export const config = { transaction: false };

export async function up(knex: Knex): Promise<void> {
  const mysql = knex.client.config.client === 'mysql2';
  await knex.schema.alterTable('contacts', (t) => {
    const column = t.string('sort_name', NAME_MAX).notNullable().defaultTo('');
    if (mysql) column.collate('utf8mb4_bin');
  });
  for (let after = 0; ; ) {
    const contacts: { id: number; name: string }[] = await knex('contacts').select('id', 'name').where('id', '>', after).orderBy('id').limit(BATCH);
    if (contacts.length === 0) break;
    after = contacts[contacts.length - 1]!.id;
    for (const c of contacts) await knex('contacts').where({ id: c.id }).update({ sort_name: sortNameOf(c.name) });
  }
  await knex.schema.alterTable('contacts', (t) => {
    t.dropIndex([], 'contacts_list_by_name');
  });
  await knex.schema.alterTable('contacts', (t) => {
    t.index(['account_id', 'status', 'sort_name', 'id', 'search'], 'contacts_list_by_name');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('contacts', (t) => {
    t.dropIndex([], 'contacts_list_by_name');
  });
  await knex.schema.alterTable('contacts', (t) => {
    t.index(['account_id', 'status', 'name', 'id', 'search'], 'contacts_list_by_name');
  });
  await knex.schema.alterTable('contacts', (t) => {
    t.dropColumn('sort_name');
  });
}
