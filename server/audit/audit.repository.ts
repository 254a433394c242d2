import type { Knex } from 'knex';
import { insertId } from '../db/knex';

export interface AuditRow {
  account_id: number | null;
  actor_user_id: number | null;
  actor_contact_id: number | null;
  actor_name: string | null;
  action: string;
  target_type: string | null;
  target_id: string | null;
  details: string | null;
  ip: string | null;
  user_agent: string | null;
  request_id: string | null;
  created_at: Date;
  prev_hash: string | null;
  hash: string;
}

export class AuditRepository {
  async lastHash(trx: Knex.Transaction, accountId: number | null): Promise<string | null> {
    const row = await trx('audit_events')
      .select('hash')
      .where((q) => (accountId === null ? q.whereNull('account_id') : q.where({ account_id: accountId })))
      .orderBy('id', 'desc')
      .first();
    return row?.hash ?? null;
  }

  insert(trx: Knex.Transaction, row: AuditRow): Promise<number> {
    return insertId(trx, 'audit_events', { ...row });
  }

  listForTarget(db: Knex, accountId: number, targetType: string, targetId: string, limit = 20) {
    return db('audit_events')
      .select('id', 'action', 'actor_name', 'details', 'created_at')
      .where({ account_id: accountId, target_type: targetType, target_id: targetId })
      .orderBy('id', 'desc')
      .limit(limit);
  }
}
