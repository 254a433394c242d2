import type { Knex } from 'knex';

type Q = Knex | Knex.Transaction;

/** The reads and writes of "Transferir administração"; the account row is locked by the caller. */
export class OwnerTransferRepository {
  /** Who may receive the administration: the account's other active contacts, by name. */
  async candidates(q: Q, accountId: number, exceptContactId: number): Promise<{ id: number; name: string; email: string }[]> {
    const rows = await q('contacts')
      .select('id', 'name', 'email')
      .where({ account_id: accountId, status: 'active' })
      .whereNot({ id: exceptContactId })
      .orderBy('name')
      .orderBy('id');
    return rows.map((r) => ({ id: Number(r.id), name: r.name, email: r.email }));
  }

  /** Where and in which language to write to a contact: the login's language when it has one. */
  recipient(q: Q, accountId: number, contactId: number): Promise<{ name: string; email: string; locale: string | null } | undefined> {
    return q('contacts as c')
      .leftJoin('users as u', 'u.id', 'c.user_id')
      .select('c.name', 'c.email', 'u.locale')
      .where({ 'c.account_id': accountId, 'c.id': contactId })
      .first();
  }

  /** Moves the ownership only from the expected owner: 0 rows when someone else moved it first. */
  async setOwner(trx: Knex.Transaction, accountId: number, fromContactId: number, toContactId: number): Promise<number> {
    return trx('accounts').where({ id: accountId, owner_contact_id: fromContactId }).update({ owner_contact_id: toContactId, updated_at: new Date() });
  }
}
