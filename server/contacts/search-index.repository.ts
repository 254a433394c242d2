import type { Knex } from 'knex';
import { isMysql } from '../db/knex';
import { nameWordsOf, searchTermsOf } from './search-terms';

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
 * for ordered reads) and `contact_search_words` (how many contacts share each name word).
 */
export class SearchIndexRepository {
  /** (Re)writes a contact's terms. `before` is the name indexed until now, absent for a new contact. */
  async write(q: Q, accountId: number, contactId: number, contact: IndexedContact, before?: { name: string }): Promise<void> {
    await q('contact_search_terms').where({ contact_id: contactId }).delete();
    // Status and name ride along: the search lists matches by name, per tab, from the term index.
    const rows = searchTermsOf(contact).map((term) => ({ account_id: accountId, term, contact_id: contactId, status: contact.status, name: contact.name }));
    // Terms distinct here may be equal to MySQL's collation ("straus"/"strauß", "soren"/"søren"):
    // the primary key would refuse the second one and fail the whole save, so keep the first.
    if (rows.length) await q('contact_search_terms').insert(rows).onConflict().ignore();
    const now = nameWordsOf(contact.name);
    const old = before ? nameWordsOf(before.name) : [];
    await this.addWordCounts(q, now.filter((w) => !old.includes(w)).map((word) => ({ account_id: accountId, word, contacts: 1 })));
    await this.subtractWords(q, accountId, old.filter((w) => !now.includes(w)));
  }

  async remove(q: Q, accountId: number, contactId: number, name: string): Promise<void> {
    await q('contact_search_terms').where({ contact_id: contactId }).delete();
    await this.subtractWords(q, accountId, nameWordsOf(name));
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
    if (words.length === 0) return;
    await q('contact_search_words').where('account_id', accountId).whereIn('word', [...words].sort()).decrement('contacts', 1);
  }
}
