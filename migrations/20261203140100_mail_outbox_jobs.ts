import type { Knex } from 'knex';

/**
 * A row may be a job the mail worker prepares when it claims it (`job` names the preparer,
 * `job_data` holds what the request knew, as JSON): a request that must answer the same whatever
 * the address ("Esqueci minha senha") writes only this, and the lookup, the token and the
 * rendering happen in the worker. Once prepared, the row is an ordinary message (`job` null).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('mail_outbox', (t) => {
    t.string('job', 40).nullable();
    t.text('job_data').nullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('mail_outbox', (t) => {
    t.dropColumn('job_data');
    t.dropColumn('job');
  });
}
