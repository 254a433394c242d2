import type { Knex } from 'knex';

/**
 * Tickets are numbered per company ("#7" is the company's 7th ticket, whatever other companies
 * opened). `support_ticket_counters` holds each company's last number; opening a ticket bumps it
 * in the ticket's transaction (the update locks the company's row, so two tickets opened at once
 * queue there and get consecutive numbers). Existing tickets are numbered in the order they were
 * opened (by id), and the counters start after them.
 */
const BATCH = 1000;

export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('support_tickets', (t) => {
    t.integer('number').unsigned().nullable();
  });
  await knex.schema.createTable('support_ticket_counters', (t) => {
    t.integer('account_id').unsigned().primary();
    t.integer('last_number').unsigned().notNullable();
  });
  const last = new Map<number, number>();
  for (let after = 0; ; ) {
    const rows: { id: number; account_id: number }[] = await knex('support_tickets').select('id', 'account_id').where('id', '>', after).orderBy('id').limit(BATCH);
    if (rows.length === 0) break;
    after = rows[rows.length - 1]!.id;
    for (const r of rows) {
      const number = (last.get(r.account_id) ?? 0) + 1;
      last.set(r.account_id, number);
      await knex('support_tickets').where({ id: r.id }).update({ number });
    }
  }
  for (const [account_id, last_number] of last) await knex('support_ticket_counters').insert({ account_id, last_number });
  await knex.schema.alterTable('support_tickets', (t) => {
    t.unique(['account_id', 'number'], { indexName: 'support_tickets_account_number' });
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('support_tickets', (t) => {
    t.dropUnique(['account_id', 'number'], 'support_tickets_account_number');
  });
  await knex.schema.dropTable('support_ticket_counters');
  await knex.schema.alterTable('support_tickets', (t) => {
    t.dropColumn('number');
  });
}
