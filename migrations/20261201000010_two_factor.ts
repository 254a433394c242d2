import type { Knex } from 'knex';

/**
 * Self-service security: one-time links (password reset, e-mail change, step-up approval by QR),
 * a TOTP second factor with recovery codes, and the company setting that asks administrators for a
 * second factor. Tokens and recovery codes are stored only as SHA-256 hashes; the TOTP secret only
 * encrypted.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('users', (t) => {
    t.string('totp_secret', 255).nullable(); // AES-GCM ciphertext, set while enrolling
    t.datetime('totp_enabled_at', { precision: 3 }).nullable();
    t.bigInteger('totp_last_step').nullable(); // the last time step accepted: a code works once
  });

  await knex.schema.createTable('user_tokens', (t) => {
    t.increments('id');
    t.integer('user_id').unsigned().notNullable().references('users.id').onDelete('CASCADE');
    t.string('purpose', 20).notNullable(); // password_reset | email_change | step_up
    t.string('token_hash', 64).notNullable().unique();
    t.string('new_email', 254).nullable(); // email_change only
    t.datetime('expires_at', { precision: 3 }).notNullable();
    t.datetime('used_at', { precision: 3 }).nullable(); // step_up: approved at
    t.datetime('created_at', { precision: 3 }).notNullable();
    t.index(['user_id', 'purpose']);
  });

  await knex.schema.createTable('recovery_codes', (t) => {
    t.increments('id');
    t.integer('user_id').unsigned().notNullable().references('users.id').onDelete('CASCADE');
    t.string('code_hash', 64).notNullable();
    t.datetime('used_at', { precision: 3 }).nullable();
    t.unique(['user_id', 'code_hash']);
  });

  await knex.schema.createTable('account_security', (t) => {
    t.integer('account_id').unsigned().primary().references('accounts.id').onDelete('CASCADE');
    t.boolean('require_second_factor').notNullable().defaultTo(false);
    t.datetime('updated_at', { precision: 3 }).notNullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  for (const table of ['account_security', 'recovery_codes', 'user_tokens']) await knex.schema.dropTableIfExists(table);
  await knex.schema.alterTable('users', (t) => {
    t.dropColumn('totp_last_step');
    t.dropColumn('totp_enabled_at');
    t.dropColumn('totp_secret');
  });
}
