import type { Knex } from 'knex';
import { forUpdate, insertId } from '../db/knex';

type Q = Knex | Knex.Transaction;

export interface AccountRow {
  id: number;
  name: string;
  document: string | null;
  seat_limit: number;
  owner_contact_id: number | null;
  active_count: number;
  pending_count: number;
  deactivated_count: number;
  /** Days a contact stays deactivated before their personal data may be erased (LGPD). */
  erasure_days: number;
}

/** A user's place in one account: the row that decides access on every request. */
export interface Membership {
  account_id: number;
  account_name: string;
  owner_contact_id: number | null;
  contact_id: number;
  contact_name: string;
  status: string;
  profile: string;
  seat_limit: number;
  active_count: number;
  pending_count: number;
  deactivated_count: number;
}

export interface ActiveMembership extends Membership {
  company_count: number;
  /** The contact's explicit and group grants (the primary administrator's are ignored: they hold every flag). */
  extra_flags: string[];
}

const accountColumns = ['id', 'name', 'document', 'seat_limit', 'owner_contact_id', 'active_count', 'pending_count', 'deactivated_count', 'erasure_days'];

export class AccountRepository {
  constructor(private readonly db: Knex) {}

  async any(q: Q = this.db): Promise<boolean> {
    return (await q('accounts').select('id').first()) !== undefined;
  }

  /**
   * The same question as a locking read: on MySQL two first-run setups at once both lock the empty
   * range, so at most one of them can insert (the other ends in a deadlock and is rolled back).
   */
  async anyLocked(trx: Knex.Transaction): Promise<boolean> {
    return (await forUpdate(trx, trx('accounts').select('id').first())) !== undefined;
  }

  findById(id: number, q: Q = this.db): Promise<AccountRow | undefined> {
    return q('accounts').select(accountColumns).where({ id }).first();
  }

  /** Locks the account row until the transaction ends (seat checks, counters, ownership). */
  lock(trx: Knex.Transaction, id: number): Promise<AccountRow | undefined> {
    return forUpdate(trx, trx('accounts').select(accountColumns).where({ id }).first());
  }

  async create(q: Q, data: { name: string; document: string | null; seatLimit?: number }): Promise<number> {
    const now = new Date();
    return insertId(q, 'accounts', { name: data.name, document: data.document, seat_limit: data.seatLimit ?? 99, created_at: now, updated_at: now });
  }

  async update(q: Q, id: number, data: Partial<Omit<AccountRow, 'id'>>): Promise<void> {
    await q('accounts').where({ id }).update({ ...data, updated_at: new Date() });
  }

  /** Moves the per-status counters by the given deltas, in the caller's transaction. */
  async adjustCounters(trx: Knex.Transaction, id: number, delta: Partial<Record<'active' | 'pending' | 'deactivated', number>>): Promise<void> {
    const update: Record<string, Knex.Raw> = {};
    for (const [status, n] of Object.entries(delta)) {
      if (n) update[`${status}_count`] = trx.raw('?? + ?', [`${status}_count`, n]);
    }
    if (Object.keys(update).length) await trx('accounts').where({ id }).update(update);
  }

  private memberships(q: Q) {
    return q('contacts as c')
      .join('accounts as a', 'a.id', 'c.account_id')
      .select(
        'a.id as account_id', 'a.name as account_name', 'a.owner_contact_id',
        'c.id as contact_id', 'c.name as contact_name', 'c.status', 'c.profile',
        'a.seat_limit', 'a.active_count', 'a.pending_count', 'a.deactivated_count',
      );
  }

  activeMembershipsOfUser(userId: number, q: Q = this.db): Promise<Membership[]> {
    return this.memberships(q).where({ 'c.user_id': userId, 'c.status': 'active' }).orderBy('a.name');
  }

  /**
   * The user's active contact in one account with the account's counters and the contact's extra
   * flags (explicit and group grants), in one statement: read on every account page, so a
   * deactivation or a permission change applies on the next request. `company_count` (in how many
   * companies the user is an active contact) comes in it too, for the layout's "Trocar de empresa",
   * which only makes sense from two companies up. The grants come as comma-joined lists (a flag key
   * holds no comma: server/plugins/loader.ts); the tables are the permissions feature's, named here
   * because the row that decides access is this one.
   */
  async activeMembership(accountId: number, userId: number, q: Q = this.db): Promise<ActiveMembership | undefined> {
    const companies = q('contacts as c2').count('* as n').where('c2.user_id', userId).andWhere('c2.status', 'active').as('company_count');
    const explicit = q('contact_permissions as cp').select(q.raw('group_concat(cp.permission_key)')).whereRaw('cp.contact_id = c.id').as('explicit_flags');
    const viaGroups = q('group_members as gm').join('group_permissions as gp', 'gp.group_id', 'gm.group_id')
      .select(q.raw('group_concat(gp.permission_key)')).whereRaw('gm.contact_id = c.id').as('group_flags');
    const row = await this.memberships(q).select(companies, explicit, viaGroups).where({ 'c.account_id': accountId, 'c.user_id': userId, 'c.status': 'active' }).first();
    if (!row) return undefined;
    const { explicit_flags: e, group_flags: g, ...membership } = row;
    const extraFlags = [...new Set([...listOfKeys(e), ...listOfKeys(g)])];
    return { ...membership, company_count: Number(row.company_count), extra_flags: extraFlags };
  }
}

const listOfKeys = (joined: string | null): string[] => (joined ? joined.split(',') : []);
