import type { Knex } from 'knex';

/**
 * The Auditoria page's filters read one account's slice newest first: by the person who acted, and
 * by what was acted on (a contact's history is both). Each index ends in the id, so a page is one
 * ordered read that stops at its last row. Index only: the event columns belong to the trail.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('audit_events', (t) => {
    t.index(['account_id', 'actor_contact_id', 'id'], 'audit_events_account_actor_id');
    t.index(['account_id', 'target_type', 'target_id', 'id'], 'audit_events_account_target_id');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('audit_events', (t) => {
    t.dropIndex(['account_id', 'actor_contact_id', 'id'], 'audit_events_account_actor_id');
    t.dropIndex(['account_id', 'target_type', 'target_id', 'id'], 'audit_events_account_target_id');
  });
}
