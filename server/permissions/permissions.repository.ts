import type { Knex } from 'knex';
import { insertId } from '../db/knex';

type Q = Knex | Knex.Transaction;

export interface GroupRow {
  id: number;
  account_id: number;
  name: string;
  description: string | null;
}

/** Explicit grants, groups, their flags and members. Every query is scoped by account. */
export class PermissionRepository {
  /** Explicit ∪ group grants of one contact, in one query: read on every account page and by the editor. */
  async extraFlags(q: Q, contactId: number): Promise<string[]> {
    const rows: { permission_key: string }[] = await q
      .select('permission_key')
      .from('contact_permissions')
      .where({ contact_id: contactId })
      .union((u) => u.select('gp.permission_key').from('group_members as gm').join('group_permissions as gp', 'gp.group_id', 'gm.group_id').where('gm.contact_id', contactId));
    return rows.map((r) => r.permission_key);
  }

  async explicitOf(q: Q, contactId: number): Promise<string[]> {
    return (await q('contact_permissions').select('permission_key').where({ contact_id: contactId })).map((r: { permission_key: string }) => r.permission_key);
  }

  async setExplicit(trx: Knex.Transaction, contactId: number, keys: string[]): Promise<void> {
    await trx('contact_permissions').where({ contact_id: contactId }).delete();
    if (keys.length) await trx('contact_permissions').insert(keys.map((permission_key) => ({ contact_id: contactId, permission_key })));
  }

  groupsOfAccount(q: Q, accountId: number): Promise<GroupRow[]> {
    return q('groups').select('id', 'account_id', 'name', 'description').where({ account_id: accountId }).orderBy('name');
  }

  findGroup(q: Q, accountId: number, id: number): Promise<GroupRow | undefined> {
    return q('groups').select('id', 'account_id', 'name', 'description').where({ id, account_id: accountId }).first();
  }

  async groupIdByName(q: Q, accountId: number, name: string): Promise<number | undefined> {
    return (await q('groups').select('id').where({ account_id: accountId, name }).first())?.id;
  }

  /** group id → its flags, for all of an account's groups. */
  async groupFlags(q: Q, accountId: number): Promise<Map<number, string[]>> {
    const rows: { group_id: number; permission_key: string }[] = await q('group_permissions as gp')
      .join('groups as g', 'g.id', 'gp.group_id')
      .select('gp.group_id', 'gp.permission_key')
      .where('g.account_id', accountId);
    const map = new Map<number, string[]>();
    for (const r of rows) map.set(r.group_id, [...(map.get(r.group_id) ?? []), r.permission_key]);
    return map;
  }

  async groupIdsOfContact(q: Q, contactId: number): Promise<number[]> {
    return (await q('group_members').select('group_id').where({ contact_id: contactId })).map((r: { group_id: number }) => r.group_id);
  }

  async memberCounts(q: Q, accountId: number): Promise<Map<number, number>> {
    const rows: { group_id: number; n: number | string }[] = await q('group_members as gm')
      .join('groups as g', 'g.id', 'gm.group_id')
      .where('g.account_id', accountId)
      .groupBy('gm.group_id')
      .select('gm.group_id')
      .count({ n: '*' });
    return new Map(rows.map((r) => [r.group_id, Number(r.n)]));
  }

  async setContactGroups(trx: Knex.Transaction, contactId: number, groupIds: number[]): Promise<void> {
    await trx('group_members').where({ contact_id: contactId }).delete();
    if (groupIds.length) await trx('group_members').insert(groupIds.map((group_id) => ({ contact_id: contactId, group_id })));
  }

  createGroup(trx: Knex.Transaction, accountId: number, name: string, description: string | null): Promise<number> {
    const now = new Date();
    return insertId(trx, 'groups', { account_id: accountId, name, description, created_at: now, updated_at: now });
  }

  async updateGroup(trx: Knex.Transaction, accountId: number, id: number, name: string, description: string | null): Promise<void> {
    await trx('groups').where({ id, account_id: accountId }).update({ name, description, updated_at: new Date() });
  }

  async setGroupFlags(trx: Knex.Transaction, groupId: number, keys: string[]): Promise<void> {
    await trx('group_permissions').where({ group_id: groupId }).delete();
    if (keys.length) await trx('group_permissions').insert(keys.map((permission_key) => ({ group_id: groupId, permission_key })));
  }

  async deleteGroup(trx: Knex.Transaction, accountId: number, id: number): Promise<void> {
    await trx('group_members').where({ group_id: id }).delete();
    await trx('group_permissions').where({ group_id: id }).delete();
    await trx('groups').where({ id, account_id: accountId }).delete();
  }

  /** Active contacts holding `key` through one of `profiles`, an explicit grant, a group, or ownership. */
  activeContactsHolding(q: Q, accountId: number, key: string, profiles: string[], ownerId: number | null): Promise<{ id: number; name: string; email: string }[]> {
    return q('contacts as c')
      .select('c.id', 'c.name', 'c.email')
      .where({ 'c.account_id': accountId, 'c.status': 'active' })
      .andWhere((w) => {
        w.whereIn('c.profile', profiles.length ? profiles : ['-'])
          .orWhereIn('c.id', (s) => s.select('contact_id').from('contact_permissions').where('permission_key', key))
          .orWhereIn('c.id', (s) => s.select('gm.contact_id').from('group_members as gm').join('group_permissions as gp', 'gp.group_id', 'gm.group_id').where('gp.permission_key', key));
        if (ownerId) w.orWhere('c.id', ownerId);
      })
      .orderBy('c.name');
  }
}
