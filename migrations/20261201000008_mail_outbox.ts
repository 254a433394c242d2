import type { Knex } from 'knex';

/**
 * The mail outbox: every message is written in the same transaction as the change that causes it,
 * and a delivery worker sends it later. `claim_token` + `claimed_until` let one worker of many take
 * a row by a guarded UPDATE, so two portal processes never send one message twice.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('mail_outbox', (t) => {
    t.increments('id').primary();
    t.integer('account_id').unsigned().nullable().references('id').inTable('accounts').onDelete('SET NULL');
    t.string('to_address', 320).notNullable();
    t.string('locale', 10).notNullable();
    t.string('template', 100).notNullable();
    t.string('subject', 500).notNullable();
    t.text('text', 'mediumtext').notNullable();
    t.text('html', 'mediumtext').notNullable();
    t.string('status', 16).notNullable().defaultTo('pending');
    t.integer('attempts').unsigned().notNullable().defaultTo(0);
    t.datetime('next_attempt_at', { precision: 3 }).notNullable();
    t.datetime('claimed_until', { precision: 3 }).nullable();
    t.string('claim_token', 64).nullable();
    t.string('last_error', 1000).nullable();
    t.datetime('created_at', { precision: 3 }).notNullable();
    t.datetime('sent_at', { precision: 3 }).nullable();
    t.index(['status', 'next_attempt_at'], 'mail_outbox_due');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('mail_outbox');
}
