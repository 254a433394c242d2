import type { Knex } from 'knex';

type Q = Knex | Knex.Transaction;

/** `%text%` for LIKE with `!` as the escape character (an e-mail may hold `_`). */
export const containing = (text: string) => `%${text.replace(/[!%_]/g, (c) => `!${c}`)}%`;

export interface PersonalEventRow {
  id: number;
  seq: number | string;
  account_id: number | null;
  actor_user_id: number | null;
  actor_contact_id: number | null;
  target_type: string | null;
  target_id: string | null;
  personal: string | null;
}

/** Rows per read while erasing: the chain's events are walked in chain order, a batch at a time. */
const BATCH = 500;

/**
 * The audit trail seen from the LGPD side: which events may hold a person's values, rewriting
 * their `personal` column (never `details` nor the hash), and the deleted contacts whose values
 * still stand in the trail.
 */
export class AuditPersonalRepository {
  /**
   * Events of one chain (`accountId` null: the events of no account) that are the person's (as
   * actor or target) or whose personal values mention one of `needles`, in chain order after place `afterSeq`.
   */
  candidates(q: Q, accountId: number | null, who: { contactId?: number; userId?: number; needles: string[] }, afterSeq: number): Promise<PersonalEventRow[]> {
    const query = q('audit_events')
      .select('id', 'seq', 'account_id', 'actor_user_id', 'actor_contact_id', 'target_type', 'target_id', 'personal')
      .whereNotNull('personal').where('seq', '>', afterSeq).orderBy('seq').limit(BATCH);
    if (accountId === null) query.whereNull('account_id');
    else query.where({ account_id: accountId });
    return query.where((w) => {
      if (who.contactId !== undefined) w.orWhere({ actor_contact_id: who.contactId }).orWhere({ target_type: 'contact', target_id: String(who.contactId) });
      if (who.userId !== undefined) w.orWhere({ actor_user_id: who.userId }).orWhere({ target_type: 'user', target_id: String(who.userId) });
      for (const n of who.needles) w.orWhereRaw("personal like ? escape '!'", [containing(n)]);
    });
  }

  async setPersonal(q: Q, id: number, patch: { personal: string; personal_salt: null; personal_erased_at: Date }): Promise<void> {
    await q('audit_events').where({ id }).update(patch);
  }

  /** The `contact.deleted` event of a contact of the account (its last words about the person). */
  deletedContact(q: Q, accountId: number, contactId: number): Promise<{ id: number; details: string | null; personal: string | null; created_at: unknown } | undefined> {
    return q('audit_events').select('id', 'details', 'personal', 'created_at')
      .where({ account_id: accountId, action: 'contact.deleted', target_type: 'contact', target_id: String(contactId) }).orderBy('seq', 'desc').first();
  }

  async erased(q: Q, accountId: number, contactId: number): Promise<boolean> {
    const row = await q('audit_events').select('id').where({ account_id: accountId, action: 'contact.erased', target_type: 'contact', target_id: String(contactId) }).first();
    return row !== undefined;
  }

  /** Deleted contacts of the account whose personal data was not erased yet, newest deletion first. */
  deletedAwaitingErasure(q: Q, accountId: number, limit: number): Promise<{ target_id: string; details: string | null; personal: string | null; created_at: unknown }[]> {
    const erased = q('audit_events as x').select('x.target_id')
      .where('x.account_id', accountId).andWhere('x.action', 'contact.erased').andWhere('x.target_type', 'contact');
    return q('audit_events as e').select('e.target_id', 'e.details', 'e.personal', 'e.created_at')
      .where({ 'e.account_id': accountId, 'e.action': 'contact.deleted', 'e.target_type': 'contact' })
      .whereNotIn('e.target_id', erased).orderBy('e.seq', 'desc').limit(limit);
  }

  /** A person's own events (as actor or target, in any chain), newest first (by time: places are per chain): "Meus dados". */
  ofPerson(q: Q, userId: number, contactIds: number[], limit: number) {
    return q('audit_events')
      .select('id', 'account_id', 'actor_user_id', 'actor_contact_id', 'actor_name', 'action', 'target_type', 'target_id', 'details', 'personal', 'ip', 'user_agent', 'created_at')
      .where((w) => {
        w.where({ actor_user_id: userId }).orWhere({ target_type: 'user', target_id: String(userId) });
        if (contactIds.length) w.orWhereIn('actor_contact_id', contactIds).orWhere((x) => x.where({ target_type: 'contact' }).whereIn('target_id', contactIds.map(String)));
      })
      .orderBy([{ column: 'created_at', order: 'desc' }, { column: 'seq', order: 'desc' }]).limit(limit);
  }
}
