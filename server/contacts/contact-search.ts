import type { Knex } from 'knex';
import { isMysql } from '../db/knex';
import { isLetterWord, prefixesOf } from './search-terms';
import { afterCursor, type ListQuery } from './contacts.repository';

export interface FrequentWord {
  word: string;
  contacts: number;
}

/** A name word shared by at least this many contacts is read in list order on its own. */
export const FREQUENT_WORD_MIN = 100;
/** At most this many ordered reads per search; the rarer words of a prefix are sorted together. */
const MAX_BRANCHES = 12;
const CACHE_MS = 60_000;
const CACHE_ACCOUNTS = 1_000;

const caches = new WeakMap<Knex, Map<number, { at: number; words: Promise<FrequentWord[]> }>>();

/**
 * The account's frequent name words, kept per process for a minute. Only the plan depends on
 * them, never the result (see `searchStatement`), so a word that became frequent in another
 * process a moment ago costs speed for a minute, not correctness; no invalidation is needed.
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
 * drives: the one with the fewest contacts behind its frequent words. Each frequent word it
 * starts ("maria" → maria, mariana) is read in list order from the term index, only as far as
 * the page needs, the other words checked per contact (EXISTS on the contact's own terms); the
 * rest of its prefix range (rare words, e-mails, documents) is read whole and sorted. The union
 * is exactly "every word matches", whatever `frequent` holds: it only decides how it is read.
 */
export function searchIds(db: Knex, query: ListQuery, frequent: readonly FrequentWord[]): Knex.QueryBuilder {
  const plans = query.terms.map((word, index) => {
    const words = isLetterWord(word) ? frequent.filter((f) => f.word.startsWith(word)) : [];
    const ordered = [...words].sort((a, b) => b.contacts - a.contacts).slice(0, MAX_BRANCHES);
    return { word, index, ordered, estimate: words.reduce((n, f) => n + f.contacts, 0) };
  });
  const driving = plans.reduce((best, p) => (p.estimate < best.estimate || (p.estimate === best.estimate && p.word.length > best.word.length) ? p : best));
  const others = plans.filter((p) => p.index !== driving.index).map((p) => p.word);
  const rows = query.offset + query.limit + 1;
  const columns = query.sort === 'created' ? ['t.contact_id'] : ['t.contact_id', 't.name'];

  // MariaDB estimates the primary key (account, term) plus a sort of every entry of the term as
  // cheaper than reading the first entries of this index in order: 2-5x slower, so it is named.
  const mysql = isMysql(db);
  const orderedIndex = mysql ? (query.sort === 'created' ? 'contact_search_terms_by_creation' : 'contact_search_terms_by_name') : null;
  const arm = (i: number, restrict: (qb: Knex.QueryBuilder) => void, severalTerms = false, index: string | null = null) => {
    const table = index ? db.raw('?? as t force index (??)', ['contact_search_terms', index]) : 'contact_search_terms as t';
    // A range of terms can hold two of one contact's ("silva", "silveira" for "silv"): DISTINCT
    // before LIMIT, or the page would come up short.
    const qb = (severalTerms ? db.from(table).distinct(columns) : db.from(table).select(columns)).where({ 't.account_id': query.accountId, 't.status': query.status });
    restrict(qb);
    if (query.after) afterCursor(qb, query, 't.name', 't.contact_id');
    for (const other of others) {
      qb.whereExists((sub) => wherePrefixes(db, sub.select(db.raw('1')).from('contact_search_terms as s').where('s.contact_id', db.ref('t.contact_id')), 's.term', prefixesOf(other)));
    }
    if (query.sort === 'created') qb.orderBy('t.contact_id', 'desc');
    else qb.orderBy([{ column: 't.name' }, { column: 't.contact_id' }]);
    qb.limit(rows);
    // SQLite allows no ORDER BY / LIMIT on the arms of a UNION themselves: each is wrapped in a
    // subselect. MySQL takes them in parentheses, which spares MariaDB a temporary table per arm.
    return mysql ? qb : db.select('*').from(qb.as(`b${i}`));
  };
  const arms = driving.ordered.map((f, i) => arm(i, (qb) => qb.where('t.term', f.word), false, orderedIndex));
  arms.push(
    arm(arms.length, (qb) => {
      wherePrefixes(db, qb, 't.term', prefixesOf(driving.word));
      if (driving.ordered.length) qb.whereNotIn('t.term', driving.ordered.map((f) => f.word));
    }, true),
  );
  // UNION, not UNION ALL: a contact found through two terms ("Maria Mariana") is listed once.
  if (arms.length === 1) return arms[0]!;
  return mysql ? db.union(arms, true) : arms[0]!.union(arms.slice(1));
}

/** `column` starts with one of `prefixes` (none: nothing matches). */
function wherePrefixes(db: Knex, qb: Knex.QueryBuilder, column: string, prefixes: string[]): Knex.QueryBuilder {
  if (prefixes.length === 0) return qb.whereRaw('1 = 0');
  if (prefixes.length === 1) return withPrefix(db, qb, column, prefixes[0]!);
  return qb.where((any) => {
    for (const p of prefixes) any.orWhere((one) => withPrefix(db, one, column, p));
  });
}

/** `column` starts with `word`: LIKE on MySQL; a range on SQLite, whose LIKE ignores the index. */
function withPrefix(db: Knex, q: Knex.QueryBuilder, column: string, word: string) {
  if (isMysql(db)) return q.whereRaw('?? LIKE ?', [column, `${escapeLike(word)}%`]);
  return q.where(column, '>=', word).where(column, '<', `${word}\u{10FFFF}`);
}

const escapeLike = (s: string) => s.replace(/[\\%_]/g, (c) => `\\${c}`);
