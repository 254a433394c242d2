import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('support_tickets', (t) => {
    t.increments('id');
    t.integer('account_id').unsigned().notNullable().references('accounts.id').onDelete('CASCADE');
    // No foreign keys to contacts: the contact.deleting hook moves a leaving contact's open tickets,
    // and closed ones keep the id of someone who is gone (the entries keep their name).
    t.integer('owner_contact_id').unsigned().nullable();
    t.integer('opened_by_contact_id').unsigned().nullable();
    t.string('subject', 120).notNullable();
    t.text('description').notNullable();
    t.string('category', 20).notNullable(); // incident | question | request | billing
    t.string('priority', 10).notNullable(); // low | medium | high | urgent
    t.string('status', 12).notNullable(); // open | in_progress | waiting | resolved | closed
    // BPO tickets (outsourced processes) are seen only by their owner and holders of "Acesso completo a chamados BPO".
    t.boolean('bpo').notNullable().defaultTo(false);
    t.datetime('created_at', { precision: 3 }).notNullable();
    t.datetime('updated_at', { precision: 3 }).notNullable();
    t.index(['account_id', 'status', 'id']);
    t.index(['account_id', 'owner_contact_id', 'status']);
  });
  // A ticket's comments and history (opened, transferred) in one time line; names are kept as they
  // were, so the history still reads after a contact is deleted.
  await knex.schema.createTable('support_ticket_entries', (t) => {
    t.increments('id');
    t.integer('ticket_id').unsigned().notNullable().references('support_tickets.id').onDelete('CASCADE');
    t.string('kind', 12).notNullable(); // opened | comment | transferred
    t.integer('actor_contact_id').unsigned().nullable();
    t.string('actor_name', 200).nullable();
    t.text('body').nullable();
    t.integer('from_contact_id').unsigned().nullable();
    t.string('from_name', 200).nullable();
    t.integer('to_contact_id').unsigned().nullable();
    t.string('to_name', 200).nullable();
    t.datetime('created_at', { precision: 3 }).notNullable();
    t.index(['ticket_id', 'id']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('support_ticket_entries');
  await knex.schema.dropTableIfExists('support_tickets');
}
