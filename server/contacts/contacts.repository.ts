import type { Knex } from 'knex';
import { forUpdate, insertId, isMysql, rawRows } from '../db/knex';
import { searchTermsOf } from './search-terms';

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
}

const listColumns = ['c.id', 'c.name', 'c.email', 'c.country', 'c.document_type', 'c.document_number', 'c.area_code', 'c.phone', 'c.status', 'c.profile', 'c.user_id', 'c.created_at'];

export class ContactRepository {
  async insert(q: Q, contact: NewContact): Promise<number> {
    const now = new Date();
    const id = await insertId(q, 'contacts', { ...contact, created_at: now, updated_at: now });
    await this.writeSearchTerms(q, contact.account_id, id, contact);
    return id;
  }

  async update(q: Q, accountId: number, id: number, patch: Partial<ContactFields> & Partial<Pick<ContactRow, 'status' | 'profile' | 'user_id'>> & { deactivated_at?: Date | null }): Promise<void> {
    await q('contacts').where({ id, account_id: accountId }).update({ ...patch, updated_at: new Date() });
    if ('name' in patch || 'email' in patch || 'document_number' in patch) {
      const row = await this.find(q, accountId, id);
      if (row) await this.writeSearchTerms(q, accountId, id, row);
    } else if (patch.status) {
      await q('contact_search_terms').where({ account_id: accountId, contact_id: id }).update({ status: patch.status });
    }
  }

  async delete(q: Q, accountId: number, id: number): Promise<void> {
    await q('contact_search_terms').where({ contact_id: id }).delete();
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
    const { statement } = await this.listQuery(db, query);
    return statement;
  }

  /**
   * The statement that reads a page (what `list` runs; the benchmark EXPLAINs it). A search for one
   * word of a name first asks for the first and the last term starting with it
   * (`termRangeStatement`, two index entries): when they are the same term ("silva", "souza": a
   * surname no e-mail starts with), the page is read in order from the term index.
   */
  async listQuery(db: Knex, query: ListQuery): Promise<{ statement: Knex.QueryBuilder }> {
    // Wrapped in an object: a promise resolving to a query builder would run it (it is thenable).
    if (query.terms.length === 0) return { statement: query.offset >= DEFERRED_JOIN_FROM ? this.deepPage(db, query) : this.plainPage(db, query) };
    if (query.terms.length === 1 && NAME_WORD.test(query.terms[0]!)) {
      const [range] = await rawRows<{ lo: string | null; hi: string | null }>(db, ...termRangeStatement(db, query.accountId, query.status, query.terms[0]!));
      if (!range || range.lo === null) return { statement: this.plainPage(db, query).whereRaw('1 = 0') };
      if (range.lo === range.hi) return { statement: this.singleTermPage(db, query, range.lo) };
    }
    return { statement: this.searchPage(db, query) };
  }

  private plainPage(db: Knex, query: ListQuery) {
    const q = db('contacts as c').select(listColumns).where({ 'c.account_id': query.accountId, 'c.status': query.status });
    return orderPage(q, query.sort).offset(query.offset).limit(query.limit + 1);
  }

  /** Any search: each word's matching ids, from the term index, then the page in list order. */
  private searchPage(db: Knex, query: ListQuery) {
    const q = db('contacts as c').select(listColumns).where({ 'c.account_id': query.accountId, 'c.status': query.status });
    for (const term of query.terms) {
      // A prefix range both engines answer from the primary key (account_id, term, ...).
      q.whereIn('c.id', (sub) => withPrefix(db, sub.select('t.contact_id').from('contact_search_terms as t').where('t.account_id', query.accountId), 't.term', term));
    }
    return orderPage(q, query.sort).offset(query.offset).limit(query.limit + 1);
  }

  /**
   * One word that is a single term: the first `offset + limit + 1` entries of this tab in list
   * order, read in order from the term index (status and name are kept on the term), then those
   * contacts. 26 index entries for "silva" instead of materializing and sorting all 14,000 matches.
   */
  private singleTermPage(db: Knex, query: ListQuery, term: string) {
    const ids = db('contact_search_terms as t').select('t.contact_id').where({ 't.account_id': query.accountId, 't.status': query.status, 't.term': term });
    if (query.sort === 'created') ids.orderBy('t.contact_id', 'desc');
    else ids.orderBy([{ column: 't.name' }, { column: 't.contact_id' }]);
    const q = db('contacts as c').select(listColumns).join(ids.limit(query.offset + query.limit + 1).as('k'), 'k.contact_id', 'c.id').where({ 'c.account_id': query.accountId, 'c.status': query.status });
    return orderPage(q, query.sort).offset(query.offset).limit(query.limit + 1);
  }

  /**
   * A deep page: OFFSET over full rows reads every skipped row (22 ms at page 200 on 100,000
   * contacts). The page's ids come from the covering list index instead, then 26 rows are read.
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

  private async writeSearchTerms(q: Q, accountId: number, contactId: number, contact: ContactFields & { status: ContactStatus }): Promise<void> {
    await q('contact_search_terms').where({ contact_id: contactId }).delete();
    // Status and name ride along: the search lists matches by name, per tab, from the term index.
    const rows = searchTermsOf(contact).map((term) => ({ account_id: accountId, term, contact_id: contactId, status: contact.status, name: contact.name }));
    // Terms distinct here may be equal to MySQL's collation ("straus"/"strauß", "soren"/"søren"):
    // the primary key would refuse the second one and fail the whole save, so keep the first.
    if (rows.length) await q('contact_search_terms').insert(rows).onConflict().ignore();
  }
}

/** From about page 10 the deferred join wins; before it the plain query is as fast. */
const DEFERRED_JOIN_FROM = 250;
/** A word of a name (letters only): CPF digits and e-mail prefixes are rare enough as they are. */
const NAME_WORD = /^\p{L}+$/u;

function orderPage(q: Knex.QueryBuilder, sort: ListQuery['sort']) {
  return sort === 'created' ? q.orderBy('c.id', 'desc') : q.orderBy([{ column: 'c.name' }, { column: 'c.id' }]);
}

/**
 * The first and the last term starting with `word` in this tab: one index entry each, from
 * (account_id, status, term, …). Equal means a single term matches.
 */
export function termRangeStatement(db: Knex, accountId: number, status: ContactStatus, word: string): [string, Knex.Value[]] {
  const mysql = isMysql(db);
  const prefix = mysql ? 't.term like ?' : 't.term >= ? and t.term < ?';
  const bindings = [accountId, status, ...(mysql ? [`${escapeLike(word)}%`] : [word, `${word}\u{10FFFF}`])];
  const end = (dir: 'asc' | 'desc') => `(select t.term from contact_search_terms t where t.account_id = ? and t.status = ? and ${prefix} order by t.term ${dir} limit 1)`;
  return [`select ${end('asc')} as lo, ${end('desc')} as hi`, [...bindings, ...bindings]];
}

/** `column` starts with `word`: LIKE on MySQL; a range on SQLite, whose LIKE ignores the index. */
function withPrefix(db: Knex, q: Knex.QueryBuilder, column: string, word: string) {
  if (isMysql(db)) return q.whereRaw('?? LIKE ?', [column, `${escapeLike(word)}%`]);
  return q.where(column, '>=', word).where(column, '<', `${word}\u{10FFFF}`);
}

const escapeLike = (s: string) => s.replace(/[\\%_]/g, (c) => `\\${c}`);
