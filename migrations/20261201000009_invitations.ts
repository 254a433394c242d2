import type { Knex } from 'knex';

/**
 * Invitations: a contact and a login are linked only when the person accepts one. Only hashes of
 * the tokens are stored (the invitation link's and the confirmation e-mail's). Existing data stays
 * as it was: linked contacts stay linked, active contacts without a login stay active (their row
 * menu offers "Enviar convite de acesso").
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('invitations', (t) => {
    t.increments('id');
    t.integer('account_id').unsigned().notNullable().references('accounts.id').onDelete('CASCADE');
    // Kept when the contact is deleted, so the link still answers "revoked" instead of "unknown".
    t.integer('contact_id').unsigned().nullable().references('contacts.id').onDelete('SET NULL');
    t.string('email', 254).notNullable();
    t.string('token_hash', 64).notNullable().unique();
    t.string('confirm_token_hash', 64).nullable().unique();
    t.integer('invited_by_contact_id').unsigned().nullable();
    t.string('invited_by_name', 150).nullable();
    t.string('locale', 10).notNullable();
    t.datetime('expires_at', { precision: 3 }).notNullable();
    t.datetime('accepted_at', { precision: 3 }).nullable();
    t.datetime('confirmed_at', { precision: 3 }).nullable();
    t.datetime('revoked_at', { precision: 3 }).nullable();
    t.datetime('created_at', { precision: 3 }).notNullable();
    t.index(['contact_id', 'id']);
  });

  // One person is one contact per account. Should data from before this rule hold a login twice
  // in one account, the oldest contact keeps the link; the others stay, unlinked, and can be invited.
  const duplicates: { account_id: number; user_id: number; keep: number }[] = await knex('contacts')
    .select('account_id', 'user_id').min({ keep: 'id' }).whereNotNull('user_id').groupBy('account_id', 'user_id').havingRaw('count(*) > 1');
  for (const d of duplicates) {
    await knex('contacts').where({ account_id: d.account_id, user_id: d.user_id }).whereNot('id', d.keep).update({ user_id: null });
  }
  await knex.schema.alterTable('contacts', (t) => {
    t.unique(['account_id', 'user_id']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('contacts', (t) => {
    t.dropUnique(['account_id', 'user_id']);
  });
  await knex.schema.dropTableIfExists('invitations');
}
