import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('cloud_environments', (t) => {
    t.increments('id');
    t.integer('account_id').unsigned().notNullable().references('accounts.id').onDelete('CASCADE');
    t.string('name', 100).notNullable();
    t.string('product', 60).notNullable();
    t.string('region', 40).notNullable();
    t.string('state', 20).notNullable().defaultTo('running'); // running | restarting | stopped
    t.datetime('restarted_at', { precision: 3 }).nullable();
    t.index(['account_id']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('cloud_environments');
}
