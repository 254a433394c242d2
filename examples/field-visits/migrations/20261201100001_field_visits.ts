import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('field_visits', (t) => {
    t.increments('id');
    t.integer('account_id').unsigned().notNullable().references('accounts.id').onDelete('CASCADE');
    // No foreign key: the contact.deleting hook decides what happens to a deleted contact's visits.
    t.integer('requested_by_contact_id').unsigned().nullable();
    t.string('site', 120).notNullable();
    t.string('scheduled_for', 10).notNullable(); // YYYY-MM-DD
    t.string('status', 12).notNullable(); // scheduled | in_progress | done | cancelled
    t.datetime('created_at', { precision: 3 }).notNullable();
    t.index(['account_id', 'scheduled_for']);
    t.index(['requested_by_contact_id']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('field_visits');
}
