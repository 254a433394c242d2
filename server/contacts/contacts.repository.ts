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

/** Which contacts the list shows: the account, the tab, the search and the order. */
export type ListFilter = Pick<ListQuery, 'accountId' | 'status' | 'words' | 'sort'>;

/** What the export writes of a contact. */
export type ExportedContact = Pick<ContactRow, 'id' | 'name' | 'email' | 'country' | 'document_type' | 'document_number' | 'area_code' | 'phone' | 'profile' | 'consulting_authorized'>;

/** Rows per query of an export: a few hundred KB at a time, ~100 queries for 100,000 contacts. */
const EXPORT_BATCH = 1000;

/** Where a page ends, in list order: the contact's id and, when sorted by name, its name. */
export interface PageCursor {
  id: number;
  name: string;
}

/** Rows per statement when writing or looking up many: well under SQLite's bound-variable limit. */
const INSERT_CHUNK = 500;

const listColumns = ['id', 'name', 'email', 'country', 'document_type', 'document_number', 'area_code', 'phone', 'status', 'profile', 'user_id', 'created_at'];
const exportColumns = ['id', 'name', 'email', 'country', 'document_type', 'document_number', 'area_code', 'phone', 'profile', 'consulting_authorized'];

/** What a profile change writes: the searchable fields come together, so `search` is rewritten with them. */
export type ContactPatch = (ContactFields | { [K in keyof ContactFields]?: never }) &
  Partial<Pick<ContactRow, 'status' | 'profile' | 'user_id'>> & { deactivated_at?: Date | null };

export class ContactRepository {
  /** One row: the contact with the words it is found by. */
  async insert(q: Q, contact: NewContact): Promise<number> {
    const now = new Date();
    return insertId(q, 'contacts', { ...contact, search: searchTextOf(contact), sort_name: sortNameOf(contact.name), created_at: now, updated_at: now });
  }

  /**
   * Many rows of one account in a few statements, answering each new id by its e-mail in lower case (unique in the
   * account). Ids are read back, not computed from the first one: on a Galera cluster
   * auto-increment steps by the number of nodes and interleaves.
   */
  async insertMany(q: Q, accountId: number, contacts: NewContact[]): Promise<Map<string, number>> {
    const now = new Date();
    // Every row names every column: a multi-row insert cannot leave one row's column to its default.
    const rows = contacts.map((c) => ({
      document_type: null, document_number: null, area_code: null, phone: null, consulting_authorized: false, created_by_contact_id: null,
      ...c, account_id: accountId, search: searchTextOf(c), sort_name: sortNameOf(c.name), created_at: now, updated_at: now,
    }));
    for (let i = 0; i < rows.length; i += INSERT_CHUNK) await q('contacts').insert(rows.slice(i, i + INSERT_CHUNK));
    // Only the ids: the rows were just written, reading them whole again is wasted work.
    const ids = new Map<string, number>();
    for (let i = 0; i < contacts.length; i += INSERT_CHUNK) {
      const found: Pick<ContactRow, 'id' | 'email'>[] = await q('contacts').select('id', 'email').where({ account_id: accountId }).whereIn('email', contacts.slice(i, i + INSERT_CHUNK).map((c) => c.email));
      for (const r of found) ids.set(r.email.toLowerCase(), Number(r.id));
    }
    return ids;
  }

  /** The account's contacts with any of these e-mails (stored lower-case). */
  async findByEmails(q: Q, accountId: number, emails: string[]): Promise<ContactRow[]> {
    const found: ContactRow[] = [];
    for (let i = 0; i < emails.length; i += INSERT_CHUNK) found.push(...(await q('contacts').where({ account_id: accountId }).whereIn('email', emails.slice(i, i + INSERT_CHUNK))));
    return found;
  }

  /** The account's contacts holding any of these documents (type and number as stored): the unique index's order. */
  async findByDocuments(q: Q, accountId: number, documents: { type: string; number: string }[]): Promise<ContactRow[]> {
    const found: ContactRow[] = [];
    for (const type of new Set(documents.map((d) => d.type))) {
      const numbers = [...new Set(documents.filter((d) => d.type === type).map((d) => d.number))];
      for (let i = 0; i < numbers.length; i += INSERT_CHUNK) {
        found.push(...(await q('contacts').where({ account_id: accountId, document_type: type }).whereIn('document_number', numbers.slice(i, i + INSERT_CHUNK))));
      }
    }
    return found;
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
    return filteredInListOrder(db, query, listColumns).offset(query.offset).limit(query.limit + 1);
  }

  /**
   * Every contact the list shows under `filter` (tab and search), in list order, for the export:
   * read as the list's "next" links read it, a batch at a time from where the last batch ended, and
   * only when the caller asks for more rows. Not knex's `.stream()`: on SQLite it reads the whole
   * result into memory first (`statement.all`), and on both databases it keeps a connection until the
   * client has downloaded the last byte; SQLite has one connection, so a slow download would stall
   * every other request (and ten slow ones MySQL's pool of 10). Between batches no connection is held.
   * 100,000 contacts: on SQLite as fast as `.stream()` with 58 MB less memory; on MariaDB ~25 % slower.
   * The file is not one snapshot: a contact renamed while the export runs may be missed or listed
   * twice, as on the list's pages.
   */
  async *everyInListOrder(db: Knex, filter: ListFilter, batchSize = EXPORT_BATCH): AsyncGenerator<ExportedContact> {
    let after: PageCursor | undefined;
    for (;;) {
      const rows: ExportedContact[] = await filteredInListOrder(db, { ...filter, after }, exportColumns).limit(batchSize);
      yield* rows;
      const last = rows[rows.length - 1];
      if (rows.length < batchSize || !last) return;
      after = { id: Number(last.id), name: String(last.name) };
    }
  }

  /** Names and e-mails of the account's contacts among `ids` (another account's are not found). */
  async namesByIds(q: Q, accountId: number, ids: number[]): Promise<Map<number, { name: string; email: string }>> {
    const found = new Map<number, { name: string; email: string }>();
    for (let i = 0; i < ids.length; i += INSERT_CHUNK) {
      const rows: { id: number; name: string; email: string }[] = await q('contacts').select('id', 'name', 'email').where({ account_id: accountId }).whereIn('id', ids.slice(i, i + INSERT_CHUNK));
      for (const r of rows) found.set(Number(r.id), { name: r.name, email: r.email });
    }
    return found;
  }

  /** The account's deactivated contacts, longest deactivated first (the LGPD page). */
  deactivated(q: Q, accountId: number, limit: number): Promise<Pick<ContactRow, 'id' | 'name' | 'email' | 'deactivated_at'>[]> {
    return q('contacts').select('id', 'name', 'email', 'deactivated_at').where({ account_id: accountId, status: 'deactivated' }).orderBy([{ column: 'deactivated_at' }, { column: 'id' }]).limit(limit);
  }

  /** Every contact of a login, in every company ("Meus dados"). */
  ofUser(q: Q, userId: number): Promise<ContactRow[]> {
    return q('contacts').select('id', 'account_id', 'status', 'profile', 'name', 'email', 'country', 'document_type', 'document_number', 'area_code', 'phone', 'consulting_authorized', 'created_at', 'updated_at', 'deactivated_at')
      .where({ user_id: userId }).orderBy('id');
  }

  creatorName(q: Q, accountId: number, creatorId: number | null): Promise<string | null> {
    if (!creatorId) return Promise.resolve(null);
    return q('contacts').select('name').where({ id: creatorId, account_id: accountId }).first().then((r) => r?.name ?? null);
  }
}

/** The list's rows under a filter, after a cursor, in list order: what a page and the export both read. */
function filteredInListOrder(db: Knex, query: ListFilter & Pick<ListQuery, 'after'>, columns: string[]): Knex.QueryBuilder {
  const q = db.from(searchedInListOrder(db, query)).select(columns).where({ account_id: query.accountId, status: query.status });
  for (const word of query.words) q.whereRaw(`search like ? escape '${LIKE_ESCAPE}'`, [searchPattern(word)]);
  pageCursor(q, query);
  return orderPage(q, query);
}

/**
 * On MySQL the page names its index. A search by name: MariaDB guesses a big account's share of the
 * table, plans a scan, then takes the list index for the ORDER BY … LIMIT without checking the words
 * inside it (a row lookup each): 184 ms → 45 ms for a word nobody has among 100,000 contacts. Newest
 * first: it reads the primary key backwards through every account's rows (~1.9 s for that word)
 * where `contacts_list_by_creation` reads the account's slice with the words in the index.
 */
function searchedInListOrder(db: Knex, query: ListFilter): Knex.Raw | string {
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
