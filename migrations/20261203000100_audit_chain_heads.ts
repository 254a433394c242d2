import type { Knex } from 'knex';

/**
 * One head row per audit chain (an account's, and chain 0 for events that belong to no account:
 * a person's own sign-in changes). Writers lock and advance the head instead of locking the
 * account row and reading the newest event, so the audit trail no longer needs the accounts table
 * and the portal-wide chain is serialized too (before, two such events at once could fork it).
 * Filled from each chain's newest event.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('audit_chain_heads', (t) => {
    t.bigInteger('chain_id').unsigned().primary(); // the account id; 0 for events of no account
    t.string('last_hash', 64).nullable();
    t.datetime('updated_at', { precision: 3 }).notNullable();
  });
  const newest = knex('audit_events').max('id as id').groupBy('account_id');
  const rows: { account_id: number | null; hash: string }[] = await knex('audit_events').select('account_id', 'hash').whereIn('id', newest);
  const now = new Date();
  for (let i = 0; i < rows.length; i += 500) {
    await knex('audit_chain_heads').insert(rows.slice(i, i + 500).map((r) => ({ chain_id: r.account_id ?? 0, last_hash: r.hash, updated_at: now })));
  }
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('audit_chain_heads');
}
