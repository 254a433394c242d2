import type { Knex } from 'knex';
import { isMysql } from '../db/knex';
import { isLetterWord, termMatchOf } from './search-terms';
import { orderPage, pageCursor, pageRows, type ListQuery } from './contacts.repository';

export interface FrequentWord {
  word: string;
  contacts: number;
}

/** A prefix shared by at least this many contacts is cached with its count (see `searchIds`). */
export const FREQUENT_WORD_MIN = 100;
const CACHE_MS = 60_000;
const CACHE_ACCOUNTS = 1_000;

const caches = new WeakMap<Knex, Map<number, { at: number; words: Promise<FrequentWord[]> }>>();

/**
 * The account's frequent letter prefixes ("m", "ma", "mar", "mari", "maria", "silva"…) with their
 * contact counts, kept per process for a minute. Only the plan depends on them, never the result
 * (see `searchIds`), so a prefix that became frequent in another process a moment ago costs speed
 * for a minute, not correctness; no invalidation is needed.
 */
export function frequentWords(db: Knex, accountId: number): Promise<FrequentWord[]> {
  let cache = caches.get(db);
  if (!cache) caches.set(db, (cache = new Map()));
  const hit = cache.get(accountId);
  if (hit && Date.now() - hit.at < CACHE_MS) return hit.words;
  const words = db('contact_search_words')
    .select('word', 'contacts')
    .where('account_id', accountId)
    .where('contacts', '>=', FREQUENT_WORD_MIN)
    .then((rows: FrequentWord[]) => rows.map((r) => ({ word: r.word, contacts: Number(r.contacts) })));
  cache.delete(accountId);
  cache.set(accountId, { at: Date.now(), words });
  // A failed read is not kept (the caller sees the error); a newer entry is left alone.
  words.catch(() => cache.get(accountId)?.words === words && cache.delete(accountId));
  if (cache.size > CACHE_ACCOUNTS) cache.delete(cache.keys().next().value!);
  return words;
}

/**
 * The ids (and names) of a search's first `offset + limit + 1` matches in list order. One word
 * drives: the one with the fewest contacts (a prefix missing from `frequent` has fewer than
 * FREQUENT_WORD_MIN; a word with digits or "@", an e-mail or document prefix, counts as rare).
 * A word of letters is one exact prefix term, read in list order from the term index only as far
 * as the page needs; a word with digits or "@" is the range of terms it starts, read whole and
 * sorted (a contact's e-mail and document may both start with it: DISTINCT). Every other word is
 * checked per contact: one primary-key lookup for letters, the contact's own terms otherwise.
 * The result is exactly "every word matches", whatever `frequent` holds: it only picks the order.
 */
export function searchIds(db: Knex, query: ListQuery, frequent: readonly FrequentWord[]): SearchRead {
  const counts = countsOf(frequent);
  const plans = query.terms.map((word, index) => ({
    index,
    match: termMatchOf(word),
    estimate: isLetterWord(word) ? (counts.get(word) ?? FREQUENT_WORD_MIN - 1) : 0,
  }));
  const driving = plans.reduce((best, p) => (p.estimate < best.estimate ? p : best));
  const rows = query.offset + pageRows(query);
  const columns = query.sort === 'created' ? ['t.contact_id'] : ['t.contact_id', 't.name'];
  const match = driving.match;

  let qb: Knex.QueryBuilder;
  // With other words to check, MySQL would join each contact before the check (STRAIGHT_JOIN
  // keeps the semi-join last): ~220 rows read for 26 on "maria silva". The ids come first there.
  const ordered = Boolean(match && 'exact' in match) && plans.length === 1;
  if (match && 'exact' in match) {
    // MariaDB estimated the primary key (account, term) plus a sort of every entry of the term as
    // cheaper than reading the first entries of this index in order: 2-5x slower, so it is named.
    const table = isMysql(db) ? db.raw('?? as t force index (??)', ['contact_search_terms', query.sort === 'created' ? 'contact_search_terms_by_creation' : 'contact_search_terms_by_name']) : 'contact_search_terms as t';
    qb = db.from(table).select(columns).where('t.term', match.exact);
  } else {
    qb = db.from('contact_search_terms as t').distinct(columns);
    if (match) withPrefix(db, qb, 't.term', match.startsWith);
    else qb.whereRaw('1 = 0');
  }
  qb.where({ 't.account_id': query.accountId, 't.status': query.status });
  pageCursor(qb, query, 't.name', 't.contact_id');
  for (const other of plans) {
    if (other === driving) continue;
    const m = other.match;
    if (!m) {
      qb.whereRaw('1 = 0');
      continue;
    }
    qb.whereExists((sub) => {
      sub.select(db.raw('1')).from('contact_search_terms as s');
      // Letters: the primary key (account, term, contact) finds the one row or none.
      if ('exact' in m) sub.where('s.account_id', query.accountId).where('s.term', m.exact).where('s.contact_id', db.ref('t.contact_id'));
      else withPrefix(db, sub.where('s.contact_id', db.ref('t.contact_id')), 's.term', m.startsWith);
    });
  }
  orderPage(qb, query, 't.name', 't.contact_id');
  return { ids: qb.limit(rows), ordered };
}

/**
 * `ids` selects `t.contact_id` (and `t.name`) of the first matches in list order. `ordered`: a
 * one-word read from the index in that order, nothing to sort or check, so the contacts can be
 * joined row by row.
 */
export interface SearchRead {
  ids: Knex.QueryBuilder;
  ordered: boolean;
}

/** The list as a map, built once per cached list (an account has hundreds of frequent prefixes). */
const maps = new WeakMap<readonly FrequentWord[], ReadonlyMap<string, number>>();
function countsOf(frequent: readonly FrequentWord[]): ReadonlyMap<string, number> {
  let map = maps.get(frequent);
  if (!map) maps.set(frequent, (map = new Map(frequent.map((f) => [f.word, f.contacts]))));
  return map;
}

/** `column` starts with `word`: LIKE on MySQL; a range on SQLite, whose LIKE ignores the index. */
function withPrefix(db: Knex, q: Knex.QueryBuilder, column: string, word: string) {
  if (isMysql(db)) return q.whereRaw('?? LIKE ?', [column, `${escapeLike(word)}%`]);
  return q.where(column, '>=', word).where(column, '<', `${word}\u{10FFFF}`);
}

const escapeLike = (s: string) => s.replace(/[\\%_]/g, (c) => `\\${c}`);
