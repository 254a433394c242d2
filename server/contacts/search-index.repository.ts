import type { Knex } from 'knex';
import { isMysql } from '../db/knex';
import { countedPrefixesOf, searchTermsOf } from './search-terms';

type Q = Knex | Knex.Transaction;

export interface IndexedContact {
  name: string;
  email: string;
  document_number?: string | null;
  status: string;
}

export interface WordCount {
  account_id: number;
  word: string;
  contacts: number;
}

/**
 * The search tables, derived from `contacts` and always written inside the contact's own
 * transaction: `contact_search_terms` (what each contact is found by, with its status and name
 * for ordered reads) and `contact_search_words` (how many contacts have each letter prefix: what
 * a search of several words plans by).
 */
export class SearchIndexRepository {
  /** (Re)writes a contact's terms. `before` is what was indexed until now, absent for a new contact. */
  async write(q: Q, accountId: number, contactId: number, contact: IndexedContact, before?: Omit<IndexedContact, 'status'>): Promise<void> {
    await q('contact_search_terms').where({ contact_id: contactId }).delete();
    const terms = searchTermsOf(contact);
    // Status and name ride along: the search lists matches by name, per tab, from the term index.
    const rows = terms.map((term) => ({ account_id: accountId, term, contact_id: contactId, status: contact.status, name: contact.name }));
    // Terms distinct here may be equal to MySQL's collation ("straus"/"strauß", "soren"/"søren"):
    // the primary key would refuse the second one and fail the whole save, so keep the first.
    for (let i = 0; i < rows.length; i += 200) await q('contact_search_terms').insert(rows.slice(i, i + 200)).onConflict().ignore();
    const now = countedPrefixesOf(terms);
    const old = before ? countedPrefixesOf(searchTermsOf(before)) : [];
    const was = new Set(old);
    const is = new Set(now);
    await this.addWordCounts(q, now.filter((w) => !was.has(w)).map((word) => ({ account_id: accountId, word, contacts: 1 })));
    await this.subtractWords(q, accountId, old.filter((w) => !is.has(w)));
  }

  async remove(q: Q, accountId: number, contactId: number, indexed: Omit<IndexedContact, 'status'>): Promise<void> {
    await q('contact_search_terms').where({ contact_id: contactId }).delete();
    await this.subtractWords(q, accountId, countedPrefixesOf(searchTermsOf(indexed)));
  }

  setStatus(q: Q, accountId: number, contactId: number, status: string): Promise<unknown> {
    return q('contact_search_terms').where({ account_id: accountId, contact_id: contactId }).update({ status });
  }

  /** Adds to the counts, creating missing words; sorted, so two writers lock the rows in the same order. */
  async addWordCounts(q: Q, counts: WordCount[]): Promise<void> {
    if (counts.length === 0) return;
    const sum = isMysql(q) ? q.raw('contact_search_words.contacts + VALUES(contacts)') : q.raw('contact_search_words.contacts + excluded.contacts');
    const sorted = [...counts].sort((a, b) => a.account_id - b.account_id || (a.word < b.word ? -1 : a.word > b.word ? 1 : 0));
    for (let i = 0; i < sorted.length; i += 300) {
      await q('contact_search_words').insert(sorted.slice(i, i + 300)).onConflict(['account_id', 'word']).merge({ contacts: sum });
    }
  }

  private async subtractWords(q: Q, accountId: number, words: string[]): Promise<void> {
    const sorted = [...words].sort();
    for (let i = 0; i < sorted.length; i += 300) {
      await q('contact_search_words').where('account_id', accountId).whereIn('word', sorted.slice(i, i + 300)).decrement('contacts', 1);
    }
  }
}
