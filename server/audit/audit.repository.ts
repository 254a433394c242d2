import type { Knex } from 'knex';
import { forUpdate, insertId } from '../db/knex';

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
  /** The event's place in its chain (1, 2, 3…), handed out under the head's lock: the chain's order, never the id's. */
  seq: number;
}

/** A row of the trail as the Auditoria page reads it: the event and the actor's login e-mail. */
export interface AuditListRow {
  id: number | string;
  seq: number | string;
  action: string;
  actor_user_id: number | null;
  actor_contact_id: number | null;
  actor_name: string | null;
  actor_email: string | null;
  target_type: string | null;
  target_id: string | null;
  details: string | null;
  /** The event's personal values (format 2), apart from what the hash covers: read through event-format.ts. */
  personal: string | null;
  ip: string | null;
  user_agent: string | null;
  created_at: Date | string | number;
}

/** What the Auditoria page asks of one account's trail (the routes parse it, the service resolves names to ids). */
export interface AuditQuery {
  accountId: number;
  /** A contact who acted (`by`), was acted on (`to`), or either (`any`). */
  person?: { contactId: number; role: 'by' | 'to' | 'any' };
  actions?: string[];
  target?: { type: string; id: string };
  from?: Date;
  /** Exclusive. */
  to?: Date;
  /** The page starts below this place in the chain (the "next" link's cursor). */
  before?: number;
  /** Free text, resolved to actions whose label matches, contacts found by it, and the start of the actor's name. */
  text?: { actions: string[]; contactIds: number[]; namePrefix: string };
}

/** An account's chain is its id; events that belong to no account form chain 0. */
export const chainOf = (accountId: number | null) => accountId ?? 0;

/** A chain's events, its account's or (chain 0) those of no account. */
export function eventsOfChain(db: Knex, chainId: number): Knex.QueryBuilder {
  return chainId === 0 ? db('audit_events').whereNull('account_id') : db('audit_events').where({ account_id: chainId });
}

export class AuditRepository {
  /**
   * The chain's last hash and place, its head row locked until the transaction ends: the writers of
   * one chain take turns, and the next event takes `seq + 1`. The head is written first (created by
   * a chain's first event, otherwise a no-op update) because that takes the row's exclusive lock at
   * once: reading it FOR UPDATE before it exists, then inserting, deadlocks two first events on
   * MySQL (both hold the gap). The locking read after it sees the newest committed head, whatever
   * this transaction read before.
   */
  async lockHead(trx: Knex.Transaction, accountId: number | null): Promise<{ hash: string | null; seq: number }> {
    const chainId = chainOf(accountId);
    await trx('audit_chain_heads').insert({ chain_id: chainId, last_hash: null, last_seq: 0, updated_at: new Date() }).onConflict('chain_id').merge(['chain_id']);
    const head = await forUpdate(trx, trx('audit_chain_heads').select('last_hash', 'last_seq').where({ chain_id: chainId }).first());
    return { hash: head?.last_hash ?? null, seq: Number(head?.last_seq ?? 0) };
  }

  async advanceHead(trx: Knex.Transaction, accountId: number | null, head: { hash: string; seq: number }): Promise<void> {
    await trx('audit_chain_heads').where({ chain_id: chainOf(accountId) }).update({ last_hash: head.hash, last_seq: head.seq, updated_at: new Date() });
  }

  insert(trx: Knex.Transaction, row: AuditRow): Promise<number> {
    return insertId(trx, 'audit_events', { ...row });
  }

  /**
   * One page of the account's trail, newest first: `limit + 1` rows (the extra one says whether a
   * next page exists). Each filter is an equality or IN on an indexed column (see the migration
   * of the audit view's indexes); a person seen both ways reads the two indexes apart and merges.
   */
  async page(db: Knex, query: AuditQuery, limit: number): Promise<AuditListRow[]> {
    const seqs = await this.seqRange(db, query);
    if (!seqs) return [];
    if (query.person?.role !== 'any') return this.pageQuery(db, query, seqs, query.person ? { role: query.person.role, contactId: query.person.contactId } : null, limit);
    const { contactId } = query.person;
    const [by, to] = await Promise.all([
      this.pageQuery(db, query, seqs, { role: 'by', contactId }, limit),
      this.pageQuery(db, query, seqs, { role: 'to', contactId }, limit),
    ]);
    const bySeq = new Map([...by, ...to].map((r) => [Number(r.seq), r]));
    return [...bySeq.values()].sort((a, b) => Number(b.seq) - Number(a.seq)).slice(0, limit + 1);
  }

  /**
   * The places in the chain a date range spans (null: no event at or after its start). Within a
   * chain the time grows with the place (record() stamps the event after taking the chain's head
   * lock, which hands out the place), so the first event at or after each end, one read of the
   * (account_id, created_at, seq) index, bounds the places; the page's indexes all end in `seq` and
   * stop at a page's last row. The dates stay in the query: the bounds only narrow it. Clocks of two
   * app servers that disagree could move an event stamped across a boundary out of the range.
   */
  private async seqRange(db: Knex, query: AuditQuery): Promise<{ from?: number; to?: number } | null> {
    if (!query.from && !query.to) return {};
    const firstAt = (at: Date) => db('audit_events').select('seq').where('account_id', query.accountId).where('created_at', '>=', at).orderBy([{ column: 'created_at' }, { column: 'seq' }]).limit(1);
    const [row] = (await db.select({ ...(query.from ? { from: firstAt(query.from) } : {}), ...(query.to ? { to: firstAt(query.to) } : {}) })) as { from?: number | string | null; to?: number | string | null }[];
    if (query.from && (row?.from ?? null) === null) return null;
    return { from: query.from ? Number(row!.from) : undefined, to: row?.to != null ? Number(row.to) : undefined };
  }

  private pageQuery(db: Knex, query: AuditQuery, seqs: { from?: number; to?: number }, person: { role: 'by' | 'to'; contactId: number } | null, limit: number): Promise<AuditListRow[]> {
    const q = db('audit_events as e')
      .leftJoin('users as u', 'u.id', 'e.actor_user_id')
      .select('e.id', 'e.seq', 'e.action', 'e.actor_user_id', 'e.actor_contact_id', 'e.actor_name', 'e.target_type', 'e.target_id', 'e.details', 'e.personal', 'e.ip', 'e.user_agent', 'e.created_at', 'u.email as actor_email')
      .where('e.account_id', query.accountId);
    if (person?.role === 'by') q.where('e.actor_contact_id', person.contactId);
    if (person?.role === 'to') q.where({ 'e.target_type': 'contact', 'e.target_id': String(person.contactId) });
    if (query.actions) q.whereIn('e.action', query.actions);
    if (query.target) q.where({ 'e.target_type': query.target.type, 'e.target_id': query.target.id });
    if (query.from) q.where('e.created_at', '>=', query.from);
    if (query.to) q.where('e.created_at', '<', query.to);
    if (seqs.from !== undefined) q.where('e.seq', '>=', seqs.from);
    if (seqs.to !== undefined) q.where('e.seq', '<', seqs.to);
    if (query.before) q.where('e.seq', '<', query.before);
    const text = query.text;
    if (text) {
      q.where((w) => {
        w.whereIn('e.action', text.actions.length ? text.actions : ['']);
        if (text.contactIds.length) {
          w.orWhereIn('e.actor_contact_id', text.contactIds);
          w.orWhere((t) => t.where('e.target_type', 'contact').whereIn('e.target_id', text.contactIds.map(String)));
        }
        // The name at the time, from its start: a prefix still reads the index in order.
        w.orWhereRaw(`e.actor_name like ? escape '!'`, [`${text.namePrefix.replace(/[!%_]/g, (c) => `!${c}`)}%`]);
      });
    }
    return q.orderBy('e.seq', 'desc').limit(limit + 1);
  }

  /** One event of the account, with the actor's login e-mail; another account's id is not found. */
  findInAccount(db: Knex, accountId: number, id: number): Promise<AuditListRow | undefined> {
    return db('audit_events as e')
      .leftJoin('users as u', 'u.id', 'e.actor_user_id')
      .select('e.id', 'e.seq', 'e.action', 'e.actor_user_id', 'e.actor_contact_id', 'e.actor_name', 'e.target_type', 'e.target_id', 'e.details', 'e.personal', 'e.ip', 'e.user_agent', 'e.created_at', 'u.email as actor_email')
      .where({ 'e.account_id': accountId, 'e.id': id })
      .first();
  }

  /** Every chain that has a head or an event, ascending. */
  async chainIds(db: Knex): Promise<number[]> {
    const heads: { chain_id: number | string }[] = await db('audit_chain_heads').select('chain_id');
    const accounts: { account_id: number | string | null }[] = await db('audit_events').distinct('account_id');
    const ids = new Set([...heads.map((h) => Number(h.chain_id)), ...accounts.map((a) => (a.account_id === null ? 0 : Number(a.account_id)))]);
    return [...ids].sort((a, b) => a - b);
  }

  /** One batch of a chain's events after place `afterSeq`, in chain order (the unique (account_id, seq) index). */
  chainBatch(db: Knex, chainId: number, afterSeq: number, limit: number): Promise<Record<string, unknown>[]> {
    return eventsOfChain(db, chainId).where('seq', '>', afterSeq).orderBy('seq').limit(limit).select('*');
  }

  /** The chain's event whose hash is `hash`, if any: where an event's named predecessor really stands (a walk of the chain; only when a link is broken). */
  findByHash(db: Knex, chainId: number, hash: string): Promise<{ id: number | string; seq: number | string } | undefined> {
    return eventsOfChain(db, chainId).where({ hash }).first('id', 'seq');
  }

  async headOf(db: Knex, chainId: number): Promise<{ last_hash: string | null; last_seq: number | string } | undefined> {
    return db('audit_chain_heads').select('last_hash', 'last_seq').where({ chain_id: chainId }).first();
  }

  /** Where a chain starts once its oldest events were archived: the last archived event's hash and place. */
  anchorOf(db: Knex, chainId: number): Promise<{ last_hash: string; last_event_id: number | string; last_seq: number | string; archived_at: unknown } | undefined> {
    return db('audit_chain_anchors').select('last_hash', 'last_event_id', 'last_seq', 'archived_at').where({ chain_id: chainId }).first();
  }
}
