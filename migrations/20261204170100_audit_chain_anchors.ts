import type { Knex } from 'knex';

/**
 * Where a chain starts once its oldest events were archived to a file (`npm run audit:archive`):
 * the hash of the last archived event, which the first event left in the table names as its
 * predecessor. One row per chain (the account id; 0 for the events of no account).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('audit_chain_anchors', (t) => {
    t.bigInteger('chain_id').unsigned().primary();
    t.string('last_hash', 64).notNullable();
    t.bigInteger('last_event_id').unsigned().notNullable();
    t.datetime('archived_at', { precision: 3 }).notNullable();
    t.string('file', 255).notNullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('audit_chain_anchors');
}
