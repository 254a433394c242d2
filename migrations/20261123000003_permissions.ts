import type { Knex } from 'knex';

/**
 * Explicit grants and groups. Keys are plain strings (no foreign key to a registry table): the
 * flags live in code, and grants of a plugin that is switched off must survive untouched.
 */
export async function up(knex: Knex): Promise<void> {
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
  for (const table of ['group_members', 'group_permissions', 'groups', 'contact_permissions']) await knex.schema.dropTableIfExists(table);
}
