import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  // The file lives in the plugin's files folder under `stored_name` (random); the name the person
  // gave it is only shown and offered back when downloading.
  await knex.schema.createTable('support_ticket_attachments', (t) => {
    t.increments('id');
    t.integer('ticket_id').unsigned().notNullable().references('support_tickets.id').onDelete('CASCADE');
    t.string('stored_name', 64).notNullable().unique();
    t.string('original_name', 255).notNullable();
    t.integer('size').unsigned().notNullable();
    t.string('content_type', 100).notNullable();
    t.integer('uploaded_by_contact_id').unsigned().nullable();
    t.datetime('created_at', { precision: 3 }).notNullable();
    t.index(['ticket_id', 'id']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('support_ticket_attachments');
}
