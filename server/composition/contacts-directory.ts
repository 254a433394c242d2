import type { Knex } from 'knex';
import { AccountRepository } from '../accounts/accounts.repository';
import { positiveId } from '../http/forms';
import { PermissionRepository } from '../permissions/permissions.repository';
import { PROFILES, type PermissionService } from '../permissions/permissions.service';
import type { ContactsDirectory, DirectoryContact } from '../plugins/contract';

type Q = Knex | Knex.Transaction;

/**
 * The read-only view of core's contacts that plugins get: always scoped to the request's
 * account, so a plugin cannot read another company's people by guessing an id.
 */
export function contactsDirectory(db: Knex, permissions: PermissionService): ContactsDirectory {
  const accounts = new AccountRepository(db);
  const grants = new PermissionRepository();
  const accountOf = (req: { ctx?: { account: { id: number } } }): number => {
    if (!req.ctx) throw new Error('contacts directory used outside an account route');
    return req.ctx.account.id;
  };
  const find = async (req: Parameters<ContactsDirectory['find']>[0], id: number, trx?: Q): Promise<DirectoryContact | undefined> => {
    if (positiveId(id) === null) return undefined;
    const row = await (trx ?? db)('contacts')
      .select('id', 'name', 'email', 'status', 'profile')
      .where({ account_id: accountOf(req), id })
      .first();
    return row ? { id: Number(row.id), name: row.name, email: row.email, status: row.status, profile: row.profile } : undefined;
  };
  return {
    find,
    async listActive(req, options = {}) {
      const accountId = accountOf(req);
      const q = options.trx ?? db;
      if (options.holding) {
        // As PermissionService.holders, but through `q`: inside a transaction on SQLite's single
        // connection, a query through `db` would wait for the transaction that is waiting for it.
        const key = options.holding;
        const owner = (await accounts.findById(accountId, q))?.owner_contact_id ?? null;
        return grants.activeContactsHolding(q, accountId, key, PROFILES.filter((p) => permissions.profileFlags(p).has(key)), owner);
      }
      const rows = await q('contacts')
        .select('id', 'name', 'email')
        .where({ account_id: accountId, status: 'active' })
        .orderBy('name')
        .orderBy('id');
      return rows.map((r) => ({ id: Number(r.id), name: r.name, email: r.email }));
    },
    async displayName(req, id, trx) {
      return (await find(req, id, trx))?.name ?? null;
    },
    async flagsOf(req, id, trx) {
      const contact = await find(req, id, trx);
      if (!contact || contact.status !== 'active') return new Set<string>();
      const isOwner = (await accounts.findById(accountOf(req), trx ?? db))?.owner_contact_id === contact.id;
      return (await permissions.accessOf({ contactId: contact.id, profile: contact.profile, isOwner }, trx ?? db)).permissions;
    },
  };
}
