import type { Knex } from 'knex';

/**
 * The approving device of a QR step-up, in short ("Chrome 131 · Android"): the asking session keeps
 * it with its confirmation, so the audit trail can say which signed-in device approved an act.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('step_up_approvals', (t) => {
    t.string('approved_browser', 100).nullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('step_up_approvals', (t) => {
    t.dropColumn('approved_browser');
  });
}
