import type { Knex } from 'knex';

/**
 * Finished messages (sent, kept, given up) are deleted MAIL_RETENTION_DAYS after they were written:
 * the worker finds them by status and age, a batch at a time, without reading the whole outbox.
 * Messages already sent or given up lose their body now, as later ones do when they leave: their
 * links carry live one-time tokens.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('mail_outbox', (t) => {
    t.index(['status', 'created_at'], 'mail_outbox_finished');
  });
  await knex('mail_outbox').whereIn('status', ['sent', 'failed']).update({ text: '', html: '' });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('mail_outbox', (t) => {
    t.dropIndex(['status', 'created_at'], 'mail_outbox_finished');
  });
}
