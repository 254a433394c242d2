import type { Knex } from 'knex';
import { forUpdate, insertId } from '../db/knex';

type Q = Knex | Knex.Transaction;

export interface InvitationRow {
  id: number;
  account_id: number;
  contact_id: number | null;
  email: string;
  token_hash: string;
  confirm_token_hash: string | null;
  invited_by_contact_id: number | null;
  invited_by_name: string | null;
  locale: string;
  expires_at: unknown;
  accepted_at: unknown;
  confirmed_at: unknown;
  revoked_at: unknown;
  created_at: unknown;
}

export interface NewInvitation {
  account_id: number;
  contact_id: number;
  email: string;
  token_hash: string;
  invited_by_contact_id: number | null;
  invited_by_name: string | null;
  locale: string;
  expires_at: Date;
}

export class InvitationRepository {
  insert(q: Q, row: NewInvitation): Promise<number> {
    return insertId(q, 'invitations', { ...row, created_at: new Date() });
  }

  /** Many at once (an import); answers each contact's new invitation id. */
  async insertMany(q: Q, rows: NewInvitation[]): Promise<Map<number, number>> {
    const now = new Date();
    for (let i = 0; i < rows.length; i += 500) await q('invitations').insert(rows.slice(i, i + 500).map((r) => ({ ...r, created_at: now })));
    const ids = new Map<number, number>();
    const contactIds = rows.map((r) => r.contact_id);
    for (let i = 0; i < contactIds.length; i += 500) {
      const found = await q('invitations').select('id', 'contact_id').whereIn('contact_id', contactIds.slice(i, i + 500)).whereNull('revoked_at').orderBy('id');
      for (const r of found) ids.set(Number(r.contact_id), Number(r.id));
    }
    return ids;
  }

  find(q: Q, id: number): Promise<InvitationRow | undefined> {
    return q('invitations').where({ id }).first();
  }

  async setTokenHash(q: Q, id: number, tokenHash: string): Promise<void> {
    await q('invitations').where({ id }).update({ token_hash: tokenHash });
  }

  /** Pending contacts of the account without any invitation (imported with "enviar convites depois"). */
  waitingQuery(q: Q, accountId: number) {
    return q('contacts as c').where({ 'c.account_id': accountId, 'c.status': 'pending' }).whereNull('c.user_id')
      .whereNotExists((w) => w.select(q.raw('1')).from('invitations as i').whereRaw('i.contact_id = c.id'));
  }

  async countWaiting(q: Q, accountId: number): Promise<number> {
    const row = await this.waitingQuery(q, accountId).count({ n: '*' }).first();
    return Number(row?.n ?? 0);
  }

  async waiting(q: Q, accountId: number): Promise<{ id: number; email: string }[]> {
    const rows = await this.waitingQuery(q, accountId).select('c.id', 'c.email').orderBy('c.id');
    return rows.map((r: { id: unknown; email: unknown }) => ({ id: Number(r.id), email: String(r.email) }));
  }

  findByTokenHash(q: Q, tokenHash: string): Promise<InvitationRow | undefined> {
    return q('invitations').where({ token_hash: tokenHash }).first();
  }

  /** Locked until the transaction ends: two accepts of one link run one after the other. */
  lockByTokenHash(trx: Knex.Transaction, tokenHash: string): Promise<InvitationRow | undefined> {
    return forUpdate(trx, trx('invitations').where({ token_hash: tokenHash }).first());
  }

  findByConfirmHash(q: Q, confirmHash: string): Promise<InvitationRow | undefined> {
    return q('invitations').where({ confirm_token_hash: confirmHash }).first();
  }

  lockByConfirmHash(trx: Knex.Transaction, confirmHash: string): Promise<InvitationRow | undefined> {
    return forUpdate(trx, trx('invitations').where({ confirm_token_hash: confirmHash }).first());
  }

  async update(q: Q, id: number, patch: Partial<Pick<InvitationRow, 'confirm_token_hash'>> & { accepted_at?: Date; confirmed_at?: Date; revoked_at?: Date }): Promise<void> {
    await q('invitations').where({ id }).update(patch);
  }

  /** Revokes the contact's open links (resend, delete): an older e-mail's link stops working. */
  async revokeOpen(q: Q, accountId: number, contactId: number): Promise<number> {
    return q('invitations').where({ account_id: accountId, contact_id: contactId }).whereNull('revoked_at').whereNull('accepted_at').update({ revoked_at: new Date() });
  }

  /** The newest invitation of each of the given contacts (the pending tab's columns). */
  async latestOf(q: Q, accountId: number, contactIds: number[]): Promise<Map<number, InvitationRow>> {
    if (!contactIds.length) return new Map();
    const rows: InvitationRow[] = await q('invitations').where({ account_id: accountId }).whereIn('contact_id', contactIds).orderBy('id', 'desc');
    const latest = new Map<number, InvitationRow>();
    for (const r of rows) if (!latest.has(r.contact_id!)) latest.set(r.contact_id!, r);
    return latest;
  }

  /**
   * LGPD erasure: the person's invitations in the account go (theirs by contact, or by the address
   * once the contact row is gone), and the invitations they sent keep a pseudonym for the inviter.
   */
  async erasePerson(q: Q, accountId: number, contactId: number, email: string | null, pseudonym: string): Promise<void> {
    await q('invitations').where({ account_id: accountId }).where((w) => {
      w.where({ contact_id: contactId });
      if (email) w.orWhere({ email });
    }).delete();
    await q('invitations').where({ account_id: accountId, invited_by_contact_id: contactId }).update({ invited_by_name: pseudonym });
  }

  /** Every invitation to one of these contacts ("Meus dados"), without the token hashes. */
  ofContacts(q: Q, contactIds: number[]): Promise<Pick<InvitationRow, 'id' | 'account_id' | 'contact_id' | 'email' | 'invited_by_name' | 'expires_at' | 'accepted_at' | 'confirmed_at' | 'revoked_at' | 'created_at'>[]> {
    if (!contactIds.length) return Promise.resolve([]);
    return q('invitations').select('id', 'account_id', 'contact_id', 'email', 'invited_by_name', 'expires_at', 'accepted_at', 'confirmed_at', 'revoked_at', 'created_at').whereIn('contact_id', contactIds).orderBy('id');
  }
}
