import type { Knex } from 'knex';
import type { AuditFilter } from './audit-filter';

// Not a backslash: MySQL reads it as an escape inside the quoted ESCAPE clause itself.
const LIKE_ESCAPE = '!';
const likePattern = (text: string) => `%${text.replace(/[!%_]/g, (c) => LIKE_ESCAPE + c)}%`;

/**
 * One account's events under `filter` (the (account_id, seq) index first; the rest are conditions on
 * that slice). The free text is looked for in the action, the target and the details, and in the
 * personal values (a name, an e-mail), which only `personal` holds in clear.
 */
export function applyAuditFilter(q: Knex.QueryBuilder, accountId: number, filter: AuditFilter): Knex.QueryBuilder {
  q.where('audit_events.account_id', accountId);
  if (filter.person !== null) q.where('actor_contact_id', filter.person);
  if (filter.action) q.where('action', filter.action);
  if (filter.targetType) q.where('target_type', filter.targetType);
  if (filter.targetId) q.where('target_id', filter.targetId);
  if (filter.from) q.where('created_at', '>=', filter.from);
  if (filter.to) q.where('created_at', '<', filter.to);
  for (const word of filter.q.split(/\s+/).filter(Boolean)) {
    const pattern = likePattern(word);
    q.where((w) => {
      for (const column of ['action', 'target_id', 'details', 'personal']) w.orWhereRaw(`${column} like ? escape '${LIKE_ESCAPE}'`, [pattern]);
    });
  }
  return q;
}

export type TrailRow = Record<string, unknown> & { id: number | string; seq: number | string; hash: string };

export class AuditTrailRepository {
  /** The chain's newest event now: an export ends there, whatever is written while it streams. */
  newest(db: Knex, accountId: number): Promise<{ id: number | string; seq: number | string; hash: string } | undefined> {
    return db('audit_events').select('id', 'seq', 'hash').where({ account_id: accountId }).orderBy('seq', 'desc').first();
  }

  /**
   * The events under `filter` at places in the chain after `after` (the archive anchor's) up to `upTo`, in chain order, read in keyset
   * batches, each its own query: no connection or transaction is held while the caller (a download) takes its time.
   */
  async *everyInChainOrder(db: Knex, accountId: number, filter: AuditFilter, range: { after: number; upTo: number }, batchSize = 1000): AsyncGenerator<TrailRow> {
    const { upTo } = range;
    let after = range.after;
    for (;;) {
      const rows: TrailRow[] = await applyAuditFilter(db('audit_events').select('*'), accountId, filter)
        .where('seq', '>', after)
        .where('seq', '<=', upTo)
        .orderBy('seq')
        .limit(batchSize);
      yield* rows;
      const last = rows[rows.length - 1];
      if (rows.length < batchSize || !last) return;
      after = Number(last.seq);
    }
  }
}
