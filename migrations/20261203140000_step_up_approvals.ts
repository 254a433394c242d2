import type { Knex } from 'knex';

/**
 * QR approvals of a step-up get their own table: an approval must remember which session asked
 * (only that session may use it, and never approve it itself), what is being approved (shown on the
 * phone before "Aprovar") and which factor the approving session had proven. The asking session is
 * kept as the SHA-256 of its id, the QR link's token and the short code typed on the phone only as
 * SHA-256 hashes. Approvals live two minutes; the QR links of the old kind (in `user_tokens`) are
 * dropped.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('step_up_approvals', (t) => {
    t.increments('id');
    t.integer('user_id').unsigned().notNullable().references('users.id').onDelete('CASCADE');
    t.string('token_hash', 64).notNullable().unique();
    t.string('code_hash', 64).notNullable();
    t.string('asking_session', 64).notNullable();
    t.integer('account_id').unsigned().nullable().references('accounts.id').onDelete('CASCADE');
    t.string('account_name', 255).nullable();
    t.string('action', 40).notNullable();
    t.string('browser', 100).nullable();
    t.string('ip', 45).nullable();
    t.datetime('expires_at', { precision: 3 }).notNullable();
    t.datetime('approved_at', { precision: 3 }).nullable();
    t.string('approved_factor', 10).nullable();
    t.datetime('created_at', { precision: 3 }).notNullable();
    t.index(['user_id', 'code_hash']);
  });
  await knex('user_tokens').where({ purpose: 'step_up' }).delete();
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('step_up_approvals');
}
