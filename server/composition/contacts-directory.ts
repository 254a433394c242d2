import type { Knex } from 'knex';
import { AccountRepository } from '../accounts/accounts.repository';
import { positiveId } from '../validation';
import { PermissionRepository } from '../permissions/permissions.repository';
import { PROFILES, type PermissionService } from '../permissions/permissions.service';
import type { AccountContacts, ContactsDirectory, DirectoryContact } from '../plugins/contract';

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

  // Every read is of one account, through `q` (the caller's transaction, or the pool).
  const find = async (accountId: number, id: number, q: Q): Promise<DirectoryContact | undefined> => {
    if (positiveId(id) === null) return undefined;
    const row = await q('contacts').select('id', 'name', 'email', 'status', 'profile').where({ account_id: accountId, id }).first();
    return row ? { id: Number(row.id), name: row.name, email: row.email, status: row.status, profile: row.profile } : undefined;
  };
  const names = async (accountId: number, ids: readonly number[], q: Q): Promise<Map<number, string>> => {
    const wanted = [...new Set(ids.filter((id) => positiveId(id) !== null))];
    if (!wanted.length) return new Map();
    const rows = await q('contacts').select('id', 'name').where({ account_id: accountId }).whereIn('id', wanted);
    return new Map(rows.map((r) => [Number(r.id), String(r.name)]));
  };
  const listActive = async (accountId: number, q: Q, holding?: string) => {
    if (holding) {
      // As PermissionService.holders, but through `q`: inside a transaction on SQLite's single
      // connection, a query through `db` would wait for the transaction that is waiting for it.
      const owner = (await accounts.findById(accountId, q))?.owner_contact_id ?? null;
      return grants.activeContactsHolding(q, accountId, holding, PROFILES.filter((p) => permissions.profileFlags(p).has(holding)), owner);
    }
    const rows = await q('contacts').select('id', 'name', 'email').where({ account_id: accountId, status: 'active' }).orderBy('name').orderBy('id');
    return rows.map((r) => ({ id: Number(r.id), name: r.name, email: r.email }));
  };
  const flagsOf = async (accountId: number, id: number, q: Q): Promise<ReadonlySet<string>> => {
    const contact = await find(accountId, id, q);
    if (!contact || contact.status !== 'active') return new Set<string>();
    const isOwner = (await accounts.findById(accountId, q))?.owner_contact_id === contact.id;
    return (await permissions.accessOf({ contactId: contact.id, profile: contact.profile, isOwner }, q)).permissions;
  };

  return {
    find: (req, id, trx) => find(accountOf(req), id, trx ?? db),
    listActive: (req, options = {}) => listActive(accountOf(req), options.trx ?? db, options.holding),
    displayName: async (req, id, trx) => (await find(accountOf(req), id, trx ?? db))?.name ?? null,
    displayNames: (req, ids, trx) => names(accountOf(req), ids, trx ?? db),
    flagsOf: (req, id, trx) => flagsOf(accountOf(req), id, trx ?? db),
    of: (accountId, trx): AccountContacts => ({
      find: (id) => find(accountId, id, trx),
      listActive: (options = {}) => listActive(accountId, trx, options.holding),
      displayName: async (id) => (await find(accountId, id, trx))?.name ?? null,
      displayNames: (ids) => names(accountId, ids, trx),
      flagsOf: (id) => flagsOf(accountId, id, trx),
    }),
  };
}
