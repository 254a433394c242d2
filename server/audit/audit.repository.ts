import type { Knex } from 'knex';
import { forUpdate, insertId } from '../db/knex';
import { readableActorName } from './event-format';

export interface AuditRow {
  format: number;
  account_id: number | null;
  actor_user_id: number | null;
  actor_contact_id: number | null;
  actor_name: string | null;
  action: string;
  target_type: string | null;
  target_id: string | null;
  details: string | null;
  personal: string | null;
  personal_salt: string | null;
  personal_digest: string | null;
  ip: string | null;
  user_agent: string | null;
  request_id: string | null;
  created_at: Date;
  prev_hash: string | null;
  hash: string;
}

/** An account's chain is its id; events that belong to no account form chain 0. */
export const chainOf = (accountId: number | null) => accountId ?? 0;

/** A chain's events, its account's or (chain 0) those of no account. */
export function eventsOfChain(db: Knex, chainId: number): Knex.QueryBuilder {
  return chainId === 0 ? db('audit_events').whereNull('account_id') : db('audit_events').where({ account_id: chainId });
}

export class AuditRepository {
  /**
   * The chain's last hash, its head row locked until the transaction ends: the writers of one chain
   * take turns. The head is written first (created by a chain's first event, otherwise a no-op
   * update) because that takes the row's exclusive lock at once: reading it FOR UPDATE before it
   * exists, then inserting, deadlocks two first events on MySQL (both hold the gap). The locking
   * read after it sees the newest committed hash, whatever this transaction read before.
   */
  async lockHead(trx: Knex.Transaction, accountId: number | null): Promise<string | null> {
    const chainId = chainOf(accountId);
    await trx('audit_chain_heads').insert({ chain_id: chainId, last_hash: null, updated_at: new Date() }).onConflict('chain_id').merge(['chain_id']);
    const head = await forUpdate(trx, trx('audit_chain_heads').select('last_hash').where({ chain_id: chainId }).first());
    return head?.last_hash ?? null;
  }

  async advanceHead(trx: Knex.Transaction, accountId: number | null, hash: string): Promise<void> {
    await trx('audit_chain_heads').where({ chain_id: chainOf(accountId) }).update({ last_hash: hash, updated_at: new Date() });
  }

  insert(trx: Knex.Transaction, row: AuditRow): Promise<number> {
    return insertId(trx, 'audit_events', { ...row });
  }

  /** A target's newest events, the actor's name read from the personal values. */
  async listForTarget(db: Knex, accountId: number, targetType: string, targetId: string, limit = 20) {
    const rows: { id: number; action: string; actor_name: string | null; personal: string | null; created_at: unknown }[] = await db('audit_events')
      .select('id', 'action', 'actor_name', 'personal', 'created_at')
      .where({ account_id: accountId, target_type: targetType, target_id: targetId })
      .orderBy('id', 'desc')
      .limit(limit);
    return rows.map(({ personal, ...r }) => ({ ...r, actor_name: readableActorName({ personal, actor_name: r.actor_name }) }));
  }

  /** Every chain that has a head or an event, ascending. */
  async chainIds(db: Knex): Promise<number[]> {
    const heads: { chain_id: number | string }[] = await db('audit_chain_heads').select('chain_id');
    const accounts: { account_id: number | string | null }[] = await db('audit_events').distinct('account_id');
    const ids = new Set([...heads.map((h) => Number(h.chain_id)), ...accounts.map((a) => (a.account_id === null ? 0 : Number(a.account_id)))]);
    return [...ids].sort((a, b) => a - b);
  }

  /** One batch of a chain's events after `afterId`, in id order (the (account_id, id) index). */
  chainBatch(db: Knex, chainId: number, afterId: number, limit: number): Promise<Record<string, unknown>[]> {
    return eventsOfChain(db, chainId).where('id', '>', afterId).orderBy('id').limit(limit).select('*');
  }

  async headOf(db: Knex, chainId: number): Promise<{ last_hash: string | null } | undefined> {
    return db('audit_chain_heads').select('last_hash').where({ chain_id: chainId }).first();
  }

  /** Where a chain starts once its oldest events were archived: the last archived event's hash. */
  anchorOf(db: Knex, chainId: number): Promise<{ last_hash: string; last_event_id: number | string; archived_at: unknown } | undefined> {
    return db('audit_chain_anchors').select('last_hash', 'last_event_id', 'archived_at').where({ chain_id: chainId }).first();
  }
}
