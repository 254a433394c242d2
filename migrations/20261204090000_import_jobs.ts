import type { Knex } from 'knex';

/**
 * "Importar usuários": one row per uploaded file, worked by the app process in two phases
 * (preview, then import after confirmation). The row is the job's whole state, so any process shows
 * its progress and the next start resumes it: `claim_token`/`claimed_until` say which process works
 * it, and `progress_rows` is how many of the file's records the phase has handled in committed
 * batches (a resumed import skips them, so no row is written twice). The issues are the preview's
 * and the import's per-row messages (line, column, i18n key); they and the uploaded file are removed
 * a few days after the job ends, the job's counts stay.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('import_jobs', (t) => {
    t.increments('id');
    t.integer('account_id').unsigned().notNullable().references('accounts.id').onDelete('CASCADE');
    t.integer('created_by_contact_id').unsigned().nullable();
    t.string('created_by_name', 150).nullable();
    // Who confirmed, as the audit trail names them (the worker writes the event after the request).
    t.text('confirmed_by').nullable();
    t.string('file_name', 255).notNullable();
    t.string('stored_name', 64).notNullable();
    t.bigInteger('file_bytes').notNullable();
    t.string('encoding', 16).nullable();
    t.string('separator', 4).nullable();
    t.text('unknown_columns').nullable();
    // The profiles the file's valid rows ask for: confirming needs the right to grant each.
    t.text('profiles').nullable();
    t.boolean('update_existing').notNullable().defaultTo(false);
    t.boolean('all_or_nothing').notNullable().defaultTo(false);
    t.boolean('invite_later').notNullable().defaultTo(false);
    t.string('locale', 8).notNullable();
    t.string('state', 16).notNullable();
    t.string('error_key', 120).nullable();
    t.text('error_params').nullable();
    t.integer('total_rows').notNullable().defaultTo(0);
    t.integer('error_rows').notNullable().defaultTo(0);
    t.integer('warning_rows').notNullable().defaultTo(0);
    t.integer('to_invite').notNullable().defaultTo(0);
    t.integer('to_update').notNullable().defaultTo(0);
    t.integer('unchanged_rows').notNullable().defaultTo(0);
    t.integer('progress_rows').notNullable().defaultTo(0);
    t.integer('created_count').notNullable().defaultTo(0);
    t.integer('updated_count').notNullable().defaultTo(0);
    t.integer('rejected_count').notNullable().defaultTo(0);
    t.string('claim_token', 32).nullable();
    t.datetime('claimed_until', { precision: 3 }).nullable();
    t.datetime('created_at', { precision: 3 }).notNullable();
    t.datetime('updated_at', { precision: 3 }).notNullable();
    t.datetime('confirmed_at', { precision: 3 }).nullable();
    t.datetime('finished_at', { precision: 3 }).nullable();
    t.boolean('file_removed').notNullable().defaultTo(false);
    t.index(['account_id', 'id']);
    t.index(['state', 'claimed_until']);
  });
  await knex.schema.createTable('import_job_issues', (t) => {
    t.increments('id');
    t.integer('job_id').unsigned().notNullable().references('import_jobs.id').onDelete('CASCADE');
    t.string('phase', 8).notNullable();
    t.integer('line').notNullable();
    t.string('column_name', 16).nullable();
    t.string('message_key', 120).notNullable();
    t.text('params').nullable();
    t.string('severity', 8).notNullable();
    t.index(['job_id', 'line']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('import_job_issues');
  await knex.schema.dropTableIfExists('import_jobs');
}
