import type { Knex } from 'knex';

/**
 * The core schema as migrations 0001-0007 left it, in one step. The portal had no deployment to
 * upgrade yet, so their history (a term-table search built in 0002-0006 and replaced by the
 * `contacts.search` column in 0007) was folded into this baseline; a database migrated with those
 * files is a developer's and is made again from scratch. Later migrations run after this one.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('users', (t) => {
    t.increments('id');
    t.string('email', 254).notNullable().unique(); // stored lower-cased
    t.string('password_hash', 255).nullable(); // null until the person sets one (invitation)
    t.string('name', 150).notNullable();
    t.string('locale', 10).nullable();
    t.datetime('verified_at', { precision: 3 }).nullable();
    t.datetime('created_at', { precision: 3 }).notNullable();
    t.datetime('updated_at', { precision: 3 }).notNullable();
  });

  await knex.schema.createTable('accounts', (t) => {
    t.increments('id');
    t.string('name', 150).notNullable();
    t.string('document', 14).nullable(); // CNPJ, 14 upper-case characters, no mask
    t.integer('seat_limit').notNullable().defaultTo(99);
    t.integer('owner_contact_id').unsigned().nullable();
    // Per-status counters, changed in the same transaction as every status change: the seat
    // check, the seat gauge and the tab counts read one locked row instead of counting rows.
    t.integer('active_count').notNullable().defaultTo(0);
    t.integer('pending_count').notNullable().defaultTo(0);
    t.integer('deactivated_count').notNullable().defaultTo(0);
    t.datetime('created_at', { precision: 3 }).notNullable();
    t.datetime('updated_at', { precision: 3 }).notNullable();
  });

  await knex.schema.createTable('contacts', (t) => {
    t.increments('id');
    t.integer('account_id').unsigned().notNullable().references('accounts.id').onDelete('CASCADE');
    t.integer('user_id').unsigned().nullable().references('users.id').onDelete('SET NULL');
    t.string('status', 12).notNullable(); // pending | active | deactivated
    t.string('profile', 20).notNullable().defaultTo('member');
    t.string('name', 150).notNullable();
    t.string('email', 254).notNullable(); // lower-cased: unique per account, case-insensitively
    t.string('country', 2).notNullable().defaultTo('BR');
    t.string('document_type', 20).nullable(); // cpf | passport | rg | dni | other
    t.string('document_number', 30).nullable(); // CPF as 11 digits, leading zeros kept
    t.string('area_code', 4).nullable();
    t.string('phone', 15).nullable();
    t.boolean('consulting_authorized').notNullable().defaultTo(false);
    t.integer('created_by_contact_id').unsigned().nullable();
    t.datetime('created_at', { precision: 3 }).notNullable();
    t.datetime('updated_at', { precision: 3 }).notNullable();
    t.datetime('deactivated_at', { precision: 3 }).nullable();
    // The folded words a contact is found by, each after a space (searchTextOf in
    // server/contacts/search-text.ts), written in the same row as the contact.
    t.string('search', 500).notNullable().defaultTo('');
    t.unique(['account_id', 'email']);
    t.unique(['account_id', 'document_type', 'document_number']);
    t.index(['user_id']);
    // The list pages read one account's slice of one index in list order; the search column is
    // last in the by-name index so that a search (one LIKE per typed word) is checked in the
    // index and stops after one page.
    t.index(['account_id', 'status', 'id'], 'contacts_list_by_creation');
    t.index(['account_id', 'status', 'name', 'id', 'search'], 'contacts_list_by_name');
  });

  await knex.schema.createTable('audit_events', (t) => {
    t.bigIncrements('id');
    t.integer('account_id').unsigned().nullable();
    t.integer('actor_user_id').unsigned().nullable();
    t.integer('actor_contact_id').unsigned().nullable();
    t.string('actor_name', 150).nullable(); // the name at that time, kept when the person is gone
    t.string('action', 80).notNullable();
    t.string('target_type', 40).nullable();
    t.string('target_id', 40).nullable();
    t.text('details').nullable(); // JSON: before/after
    t.string('ip', 64).nullable();
    t.string('user_agent', 255).nullable();
    t.string('request_id', 64).nullable();
    t.datetime('created_at', { precision: 3 }).notNullable();
    t.string('prev_hash', 64).nullable();
    t.string('hash', 64).notNullable();
    t.index(['account_id', 'id']);
  });

  // Shape expected by connect-session-knex (created here, not by the store at run time).
  await knex.schema.createTable('sessions', (t) => {
    t.string('sid', 255).primary();
    t.text('sess', 'mediumtext').notNullable();
    t.datetime('expired').notNullable().index();
  });

  // Shape expected by rate-limiter-flexible's MySQL and SQLite stores.
  await knex.schema.createTable('rate_limits', (t) => {
    t.string('key', 255).primary();
    t.integer('points').notNullable().defaultTo(0);
    t.bigInteger('expire').unsigned().nullable();
  });

  // Explicit grants and groups. Keys are plain strings (no foreign key to a registry table): the
  // flags live in code, and grants of a plugin that is switched off must survive untouched.
  await knex.schema.createTable('contact_permissions', (t) => {
    t.integer('contact_id').unsigned().notNullable().references('contacts.id').onDelete('CASCADE');
    t.string('permission_key', 100).notNullable();
    t.primary(['contact_id', 'permission_key']);
  });
  await knex.schema.createTable('groups', (t) => {
    t.increments('id');
    t.integer('account_id').unsigned().notNullable().references('accounts.id').onDelete('CASCADE');
    t.string('name', 100).notNullable();
    t.string('description', 255).nullable();
    t.datetime('created_at', { precision: 3 }).notNullable();
    t.datetime('updated_at', { precision: 3 }).notNullable();
    t.unique(['account_id', 'name']);
  });
  await knex.schema.createTable('group_permissions', (t) => {
    t.integer('group_id').unsigned().notNullable().references('groups.id').onDelete('CASCADE');
    t.string('permission_key', 100).notNullable();
    t.primary(['group_id', 'permission_key']);
  });
  await knex.schema.createTable('group_members', (t) => {
    t.integer('contact_id').unsigned().notNullable().references('contacts.id').onDelete('CASCADE');
    t.integer('group_id').unsigned().notNullable().references('groups.id').onDelete('CASCADE');
    t.primary(['contact_id', 'group_id']);
    t.index(['group_id']);
  });
}

export async function down(knex: Knex): Promise<void> {
  const tables = ['group_members', 'group_permissions', 'groups', 'contact_permissions', 'rate_limits', 'sessions', 'audit_events', 'contacts', 'accounts', 'users'];
  for (const table of tables) await knex.schema.dropTableIfExists(table);
}
