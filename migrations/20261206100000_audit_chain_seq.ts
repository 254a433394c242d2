import type { Knex } from 'knex';

/**
 * Each audit chain's order made explicit: `audit_events.seq`, the event's place in its chain
 * (1, 2, 3… per account, and per the events of no account), handed out under the chain head's lock
 * from `audit_chain_heads.last_seq`. Auto-increment ids are not in time order on a Galera cluster
 * (each node steps by the cluster size from its own offset), so nothing walks or cuts a chain by id
 * any more. `audit_chain_anchors.last_seq` is the archived end's place.
 *
 * Existing events are numbered in their chain's current order, which is id order (the order
 * `audit:verify` held chains to until now), in batches of one UPDATE each: no transaction spans a
 * million rows. The indexes that ended in the id end in `seq` now, so the pages and the walks read
 * them in chain order and stop after a page. Frozen: no server/ code.
 */
const BATCH = 2000;

const OLD_INDEXES: [string[], string][] = [
  [['account_id', 'id'], 'audit_events_account_id_id_index'],
  [['account_id', 'actor_contact_id', 'id'], 'audit_events_account_actor_id'],
  [['account_id', 'target_type', 'target_id', 'id'], 'audit_events_account_target_id'],
  [['account_id', 'created_at'], 'audit_events_account_created'],
];
const NEW_INDEXES: [string[], string][] = [
  [['account_id', 'actor_contact_id', 'seq'], 'audit_events_account_actor_seq'],
  [['account_id', 'target_type', 'target_id', 'seq'], 'audit_events_account_target_seq'],
  // `seq` last: the first event at or after a day, in chain order, is one read (the date range).
  [['account_id', 'created_at', 'seq'], 'audit_events_account_created_seq'],
];
const UNIQUE_SEQ = 'audit_events_chain_seq';

type Q = Knex | Knex.Transaction;

const ofChain = (q: Q, chainId: number) => (chainId === 0 ? q('audit_events').whereNull('account_id') : q('audit_events').where({ account_id: chainId }));

/** Sets `seq` of `ids` (in that order) to from+1, from+2…: one statement. */
async function numberBatch(knex: Knex, ids: (number | string)[], from: number): Promise<void> {
  const cases = ids.map(() => 'when ? then ?').join(' ');
  const bindings = ids.flatMap((id, i) => [id, from + i + 1]);
  await knex('audit_events').whereIn('id', ids).update({ seq: knex.raw(`case id ${cases} end`, bindings) });
}

async function numberChain(knex: Knex, chainId: number): Promise<void> {
  const anchor: { last_event_id: number | string } | undefined = await knex('audit_chain_anchors').where({ chain_id: chainId }).first('last_event_id');
  let seq = 0;
  let anchorSeq = 0;
  let after: number | string = 0;
  for (;;) {
    const ids: (number | string)[] = await ofChain(knex, chainId).where('id', '>', after).orderBy('id').limit(BATCH).pluck('id');
    if (!ids.length) break;
    await numberBatch(knex, ids, seq);
    // Rows up to the anchor's event, left by an archive run cut short, keep the places before it.
    if (anchor) for (const [i, id] of ids.entries()) if (Number(id) <= Number(anchor.last_event_id)) anchorSeq = seq + i + 1;
    seq += ids.length;
    after = ids[ids.length - 1]!;
  }
  await knex('audit_chain_heads').where({ chain_id: chainId }).update({ last_seq: seq });
  if (anchor) await knex('audit_chain_anchors').where({ chain_id: chainId }).update({ last_seq: anchorSeq });
}

export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('audit_events', (t) => {
    t.bigInteger('seq').unsigned().nullable();
  });
  await knex.schema.alterTable('audit_chain_heads', (t) => {
    t.bigInteger('last_seq').unsigned().notNullable().defaultTo(0);
  });
  await knex.schema.alterTable('audit_chain_anchors', (t) => {
    t.bigInteger('last_seq').unsigned().notNullable().defaultTo(0);
  });
  const heads: { chain_id: number | string }[] = await knex('audit_chain_heads').select('chain_id');
  const accounts: { account_id: number | string | null }[] = await knex('audit_events').distinct('account_id');
  const chains = new Set([...heads.map((h) => Number(h.chain_id)), ...accounts.map((a) => Number(a.account_id ?? 0))]);
  for (const chainId of [...chains].sort((a, b) => a - b)) {
    // A chain with events but no head (none is written without one) gets one, so its count is kept.
    await knex('audit_chain_heads').insert({ chain_id: chainId, last_hash: null, last_seq: 0, updated_at: new Date() }).onConflict('chain_id').ignore();
    await numberChain(knex, chainId);
  }
  // NOT NULL: a row without a place would be invisible to every walk of its chain, verify's too.
  await knex.schema.alterTable('audit_events', (t) => {
    t.bigInteger('seq').unsigned().notNullable().alter();
  });
  await knex.schema.alterTable('audit_events', (t) => {
    for (const [columns, name] of OLD_INDEXES) t.dropIndex(columns, name);
    // Unique per account's chain; the events of no account (a NULL account_id) rest on the head lock and on verify's check.
    t.unique(['account_id', 'seq'], { indexName: UNIQUE_SEQ });
    for (const [columns, name] of NEW_INDEXES) t.index(columns, name);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('audit_events', (t) => {
    t.dropUnique(['account_id', 'seq'], UNIQUE_SEQ);
    for (const [columns, name] of NEW_INDEXES) t.dropIndex(columns, name);
    for (const [columns, name] of OLD_INDEXES) t.index(columns, name);
  });
  await knex.schema.alterTable('audit_events', (t) => {
    t.dropColumn('seq');
  });
  await knex.schema.alterTable('audit_chain_heads', (t) => {
    t.dropColumn('last_seq');
  });
  await knex.schema.alterTable('audit_chain_anchors', (t) => {
    t.dropColumn('last_seq');
  });
}
