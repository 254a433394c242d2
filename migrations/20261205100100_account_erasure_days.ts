import type { Knex } from 'knex';

/**
 * The account's erasure period (LGPD): how many days a contact stays deactivated before an
 * administrator may erase their personal data. 30 by default: long enough to undo a deactivation
 * made by mistake, short enough to answer a person's request within the month.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('accounts', (t) => {
    t.integer('erasure_days').notNullable().defaultTo(30);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('accounts', (t) => {
    t.dropColumn('erasure_days');
  });
}
