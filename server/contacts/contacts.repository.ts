import type { Knex } from 'knex';
import { forUpdate, insertId, isMysql } from '../db/knex';
import { LIKE_ESCAPE, searchPattern, searchTextOf, sortNameOf } from './search-text';

type Q = Knex | Knex.Transaction;

export type ContactStatus = 'pending' | 'active' | 'deactivated';
export const CONTACT_STATUSES: readonly ContactStatus[] = ['active', 'pending', 'deactivated'];

export interface ContactFields {
  name: string;
  email: string;
  country: string;
  document_type?: string | null;
  document_number?: string | null;
  area_code?: string | null;
  phone?: string | null;
  consulting_authorized?: boolean;
}

export interface NewContact extends ContactFields {
  account_id: number;
  user_id: number | null;
  status: ContactStatus;
  profile: string;
  created_by_contact_id?: number | null;
}

export interface ContactRow extends Required<ContactFields> {
  id: number;
  account_id: number;
  user_id: number | null;
  status: ContactStatus;
  profile: string;
  created_by_contact_id: number | null;
  created_at: unknown;
  updated_at: unknown;
  deactivated_at: unknown;
}

export interface ListQuery {
  accountId: number;
  status: ContactStatus;
  /** Folded words (parseSearch) that must each start a word the contact is found by. */
  words: string[];
  sort: 'name' | 'created';
  offset: number;
  limit: number;
  /** The last row of the previous page: the page starts right after it (then `offset` is 0). */
  after?: PageCursor;
}

/** Where a page ends, in list order: the contact's id and, when sorted by name, its name. */
export interface PageCursor {
  id: number;
  name: string;
}

const listColumns = ['id', 'name', 'email', 'country', 'document_type', 'document_number', 'area_code', 'phone', 'status', 'profile', 'user_id', 'created_at'];

/** What a profile change writes: the searchable fields come together, so `search` is rewritten with them. */
export type ContactPatch = (ContactFields | { [K in keyof ContactFields]?: never }) &
  Partial<Pick<ContactRow, 'status' | 'profile' | 'user_id'>> & { deactivated_at?: Date | null };

export class ContactRepository {
  /** One row: the contact with the words it is found by. */
  async insert(q: Q, contact: NewContact): Promise<number> {
    const now = new Date();
    return insertId(q, 'contacts', { ...contact, search: searchTextOf(contact), sort_name: sortNameOf(contact.name), created_at: now, updated_at: now });
  }

  async update(q: Q, accountId: number, id: number, patch: ContactPatch): Promise<void> {
    const search = patch.name === undefined ? {} : { search: searchTextOf(patch as ContactFields), sort_name: sortNameOf(patch.name) };
    await q('contacts').where({ id, account_id: accountId }).update({ ...patch, ...search, updated_at: new Date() });
  }

  async delete(q: Q, accountId: number, id: number): Promise<void> {
    await q('contacts').where({ id, account_id: accountId }).delete();
  }

  /** Scoped by account: another account's id is simply not found. */
  find(q: Q, accountId: number, id: number): Promise<ContactRow | undefined> {
    return q('contacts').where({ id, account_id: accountId }).first();
  }

  lock(trx: Knex.Transaction, accountId: number, id: number): Promise<ContactRow | undefined> {
    return forUpdate(trx, trx('contacts').where({ id, account_id: accountId }).first());
  }

  async findIdByEmail(q: Q, accountId: number, email: string): Promise<number | undefined> {
    return (await q('contacts').select('id').where({ account_id: accountId, email }).first())?.id;
  }

  async findIdByDocument(q: Q, accountId: number, type: string, number: string): Promise<number | undefined> {
    return (await q('contacts').select('id').where({ account_id: accountId, document_type: type, document_number: number }).first())?.id;
  }

  /** Returns up to `limit + 1` rows, so the caller knows whether a next page exists without counting. */
  async list(db: Knex, query: ListQuery): Promise<Record<string, unknown>[]> {
    return this.listQuery(db, query);
  }

  /**
   * The statement that reads a page (what `list` runs; the benchmark times it). The list index
   * `(account_id, status, sort_name, id, search)` holds the order and every searched word, so a page,
   * searched or not, is one ordered read of the account's slice that stops at its last row.
   */
  listQuery(db: Knex, query: ListQuery): Knex.QueryBuilder {
    const q = db.from(searchedInListOrder(db, query)).select(listColumns).where({ account_id: query.accountId, status: query.status });
    for (const word of query.words) q.whereRaw(`search like ? escape '${LIKE_ESCAPE}'`, [searchPattern(word)]);
    pageCursor(q, query);
    return orderPage(q, query).offset(query.offset).limit(query.limit + 1);
  }

  creatorName(q: Q, accountId: number, creatorId: number | null): Promise<string | null> {
    if (!creatorId) return Promise.resolve(null);
    return q('contacts').select('name').where({ id: creatorId, account_id: accountId }).first().then((r) => r?.name ?? null);
  }
}

/**
 * On MySQL the page names its index. A search by name: MariaDB guesses a big account's share of the
 * table, plans a scan, then takes the list index for the ORDER BY … LIMIT without checking the words
 * inside it (a row lookup each): 184 ms → 45 ms for a word nobody has among 100,000 contacts. Newest
 * first: it reads the primary key backwards through every account's rows (~1.9 s for that word)
 * where `contacts_list_by_creation` reads the account's slice with the words in the index.
 */
function searchedInListOrder(db: Knex, query: ListQuery): Knex.Raw | string {
  if (!isMysql(db)) return 'contacts';
  if (query.sort === 'created') return db.raw('?? force index (??)', ['contacts', 'contacts_list_by_creation']);
  if (query.words.length === 0) return 'contacts';
  return db.raw('?? force index (??)', ['contacts', 'contacts_list_by_name']);
}

/**
 * Rows after the cursor in list order: a "Próxima" link stays on its place while others add
 * contacts, and reads from the cursor in the index instead of skipping every row before it.
 */
function pageCursor(q: Knex.QueryBuilder, query: Pick<ListQuery, 'sort' | 'after'>) {
  const cursor = query.after;
  if (!cursor) return;
  // Newest first: "after" is an older (smaller) id.
  if (query.sort === 'created') {
    q.where('id', '<', cursor.id);
    return;
  }
  // `sort_name >= ?` first, so the index seeks to the cursor; then the rows of that same key past its id.
  const key = sortNameOf(cursor.name);
  q.where('sort_name', '>=', key).where((w) => w.where('sort_name', '>', key).orWhere('id', '>', cursor.id));
}

/** The list order: by the folded name, or newest first. */
function orderPage(q: Knex.QueryBuilder, query: Pick<ListQuery, 'sort'>) {
  if (query.sort === 'created') return q.orderBy('id', 'desc');
  return q.orderBy([{ column: 'sort_name', order: 'asc' }, { column: 'id', order: 'asc' }]);
}
