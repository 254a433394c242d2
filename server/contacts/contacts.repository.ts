import type { Knex } from 'knex';
import { forUpdate, insertId, isMysql, selectRows } from '../db/knex';
import { frequentWords, searchIds } from './contact-search';
import { SearchIndexRepository } from './search-index.repository';

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
  terms: string[];
  sort: 'name' | 'created';
  offset: number;
  limit: number;
  /** The last row of the previous page: the page starts right after it (then `offset` is 0). */
  after?: PageCursor;
  /**
   * The first row of the next page ("Anterior" from it): the page is the `limit` rows right before
   * it, read backwards from the cursor (then `offset` is 0 and `after` absent).
   */
  before?: PageCursor;
}

/** Where a page ends, in list order: the contact's id and, when sorted by name, its name. */
export interface PageCursor {
  id: number;
  name: string;
}

const listColumns = ['c.id', 'c.name', 'c.email', 'c.country', 'c.document_type', 'c.document_number', 'c.area_code', 'c.phone', 'c.status', 'c.profile', 'c.user_id', 'c.created_at'];

export class ContactRepository {
  private readonly search = new SearchIndexRepository();

  async insert(q: Q, contact: NewContact): Promise<number> {
    const now = new Date();
    const id = await insertId(q, 'contacts', { ...contact, created_at: now, updated_at: now });
    await this.search.write(q, contact.account_id, id, contact);
    return id;
  }

  async update(q: Q, accountId: number, id: number, patch: Partial<ContactFields> & Partial<Pick<ContactRow, 'status' | 'profile' | 'user_id'>> & { deactivated_at?: Date | null }): Promise<void> {
    const reindex = 'name' in patch || 'email' in patch || 'document_number' in patch;
    const before = reindex ? await this.find(q, accountId, id) : undefined;
    await q('contacts').where({ id, account_id: accountId }).update({ ...patch, updated_at: new Date() });
    if (before) await this.search.write(q, accountId, id, { ...before, ...patch } as ContactRow, before);
    else if (patch.status) await this.search.setStatus(q, accountId, id, patch.status);
  }

  async delete(q: Q, accountId: number, id: number): Promise<void> {
    const row = await this.find(q, accountId, id);
    if (!row) return;
    await this.search.remove(q, accountId, id, row);
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

  /**
   * Returns up to `limit + 1` rows, so the caller knows whether a next page exists without
   * counting; before a cursor, up to `limit` (a next page exists: the one the cursor came from).
   * In list order either way.
   */
  async list(db: Knex, query: ListQuery): Promise<Record<string, unknown>[]> {
    const { statement } = await this.listQuery(db, query);
    const rows = await selectRows<Record<string, unknown>>(db, statement);
    return query.before ? rows.reverse() : rows;
  }

  /**
   * The statement that reads a page (what `list` runs; the benchmark EXPLAINs it). A search reads
   * the matching ids in list order from the term index (`searchIds`), a search of several words
   * planned with the account's frequent prefixes (cached per process), then those contacts.
   */
  async listQuery(db: Knex, query: ListQuery): Promise<{ statement: Knex.QueryBuilder }> {
    // Wrapped in an object: a promise resolving to a query builder would run it (it is thenable).
    const byCursor = query.after || query.before;
    if (query.terms.length === 0) return { statement: !byCursor && query.offset >= DEFERRED_JOIN_FROM ? this.deepPage(db, query) : this.plainPage(db, query) };
    // The counts only choose which of several words drives; one word needs none.
    const frequent = query.terms.length > 1 ? await frequentWords(db, query.accountId) : [];
    return { statement: this.searchPage(db, query, frequent) };
  }

  /** The page of a search, from the ids `searchIds` reads for any frequent-word list (the tests vary it). */
  searchPage(db: Knex, query: ListQuery, frequent: Parameters<typeof searchIds>[2]): Knex.QueryBuilder {
    const { ids, ordered } = searchIds(db, query, frequent);
    if (ordered) {
      // Read in list order from the term index: each contact is joined as its entry comes, and
      // the read stops at the page's last row. MySQL is told that order (STRAIGHT_JOIN; it would
      // otherwise weigh starting from contacts); SQLite's planner starts from the ordered read.
      const join = isMysql(db) ? ids.joinRaw('straight_join ?? as c force index (primary) on c.id = t.contact_id', ['contacts']) : ids.join('contacts as c', 'c.id', 't.contact_id');
      return join.clearSelect().select(listColumns).where({ 'c.account_id': query.accountId, 'c.status': query.status }).offset(query.offset).limit(pageRows(query));
    }
    // Sorted matches (a range of whole terms): their ids first, then 26 contacts by primary key
    // (MySQL: named, for the reason given at contactsInListOrder).
    const contacts = isMysql(db) ? db.raw('?? as c force index (primary)', ['contacts']) : 'contacts as c';
    const q = db.from(contacts).select(listColumns).join(ids.as('k'), 'k.contact_id', 'c.id').where({ 'c.account_id': query.accountId, 'c.status': query.status });
    return orderPage(q, query, 'c.name', 'c.id').offset(query.offset).limit(pageRows(query));
  }

  /**
   * The first pages, and any page after a cursor: the rows straight from the list index, in order,
   * from the cursor on (26 entries on page 200 as on page 1).
   */
  private plainPage(db: Knex, query: ListQuery) {
    const q = db.from(contactsInListOrder(db, query.sort)).select(listColumns).where({ 'c.account_id': query.accountId, 'c.status': query.status });
    pageCursor(q, query, 'c.name', 'c.id');
    return orderPage(q, query, 'c.name', 'c.id').offset(query.offset).limit(pageRows(query));
  }

  /**
   * A deep page by number (typed, or an old link): OFFSET over full rows reads every skipped row
   * (22 ms at page 200 on 100,000 contacts). The page's ids come from the covering list index
   * instead, then 26 rows are read.
   */
  private deepPage(db: Knex, query: ListQuery) {
    const ids = db('contacts').select('id').where({ account_id: query.accountId, status: query.status });
    const page = db('contacts as c').select(listColumns);
    if (query.sort === 'created') {
      ids.orderBy('id', 'desc');
      page.orderBy('c.id', 'desc');
    } else {
      ids.orderBy([{ column: 'name' }, { column: 'id' }]);
      page.orderBy([{ column: 'c.name' }, { column: 'c.id' }]);
    }
    return page.join(ids.offset(query.offset).limit(query.limit + 1).as('k'), 'k.id', 'c.id');
  }

  creatorName(q: Q, accountId: number, creatorId: number | null): Promise<string | null> {
    if (!creatorId) return Promise.resolve(null);
    return q('contacts').select('name').where({ id: creatorId, account_id: accountId }).first().then((r) => r?.name ?? null);
  }
}

/** From about page 10 the deferred join wins; before it the plain query is as fast. */
const DEFERRED_JOIN_FROM = 250;

/**
 * Rows after the cursor in list order (`after`), or before it (`before`, read backwards): a
 * "next" or "previous" link reads 26 index entries on page 200 as on page 1, where an offset
 * reads (and skips) every row before it.
 */
export function pageCursor(q: Knex.QueryBuilder, query: Pick<ListQuery, 'sort' | 'after' | 'before'>, nameColumn: string, idColumn: string) {
  const cursor = query.after ?? query.before;
  if (!cursor) return q;
  const { id, name } = cursor;
  const forward = Boolean(query.after);
  // Newest first: "after" is an older (smaller) id.
  if (query.sort === 'created') return q.where(idColumn, forward ? '<' : '>', id);
  // `name >= ?` first: the index seeks to the cursor. Written only as "name > ? or (name = ? and
  // id > ?)", MariaDB read the index from the top and filtered (5,000 entries on page 200).
  const [bound, strict] = forward ? ['>=', '>'] : ['<=', '<'];
  return q.where(nameColumn, bound, name).where((w) => w.where(nameColumn, strict, name).orWhere(idColumn, strict, id));
}

/** The list order (by name, or newest first); reversed for a page read backwards from a `before` cursor. */
export function orderPage(q: Knex.QueryBuilder, query: Pick<ListQuery, 'sort' | 'before'>, nameColumn: string, idColumn: string) {
  const back = Boolean(query.before);
  if (query.sort === 'created') return q.orderBy(idColumn, back ? 'asc' : 'desc');
  const direction = back ? 'desc' : 'asc';
  return q.orderBy([{ column: nameColumn, order: direction }, { column: idColumn, order: direction }]);
}

/** Read one row past the page to know whether another follows; backwards, the page is enough. */
export const pageRows = (query: Pick<ListQuery, 'limit' | 'before'>) => (query.before ? query.limit : query.limit + 1);

/**
 * `contacts as c`, read through the index that holds the list order (MySQL: named). Left to
 * choose, MariaDB estimated the account's range in every index that starts with `account_id` by
 * walking their B-trees on each page view (~1 ms of its CPU at 100,000 contacts and 8 concurrent
 * requests, against ~0.15 ms for the read), and sorted by creation through the primary key (the
 * whole tab read to find 26 rows after a cursor: 4 ms).
 */
function contactsInListOrder(db: Knex, sort: ListQuery['sort']): Knex.Raw | string {
  if (!isMysql(db)) return 'contacts as c';
  return db.raw('?? as c force index (??)', ['contacts', sort === 'created' ? 'contacts_list_by_creation' : 'contacts_list_by_name']);
}
